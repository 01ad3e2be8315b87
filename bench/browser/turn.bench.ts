// Relayed through TURN versus direct, on loopback: RPC round trip and connect time of Node peers
// (node-datachannel), relay-only through a coturn started here versus straight to the host, in the
// same run, interleaved. Loopback has no network delay, so this is what the extra hop itself costs
// (coturn's user-space forwarding, twice per round trip) and what allocating a relay adds to a join.
import { test } from "@playwright/test";
import { MultiplayerAPI, NetNode, WebRTCMultiplayerPeer } from "starwire/node";
import { startSignalingServer } from "../../tests/e2e/fixtures.js";
import { startTurnServer } from "../../tests/node/turn-server.js";
import { writeResult } from "../lib/results.js";
import { round, summarize } from "../lib/stats.js";

const PORT = 28789;
const URL = `http://127.0.0.1:${PORT}`;
const ROUND_TRIPS = 2000;
const WARMUP = 200;
const CONNECTS = 15;

/** Answers each ping with a pong to its sender; the client times the pair. */
class Echo extends NetNode<Echo> {
  onPong: ((seq: number) => void) | null = null;
  constructor(readonly api: MultiplayerAPI) {
    super("echo");
    this.rpcConfig("ping", ["any_peer"]);
    this.rpcConfig("pong", []);
  }
  ping(seq: number) {
    this.rpcId(this.api.remoteSenderId, "pong", seq);
  }
  pong(seq: number) {
    this.onPong?.(seq);
  }
}

type Mode = "direct" | "relay";

function peer(mode: Mode): WebRTCMultiplayerPeer {
  // Both get the signaling server's ICE servers (its TURN entry included); only the policy differs.
  return new WebRTCMultiplayerPeer({
    signalingUrl: URL,
    bindAddress: "127.0.0.1",
    ...(mode === "relay" ? { iceTransportPolicy: "relay" as const } : {}),
  });
}

async function host(mode: Mode) {
  const api = new MultiplayerAPI();
  // Thousands of pings back to back: far past the default per-client limits.
  api.rateLimits = { ...api.rateLimits, messagesPerSecond: 1e6, messageBurst: 1e6 };
  api.root.addChild(new Echo(api));
  const p = peer(mode);
  const { roomCode } = await p.createServer({ maxPlayers: 64 });
  api.peer = p;
  return { api, roomCode };
}

async function join(mode: Mode, roomCode: string) {
  const api = new MultiplayerAPI();
  const echo = api.root.addChild(new Echo(api));
  const p = peer(mode);
  api.peer = p;
  const start = performance.now();
  await p.createClient(roomCode);
  await api.whenConnected();
  return { api, echo, connectMs: performance.now() - start };
}

function roundTrip(echo: Echo, seq: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const timer = setTimeout(() => reject(new Error(`no pong ${seq} within 2 s`)), 2000);
    echo.onPong = (got) => {
      if (got !== seq) return;
      clearTimeout(timer);
      resolve(performance.now() - start);
    };
    echo.rpcId(1, "ping", seq);
  });
}

const ms = (samples: number[]) =>
  Object.fromEntries(
    Object.entries(summarize(samples)).map(([key, value]) => [
      key,
      key === "count" ? value : round(value, 4),
    ]),
  );

test("TURN relay versus direct: RPC round trip and connect time (Node peers, loopback)", async () => {
  const turn = await startTurnServer();
  const signaling = await startSignalingServer(PORT, {
    TURN_URLS: turn.urls.join(","),
    TURN_SECRET: turn.secret,
  });
  const apis: MultiplayerAPI[] = [];
  try {
    const hosts = { direct: await host("direct"), relay: await host("relay") };
    apis.push(hosts.direct.api, hosts.relay.api);

    // Connect time: alternating joins, each closed before the next.
    const connect: Record<Mode, number[]> = { direct: [], relay: [] };
    for (let i = 0; i < CONNECTS + 2; i++) {
      for (const mode of ["direct", "relay"] as const) {
        const client = await join(mode, hosts[mode].roomCode);
        client.api.peer = null;
        if (i >= 2) connect[mode].push(client.connectMs);
      }
    }

    // Round trips: one client of each, interleaved so both see the same machine noise.
    const clients = {
      direct: await join("direct", hosts.direct.roomCode),
      relay: await join("relay", hosts.relay.roomCode),
    };
    apis.push(clients.direct.api, clients.relay.api);
    const rtt: Record<Mode, number[]> = { direct: [], relay: [] };
    for (let seq = 0; seq < WARMUP + ROUND_TRIPS; seq++) {
      for (const mode of ["direct", "relay"] as const) {
        const sample = await roundTrip(clients[mode].echo, seq);
        if (seq >= WARMUP) rtt[mode].push(sample);
      }
    }

    const d = summarize(rtt.direct);
    const r = summarize(rtt.relay);
    const cd = summarize(connect.direct);
    const cr = summarize(connect.relay);
    writeResult("turn-relay", {
      unit: "ms; Node peers (node-datachannel) on loopback, relay-only through coturn versus direct",
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
    });
  } finally {
    for (const api of apis) api.peer = null;
    signaling.kill("SIGTERM");
    await turn.stop();
  }
});
