// Relayed through TURN versus direct, on loopback: RPC round trip and connect time of a Node client
// (node-datachannel) with a Chromium host, relay-only at both ends through a coturn started here
// versus straight to the host, in the same run, interleaved. Loopback has no network delay, so this
// is what the extra hop itself costs (coturn's user-space forwarding, twice per round trip) and what
// allocating relays adds to a join.
//
// Why a Chromium host and not a Node one: a libdatachannel DTLS server whose own path is relayed
// can deadlock, blocking the Node process in close() for good (README, "Relay-only in Node"), and
// the host is the DTLS server. A relay-only Node host, or any Node-to-Node relayed game, could hang
// this run; a relay-only Node client is the DTLS client (checked below), which cannot.
import { type Page, test } from "@playwright/test";
import { MultiplayerAPI, WebRTCMultiplayerPeer } from "starwire/node";
import { startSignalingServer } from "../../tests/e2e/fixtures.js";
import { type RecordingWebRTC, recordingWebRTC, selectedPair } from "../../tests/node/recording-webrtc.js";
import { startTurnServer } from "../../tests/node/turn-server.js";
import { writeResult } from "../lib/results.js";
import { round, summarize } from "../lib/stats.js";
import { NodeProbe } from "./node-probe.js";
import { chromiumVersion, openBenchTab } from "./shared.js";

// Its own signaling server, not the run's: this one hands out TURN credentials.
const PORT = 28789;
const URL = `http://127.0.0.1:${PORT}`;
const ROUND_TRIPS = 2000;
const WARMUP = 200;
const CONNECTS = 15;

type Mode = "direct" | "relay";
const MODES = ["direct", "relay"] as const;

/** Both sides get the signaling server's ICE servers (its TURN entry included); only the policy differs. */
const policy = (mode: Mode) => (mode === "relay" ? { iceTransportPolicy: "relay" as const } : {});

async function join(mode: Mode, roomCode: string, recorder?: RecordingWebRTC) {
  const api = new MultiplayerAPI();
  const probe = api.root.addChild(new NodeProbe());
  const peer = new WebRTCMultiplayerPeer({
    signalingUrl: URL,
    bindAddress: "127.0.0.1",
    ...policy(mode),
    ...(recorder ? { wrtc: recorder.wrtc } : {}),
  });
  api.peer = peer;
  const start = performance.now();
  const connected = api.whenConnected();
  await peer.createClient(roomCode);
  await connected; // or throws with the reason: a failed join ends the benchmark, never hangs it
  return { api, probe, connectMs: performance.now() - start };
}

/** The host's Probe answers each ping with a pong to its sender (bench/browser/page/probe.ts). */
function roundTrip(probe: NodeProbe, seq: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const timer = setTimeout(() => reject(new Error(`no pong ${seq} within 2 s`)), 2000);
    probe.onPong = (got) => {
      if (got !== seq) return;
      clearTimeout(timer);
      resolve(performance.now() - start);
    };
    probe.rpcId(1, "ping", seq);
  });
}

const ms = (samples: number[]) =>
  Object.fromEntries(
    Object.entries(summarize(samples)).map(([key, value]) => [
      key,
      key === "count" ? value : round(value, 4),
    ]),
  );

test("TURN relay versus direct: RPC round trip and connect time (Chromium host, Node client, loopback)", async ({
  browser,
}) => {
  const turn = await startTurnServer();
  const signaling = await startSignalingServer(PORT, {
    TURN_URLS: turn.urls.join(","),
    TURN_SECRET: turn.secret,
  });
  const apis: MultiplayerAPI[] = [];
  const tabs: Page[] = [];
  try {
    const hosts = {} as Record<Mode, { tab: Page; roomCode: string }>;
    for (const mode of MODES) {
      const tab = await openBenchTab(browser, URL);
      tabs.push(tab);
      const roomCode = await tab.evaluate((options) => window.bench.host(64, options), policy(mode));
      hosts[mode] = { tab, roomCode };
    }

    // Connect time: alternating joins, each closed before the next.
    const connect: Record<Mode, number[]> = { direct: [], relay: [] };
    for (let i = 0; i < CONNECTS + 2; i++) {
      for (const mode of MODES) {
        const client = await join(mode, hosts[mode].roomCode);
        client.api.peer = null;
        if (i >= 2) connect[mode].push(client.connectMs);
      }
    }

    // Round trips: one client of each, interleaved so both see the same machine noise.
    const recorders = { direct: recordingWebRTC(), relay: recordingWebRTC() };
    const clients = {
      direct: await join("direct", hosts.direct.roomCode, recorders.direct),
      relay: await join("relay", hosts.relay.roomCode, recorders.relay),
    };
    apis.push(clients.direct.api, clients.relay.api);
    // What each mode claims: relayed at both ends or not at all, and the Node client the DTLS
    // client (Chromium answered passive), the side the libdatachannel deadlock cannot reach.
    for (const mode of MODES) {
      const [connection] = recorders[mode].open();
      if (!connection) throw new Error(`${mode}: the client has no open connection`);
      const pair = await selectedPair(connection.pc);
      const relayed = pair.local === "relay" && pair.remote === "relay";
      const direct = pair.local !== "relay" && pair.remote !== "relay";
      if (mode === "relay" ? !relayed : !direct)
        throw new Error(`${mode}: selected pair ${pair.local}/${pair.remote}`);
      if (!connection.remoteSdp?.includes("a=setup:passive"))
        throw new Error(`${mode}: the Node client is not the DTLS client`);
    }
    const rtt: Record<Mode, number[]> = { direct: [], relay: [] };
    for (let seq = 0; seq < WARMUP + ROUND_TRIPS; seq++) {
      for (const mode of MODES) {
        const sample = await roundTrip(clients[mode].probe, seq);
        if (seq >= WARMUP) rtt[mode].push(sample);
      }
    }

    const d = summarize(rtt.direct);
    const r = summarize(rtt.relay);
    const cd = summarize(connect.direct);
    const cr = summarize(connect.relay);
    writeResult(
      "turn-relay",
      {
        unit: "ms; Chromium host, Node client (node-datachannel) on loopback, both relay-only through coturn versus direct; timed in the Node client",
        rpcRoundTrip: {
          direct: ms(rtt.direct),
          relay: ms(rtt.relay),
          ratio: { median: round(r.median / d.median, 3), p99: round(r.p99 / d.p99, 3) },
        },
        connect: {
          direct: ms(connect.direct),
          relay: ms(connect.relay),
          ratio: { median: round(cr.median / cd.median, 3) },
        },
        samples: { rtt, connect },
      },
      chromiumVersion(browser),
    );
  } finally {
    for (const api of apis) api.peer = null;
    for (const tab of tabs) await tab.context().close();
    signaling.kill("SIGTERM");
    await turn.stop();
  }
});
