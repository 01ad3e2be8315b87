// What connection statistics and the network conditioner cost when they are not asked for
// (README, "Connection statistics"): reliable RPC round trip and throughput of Node peer pairs over
// real WebRTC on loopback, in one process. Each pair goes through every phase in every round, in
// a rotating order, so what differs between two pairs (their threads, their ports) cancels out:
//
//   off             nobody reads the statistics and no conditions are set: after the first round
//                   the conditions were set and removed before, so this is the disabled conditioner
//   offAgain        the same again: how far two identical phases differ (the noise)
//   stats           a `stats` listener on both ends and getStats() 60 times a second (an overlay):
//                   the event and ICE's getStats() each second
//   conditionerIdle conditions that change nothing (lossPercent 1e-9): the conditioner in the path
//
// The per-message counters and the heartbeats' measurements are always on, in every phase alike.
// Ratios are paired: each phase against `off` of the same pair in the same round, the median of
// those. Target: each within noise (`offAgain` shows it), ≤ 1.02 (≥ 0.98 for throughput).
import { spawn } from "node:child_process";
import { MultiplayerAPI, NetNode, WebRTCMultiplayerPeer } from "starwire/node";
import { writeResult } from "./lib/results.js";
import { round, summarize } from "./lib/stats.js";

const PORT = 28789;
const URL = `http://127.0.0.1:${PORT}`;
const ROUNDS = 32;
const ROUND_TRIPS = 1000;
const THROUGHPUT_MESSAGES = 20_000;

class Probe extends NetNode<Probe> {
  onPong: () => void = () => {};
  sunk = 0;
  onSunk: () => void = () => {};
  constructor() {
    super("probe");
    for (const name of ["ping", "pong", "sink"]) this.rpcConfig(name, ["any_peer"]);
  }
  ping(): void {
    this.rpcId(this.multiplayer.remoteSenderId, "pong");
  }
  pong(): void {
    this.onPong();
  }
  sink(_seq: number): void {
    if (++this.sunk === THROUGHPUT_MESSAGES) this.onSunk();
  }
}

type Phase = "off" | "offAgain" | "stats" | "conditionerIdle";
const PHASES: Phase[] = ["off", "offAgain", "stats", "conditionerIdle"];
const PAIRS = 2;

const peerOptions = { signalingUrl: URL, bindAddress: "127.0.0.1", iceServers: [], connectTimeoutMs: 10_000 };

async function pair() {
  const hostApi = new MultiplayerAPI();
  const hostPeer = new WebRTCMultiplayerPeer(peerOptions);
  const { roomCode } = await hostPeer.createServer({ maxPlayers: 2 });
  hostApi.peer = hostPeer;
  // The throughput burst is far above the default per-client rate limits, which are not measured here.
  hostApi.rateLimits = {
    ...hostApi.rateLimits,
    messagesPerSecond: 1e9,
    messageBurst: 1e9,
    bytesPerSecond: 1e12,
    byteBurst: 1e12,
  };
  const host = hostApi.root.addChild(new Probe());
  const clientApi = new MultiplayerAPI();
  const clientPeer = new WebRTCMultiplayerPeer(peerOptions);
  clientApi.peer = clientPeer;
  const client = clientApi.root.addChild(new Probe());
  await clientPeer.createClient(roomCode);
  await within(clientApi.whenConnected(), 15_000, "join");
  while (!hostApi.getPeers().includes(clientPeer.uniqueId)) await sleep(10);
  const clientId = clientPeer.uniqueId;
  let statsEvents = 0;
  let stopStats = () => {};
  return {
    host,
    client,
    statsEvents: () => statsEvents,
    /** Puts the pair in `phase` for the measurements that follow. */
    enter(phase: Phase) {
      stopStats();
      stopStats = () => {};
      const conditions = phase === "conditionerIdle" ? { lossPercent: 1e-9 } : null;
      for (const peer of [hostPeer, clientPeer]) peer.conditions = conditions;
      if (phase !== "stats") return;
      const offs = [hostApi, clientApi].map((api) => api.on("stats", () => statsEvents++));
      const overlay = setInterval(() => {
        hostApi.getStats(clientId);
        clientApi.getStats(1);
      }, 1000 / 60);
      stopStats = () => {
        clearInterval(overlay);
        for (const off of offs) off();
      };
    },
    close() {
      stopStats();
      clientApi.peer = null;
      hostApi.peer = null;
    },
  };
}

type Pair = Awaited<ReturnType<typeof pair>>;

