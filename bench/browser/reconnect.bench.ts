// Time from a restored link to the first RPC delivered after total cuts of 5, 15 and 30 s
// (pfifo limit 0 on the namespace's loopback), Chromium tabs and Node peers; and join success.
import { type Page, test } from "@playwright/test";
import { MultiplayerAPI, WebRTCMultiplayerPeer } from "starwire/node";
import { cutFor, restoreLink } from "../../tests/node/link-cut.js";
import { writeResult } from "../lib/results.js";
import { round, summarize } from "../lib/stats.js";
import { NodeProbe } from "./node-probe.js";
import { chromiumVersion, openBenchTab, signalingUrl } from "./shared.js";

const CUTS_MS = [5000, 15_000, 30_000];
const RUNS = 3;
/** The client calls the host this often, before, during and after the cut. */
const CALL_EVERY_MS = 20;

test.afterEach(() => restoreLink());

interface Game {
  /** Time of every call the host received. */
  arrivals(): Promise<number[]>;
  /** What the platform does when the network is back (a browser fires `online`), if anything. */
  networkBack(): Promise<void>;
  close(): Promise<void>;
}

const joins = { attempted: 0, connected: 0 };

async function chromiumGame(
  browser: import("@playwright/test").Browser,
  announceOnline: boolean,
): Promise<Game> {
  const host = await openBenchTab(browser);
  const client = await openBenchTab(browser);
  const roomCode = await host.evaluate(() => window.bench.host(4));
  joins.attempted++;
  await client.evaluate((code) => window.bench.join(code), roomCode); // throws with the reason on failure
  joins.connected++;
  await client.evaluate((every) => {
    let seq = 0;
    setInterval(() => window.bench.probe.rpcId(1, "sink", seq++), every);
  }, CALL_EVERY_MS);
  return {
    arrivals: () => host.evaluate(() => [...window.bench.probe.sinkTimes]),
    networkBack: async () => {
      if (!announceOnline) return;
      // What a browser does when its network comes back; a cut of the loopback does not tell it.
      for (const page of [host, client]) await page.evaluate(() => window.dispatchEvent(new Event("online")));
    },
    close: async () => {
      for (const page of [client, host] as Page[]) await page.context().close();
    },
  };
}

async function nodeGame(): Promise<Game> {
  const options = { signalingUrl, bindAddress: "127.0.0.1", iceServers: [] };
  const host = new MultiplayerAPI();
  const sink = host.root.addChild(new NodeProbe());
  const hostPeer = new WebRTCMultiplayerPeer(options);
  const { roomCode } = await hostPeer.createServer({ maxPlayers: 4 });
  host.peer = hostPeer;
  const client = new MultiplayerAPI();
  const clientSink = client.root.addChild(new NodeProbe());
  const clientPeer = new WebRTCMultiplayerPeer(options);
  client.peer = clientPeer;
  joins.attempted++;
  const connected = client.whenConnected();
  await clientPeer.createClient(roomCode);
  await connected;
  joins.connected++;
  let seq = 0;
  const caller = setInterval(() => clientSink.rpcId(1, "sink", seq++), CALL_EVERY_MS);
  return {
    arrivals: async () => [...sink.sinkTimes],
    networkBack: async () => {},
    close: async () => {
      clearInterval(caller);
      client.peer = null;
      host.peer = null;
    },
  };
}

async function measure(platform: string, start: () => Promise<Game>) {
  const rows = [];
  for (const cutMs of CUTS_MS) {
    const resumeMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const game = await start();
      try {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const restoredAt = await cutFor(cutMs);
        await game.networkBack();
        const deadline = Date.now() + 60_000;
        let first: number | undefined;
        while (first === undefined && Date.now() < deadline) {
          first = (await game.arrivals()).find((at) => at >= restoredAt);
          if (first === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        if (first === undefined)
          throw new Error(`${platform}: nothing arrived within 60 s of a ${cutMs} ms cut`);
        resumeMs.push(first - restoredAt);
      } finally {
        await game.close();
      }
    }
    const summary = summarize(resumeMs);
    rows.push({
      platform,
      cutMs,
      runs: resumeMs,
      medianMs: round(summary.median, 0),
      maxMs: round(summary.max, 0),
    });
    console.log(`${platform} ${cutMs / 1000} s cut: resumed in ${resumeMs.join(", ")} ms`);
  }
  return rows;
}

test("first RPC after a restored link, Chromium and Node", async ({ browser }) => {
  test.setTimeout(20 * 60_000);
  const rows = [
    ...(await measure("Chromium", () => chromiumGame(browser, false))),
    ...(await measure("Chromium, online event", () => chromiumGame(browser, true))),
    ...(await measure("Node", nodeGame)),
  ];
  writeResult(
    "reconnect",
    {
      unit: "ms from the link restored to the first reliable RPC delivered (a call every 20 ms, through the cut)",
      runs: RUNS,
      rows,
      joins: { ...joins, successRate: joins.connected / joins.attempted },
    },
    chromiumVersion(browser),
  );
});
