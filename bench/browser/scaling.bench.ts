// One Chromium host, N Node clients, 30 Hz state broadcast of N entities over the unreliable channel.
//
// State age: the host stamps each state with its clock, a client notes its own clock on arrival;
// the two clocks are calibrated against each other (min-RTT ping-pong, before and after the
// broadcast), so the age is in one clock, accurate to ± half the best round trip.
// Host CPU: the whole Chromium process tree (browser, renderers, GPU and utility processes), from
// /proc, beside the host tab's main-thread busy time that Chromium reports (TaskDuration).
import { test } from "@playwright/test";
import { MultiplayerAPI, WebRTCMultiplayerPeer } from "starwire/node";
import { descendants, treeCpu } from "../lib/proc.js";
import { writeResult } from "../lib/results.js";
import { round, summarize } from "../lib/stats.js";
import { type ClockSample, NodeProbe } from "./node-probe.js";
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
    const clocksBefore: ClockSample[] = [];
    for (const client of clients) clocksBefore.push(await client.probe.calibrate());

    const metric = async (name: string) =>
      (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === name)?.value ?? 0;
    const busyBefore = await metric("TaskDuration");
    const treeBefore = descendants(process.pid); // Chromium is a child of this Playwright worker
    const nodeBefore = process.cpuUsage();
    const started = performance.now();
    const tickTimes = await host.evaluate(({ n, s }) => window.bench.broadcastState(n, s), {
      n: count,
      s: SECONDS,
    });
    const wall = (performance.now() - started) / 1000;
    const nodeCpu = process.cpuUsage(nodeBefore);
    const tree = treeCpu(treeBefore, descendants(process.pid));
    const busy = (await metric("TaskDuration")) - busyBefore;
    const heap = await metric("JSHeapUsedSize");

    const clocksAfter: ClockSample[] = [];
    for (const client of clients) clocksAfter.push(await client.probe.calibrate());
    // host clock = Node clock + offset; the offset used is the mean of the two calibrations.
    const ages = clients.flatMap((client, i) => {
      const offset = (clocksBefore[i]!.offsetMs + clocksAfter[i]!.offsetMs) / 2;
      return client.probe.states.map(([sentAt, receivedAt]) => receivedAt - (sentAt - offset));
    });
    const bound = Math.max(...[...clocksBefore, ...clocksAfter].map((c) => c.rttMs / 2));
    const drift = Math.max(...clocksBefore.map((c, i) => Math.abs(clocksAfter[i]!.offsetMs - c.offsetMs)));
    const ticks = summarize(tickTimes);
    const age = summarize(ages);
    rows.push({
      clients: count,
      entities: count,
      tickMs: { p50: round(ticks.median, 4), p95: round(ticks.p95, 4) },
      stateAgeMs: { p50: round(age.median, 3), p95: round(age.p95, 3), min: round(age.min, 3) },
      clock: {
        errorBoundMs: round(bound, 3),
        offsetDriftMs: round(drift, 3),
        rawOffsetMs: round(clocksBefore[0]!.offsetMs, 3),
      },
      statesReceived: ages.length,
      statesSent: tickTimes.length * count,
      browserCpuPercent: round((tree.cpuSeconds / wall) * 100, 1),
      browserProcesses: tree.processes,
      hostMainThreadBusyPercent: round((busy / wall) * 100, 1),
      nodeClientsCpuPercent: round(((nodeCpu.user + nodeCpu.system) / 1e6 / wall) * 100, 1),
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
      stateAge:
        "ms from the host's send call to the client's handler, host clock converted to the Node clock with a min-RTT ping-pong calibration (mean of one before and one after the broadcast); errorBoundMs is half the largest best round trip",
      cpu: "browserCpuPercent: all Chromium processes (/proc utime+stime of the Playwright worker's descendants) over the broadcast's wall time, 100 = one core; hostMainThreadBusyPercent: the host tab's main thread (CDP TaskDuration); nodeClientsCpuPercent: the one Node process running all N clients (and Playwright's worker)",
      rows,
    },
    chromiumVersion(browser),
  );
});