/** `promise`, or an error naming `what` after `ms`: a benchmark that stalls says so rather than hangs. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function roundTrips(p: Pair, n: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await within(
      new Promise<void>((resolve) => {
        p.client.onPong = resolve;
        p.client.rpcId(1, "ping");
      }),
      10_000,
      "round trip",
    );
    samples.push(performance.now() - started);
  }
  return samples;
}

async function throughput(p: Pair): Promise<number> {
  p.host.sunk = 0;
  const done = new Promise<void>((resolve) => {
    p.host.onSunk = resolve;
  });
  const started = performance.now();
  for (let i = 0; i < THROUGHPUT_MESSAGES; i++) p.client.rpcId(1, "sink", i);
  await within(done, 60_000, "throughput");
  return THROUGHPUT_MESSAGES / ((performance.now() - started) / 1000);
}

async function waitForHealth(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${URL}/health`)).ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error("signaling server did not start");
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const server = spawn(process.execPath, ["signaling-server/dist/main.js"], {
  env: {
    ...process.env,
    PORT: String(PORT),
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    MAX_SOCKETS_PER_ADDRESS: "0",
  },
  stdio: "ignore",
});
const pairs: Pair[] = [];
try {
  await waitForHealth();
  for (let i = 0; i < PAIRS; i++) pairs.push(await pair());
  const rtt = new Map<Phase, number[]>(PHASES.map((phase) => [phase, []]));
  /** Per phase, one entry per (pair, round): the same index is the same pair in the same round. */
  const rttMedians = new Map<Phase, number[]>(PHASES.map((phase) => [phase, []]));
  const rates = new Map<Phase, number[]>(PHASES.map((phase) => [phase, []]));
  for (let r = -1; r < ROUNDS; r++) {
    for (const [index, p] of pairs.entries()) {
      // A different order each round (and per pair), so no phase always follows the same one.
      for (let k = 0; k < PHASES.length; k++) {
        const phase = PHASES[(k + Math.max(r, 0) + index) % PHASES.length]!;
        p.enter(phase);
        if (r < 0) p.enter("conditionerIdle"); // warm-up: and conditions set once before any "off"
        await sleep(50);
        const samples = await roundTrips(p, ROUND_TRIPS);
        const rate = await throughput(p);
        if (r < 0) continue;
        rtt.get(phase)!.push(...samples);
        rttMedians.get(phase)!.push(summarize(samples).median);
        rates.get(phase)!.push(rate);
      }
    }
  }
  const base = { rtt: summarize(rtt.get("off")!), rate: median(rates.get("off")!) };
  // Each phase against "off" of the same pair in the same round, then the median of those ratios:
  // drift over the run and differences between the pairs cancel out.
  const paired = (measure: Map<Phase, number[]>, phase: Phase) =>
    median(measure.get(phase)!.map((value, i) => value / measure.get("off")![i]!));
  const results = Object.fromEntries(
    PHASES.map((phase) => {
      const s = summarize(rtt.get(phase)!);
      const rate = median(rates.get(phase)!);
      return [
        phase,
        {
          roundTripMs: { median: round(s.median, 4), p99: round(s.p99, 4), mean: round(s.mean, 4) },
          throughput: Math.round(rate),
          throughputRuns: rates.get(phase)!.map(Math.round),
          ratio: {
            roundTripMedian: round(paired(rttMedians, phase), 3),
            roundTripP99: round(s.p99 / base.rtt.p99, 3),
            throughput: round(paired(rates, phase), 3),
          },
        },
      ];
    }),
  );
  writeResult("stats-cost", {
    unit: "ms for round trips (client → host → client, reliable RPC), reliable messages per second client → host",
    pairs: PAIRS,
    rounds: ROUNDS,
    roundTripsPerPhase: ROUND_TRIPS,
    throughputMessagesPerPhase: THROUGHPUT_MESSAGES,
    target: { roundTrip: 1.02, throughput: 0.98 },
    statsEventsDuringRun: pairs.reduce((sum, p) => sum + p.statsEvents(), 0),
    ...results,
  });
  console.log("\nstats and conditioner cost (ratios to off; target ≤ 1.02 round trip, ≥ 0.98 throughput)");
  console.log("| phase | round trip median ms | ratio | p99 ms | ratio | messages/s | ratio |");
  console.log("|---|---|---|---|---|---|---|");
  for (const [phase, result] of Object.entries(results)) {
    const { roundTripMs: t, ratio, throughput: rate } = result;
    console.log(
      `| ${phase} | ${t.median} | ${ratio.roundTripMedian} | ${t.p99} | ${ratio.roundTripP99} | ${rate} | ${ratio.throughput} |`,
    );
  }
} finally {
  for (const p of pairs) p.close();
  server.kill();
}
