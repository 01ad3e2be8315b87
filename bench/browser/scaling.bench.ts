// One Chromium host, N Node clients, 30 Hz state broadcast of N entities over the unreliable channel.
import { test } from "@playwright/test";
import { MultiplayerAPI, WebRTCMultiplayerPeer } from "starwire/node";
import { writeResult } from "../lib/results.js";
import { round, summarize } from "../lib/stats.js";
import { NodeProbe } from "./node-probe.js";
import { chromiumVersion, openBenchTab, signalingUrl } from "./shared.js";

const CLIENT_COUNTS = [1, 4, 8, 16];
const SECONDS = 4;

test("host scaling with 1, 4, 8 and 16 clients", async ({ browser }) => {
  const rows = [];
  for (const count of CLIENT_COUNTS) {
    const host = await openBenchTab(browser);
    const cdp = await host.context().newCDPSession(host);
    await cdp.send("Performance.enable");
    const roomCode = await host.evaluate(() => window.bench.host(32));
    const clients: Array<{ api: MultiplayerAPI; probe: NodeProbe }> = [];
    for (let i = 0; i < count; i++) {
      const api = new MultiplayerAPI();
      const probe = api.root.addChild(new NodeProbe());
      const peer = new WebRTCMultiplayerPeer({ signalingUrl, bindAddress: "127.0.0.1" });
      api.peer = peer;
      const connected = api.whenConnected();
      await peer.createClient(roomCode);
      await connected; // or throws with the reason: a failed join ends the benchmark, never hangs it
      clients.push({ api, probe });
    }
    await host.waitForFunction((n) => window.bench.api.getPeers().length === n, count);
    const metric = async (name: string) =>
      (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === name)?.value ?? 0;
    const busyBefore = await metric("TaskDuration");
    const started = Date.now();
    const tickTimes = await host.evaluate(({ n, s }) => window.bench.broadcastState(n, s), {
      n: count,
      s: SECONDS,
    });
    const wall = (Date.now() - started) / 1000;
    const busy = (await metric("TaskDuration")) - busyBefore;
    const heap = await metric("JSHeapUsedSize");
    const ages = clients.flatMap((client) => client.probe.ages);
    const ticks = summarize(tickTimes);
    const age = summarize(ages);
    rows.push({
      clients: count,
      entities: count,
      tickMs: { p50: round(ticks.median, 4), p95: round(ticks.p95, 4) },
      stateAgeMs: { p50: round(age.median, 3), p95: round(age.p95, 3) },
      statesReceived: ages.length,
      statesSent: tickTimes.length * count,
      hostCpuPercent: round((busy / wall) * 100, 1),
      hostHeapMb: round(heap / 1024 / 1024, 2),
    });
    for (const client of clients) client.api.peer = null;
    await host.context().close();
  }
  writeResult(
    "host-scaling",
    {
      unit: "host tab in Chromium, Node clients; state of N entities at 30 Hz, unreliable",
      seconds: SECONDS,
      rows,
    },
    chromiumVersion(browser),
  );
});
