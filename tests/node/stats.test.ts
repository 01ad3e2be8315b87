// Connection statistics and the network conditioner over real WebRTC between Node peers on
// 127.0.0.1 (README, "Connection statistics" and "Network conditions"). Figures are checked for
// correctness with tolerances for a loaded 2-core machine, never for speed.
import {
  MultiplayerAPI as API,
  type ConnectionStats,
  type MultiplayerAPI,
  NetNode,
  type NetworkConditions,
  type WebRTCMultiplayerPeer,
} from "starwire/node";
import { afterEach, describe, expect, it } from "vitest";
import { loopbackPeer, startSignaling } from "./helpers.js";

/** The node every peer of these tests has at /root/feed. */
class Feed extends NetNode<Feed> {
  readonly ordered: number[] = [];
  readonly ticks: number[] = [];
  newest = 0;
  states = 0;

  constructor() {
    super("feed");
    this.rpcConfig("order", ["authority"]);
    this.rpcConfig("tick", ["authority", "unreliable"]);
    this.rpcConfig("state", ["authority", "unreliable"]);
  }
  order(seq: number): void {
    this.ordered.push(seq);
  }
  tick(seq: number): void {
    this.ticks.push(seq);
  }
  state(seq: number, _filler: Uint8Array): void {
    this.newest = Math.max(this.newest, seq);
    this.states++;
  }
}

interface Player {
  api: MultiplayerAPI;
  peer: WebRTCMultiplayerPeer;
  feed: Feed;
  id: number;
  /** Everything that would mean the game broke: a wait fails at once on any of them. */
  failures: string[];
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function player(url: string, conditions: NetworkConditions | null): Omit<Player, "id"> {
  const api = new API();
  const peer = loopbackPeer(url);
  peer.conditions = conditions;
  const feed = api.root.addChild(new Feed());
  const failures: string[] = [];
  for (const event of ["peerDisconnected", "serverDisconnected", "connectionFailed"] as const) {
    api.on(event, (...args: unknown[]) => failures.push(`${event} ${args.join(" ")}`));
  }
  cleanups.push(() => {
    api.peer = null;
  });
  return { api, peer, feed, failures };
}

/** A host and one client, each sending with `conditions` (set before they connect). */
async function pair(
  hostConditions: NetworkConditions | null = null,
  clientConditions: NetworkConditions | null = null,
) {
  const signaling = await startSignaling();
  cleanups.push(signaling.close);
  const h = player(signaling.url, hostConditions);
  const { roomCode } = await h.peer.createServer({ maxPlayers: 4 });
  h.api.peer = h.peer;
  const c = player(signaling.url, clientConditions);
  c.api.peer = c.peer;
  await c.peer.createClient(roomCode);
  await c.api.whenConnected();
  const host: Player = { ...h, id: 1 };
  const client: Player = { ...c, id: c.peer.uniqueId };
  await waitFor("the host admits the client", () => host.api.getPeers().includes(client.id), [host, client]);
  return { host, client };
}

/** Waits for `condition`, failing at once when any player's game breaks, or after `timeoutMs`. */
async function waitFor(what: string, condition: () => boolean, players: Player[], timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    const broken = players.flatMap((p) => p.failures);
    if (broken.length > 0) throw new Error(`${what}: ${broken.join(", ")}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(10);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Mean ± 4 standard deviations of how many of `n` trials succeed at probability `p`. */
function binomialBounds(n: number, p: number): [number, number] {
  const spread = 4 * Math.sqrt(n * p * (1 - p));
  return [n * p - spread, n * p + spread];
}

/** The next `count` stats events about `id`, failing if the game breaks meanwhile. */
async function nextStats(p: Player, id: number, count: number, others: Player[]): Promise<ConnectionStats[]> {
  const seen: ConnectionStats[] = [];
  const off = p.api.on("stats", (from, stats) => {
    if (from === id) seen.push(stats);
  });
  try {
    await waitFor(
      `${count} stats events on peer ${p.id}`,
      () => seen.length >= count,
      [p, ...others],
      count * 2000 + 5000,
    );
  } finally {
    off();
  }
  return seen;
}

/** Sends `send(seq)` every millisecond-ish, `perTick` at a time, for `ms`; returns how many were sent. */
async function stream(ms: number, perTick: number, send: (seq: number) => void): Promise<number> {
  let seq = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (let i = 0; i < perTick; i++) send(++seq);
    await sleep(10);
  }
  return seq;
}

describe("connection statistics", () => {
  it("round trip ≈ 100 ms with 50 ms each way, path host on loopback, rates and reconnects on both sides", async () => {
    const { host, client } = await pair({ latencyMs: 50 }, { latencyMs: 50 });
    // Each side answers the other's heartbeats: enough samples for the smoothed value to settle.
    const [hostSide, clientSide] = await Promise.all([
      nextStats(host, client.id, 6, [client]),
      nextStats(client, 1, 6, [host]),
    ]);
    for (const [label, stats] of [
      ["host about its client", hostSide.at(-1)!],
      ["client about the host", clientSide.at(-1)!],
    ] as const) {
      console.log(label, JSON.stringify(stats));
      // The conditioner's 50 ms each way is a floor (its timer may fire 1 ms early); above it only
      // the two event loops' delays, which a loaded machine can stretch.
      expect(stats.rttMs, label).toBeGreaterThanOrEqual(97);
      expect(stats.rttMs, label).toBeLessThan(200);
      expect(stats.jitterMs, label).not.toBeNull();
      expect(stats.path, label).toMatchObject({ type: "host", local: "host", relayProtocol: null });
      expect(stats.reconnects, label).toBe(0);
      expect(stats.reconnecting, label).toBe(false);
      // Heartbeats at least, twice a second each way: some bytes and messages both ways.
      expect(stats.sent.messagesPerSecond, label).toBeGreaterThan(0);
      expect(stats.received.bytesPerSecond, label).toBeGreaterThan(0);
      // ICE's own round trip does not go through the conditioner: it is the bare loopback's.
      if (stats.iceRttMs !== null) expect(stats.iceRttMs, label).toBeLessThan(50);
    }
    // getStats gives the same figures between events; nobody but the direct peer has any.
    expect(client.api.getStats(1)?.peerId).toBe(1);
    expect(host.api.getStats(client.id)?.peerId).toBe(client.id);
    expect(host.api.getStats(12345)).toBeNull();
  });

  it("10 % unreliable loss is reported as ≈ 10 % on both ends; none the other way", async () => {
    const { host, client } = await pair({ lossPercent: 10, seed: 11 });
    const sent = await stream(6000, 2, (seq) => host.feed.rpc("tick", seq));
    await sleep(300);
    const received = client.feed.ticks.length;
    const hostStats = host.api.getStats(client.id)!;
    const clientStats = client.api.getStats(1)!;
    console.log({ sent, received }, JSON.stringify(hostStats.sent), JSON.stringify(clientStats.received));
    // Within 4 standard deviations of a binomial at p = 0.1 (about ±4 % of ~1,000 messages).
    const [low, high] = binomialBounds(sent, 0.1);
    expect(sent - received).toBeGreaterThan(low);
    expect(sent - received).toBeLessThan(high);
    // The 5 s window of what the heartbeats counted, from the sender's side and the receiver's.
    expect(hostStats.sent.unreliableLoss).toBeGreaterThan(0.06);
    expect(hostStats.sent.unreliableLoss).toBeLessThan(0.14);
    expect(clientStats.received.unreliableLoss).toBeGreaterThan(0.06);
    expect(clientStats.received.unreliableLoss).toBeLessThan(0.14);
    // The client's heartbeats travel an unconditioned link.
    expect(hostStats.received.unreliableLoss).toBe(0);
    expect(clientStats.sent.unreliableLoss).toBe(0);
  });

  it("counts a reconnect, and measures again on the new connection", async () => {
    const { host, client } = await pair();
    const reconnecting: number[] = [];
    host.api.on("peerReconnecting", (id) => {
      reconnecting.push(id);
      // Three seconds' latency is silence to the other side: the connection is replaced. Back to
      // normal once that is noticed, so the new connection opens.
      host.peer.conditions = null;
    });
    const back: number[] = [];
    host.api.on("peerReconnected", (id) => back.push(id));
    client.api.on("peerReconnected", (id) => back.push(id));
    host.peer.conditions = { latencyMs: 3000 };
    await waitFor("both sides back", () => back.length === 2, [host, client], 20_000);
    expect(reconnecting).toEqual([client.id]);
    const [hostSide, clientSide] = await Promise.all([
      nextStats(host, client.id, 2, [client]),
      nextStats(client, 1, 2, [host]),
    ]);
    for (const stats of [hostSide.at(-1)!, clientSide.at(-1)!]) {
      expect(stats.reconnects).toBe(1);
      expect(stats.reconnecting).toBe(false);
      expect(stats.rttMs).not.toBeNull();
    }
  });
});

describe("the network conditioner", () => {
  it("keeps reliable order under jitter, while the unreliable channel reorders", async () => {
    const { host, client } = await pair({ latencyMs: 20, jitterMs: 15, seed: 5 });
    let ticks = 0;
    const sent = await stream(2000, 3, (seq) => {
      host.feed.rpc("order", seq);
      host.feed.rpc("tick", ++ticks);
    });
    await waitFor("every reliable call", () => client.feed.ordered.length === sent, [host, client]);
    expect(client.feed.ordered).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
    // The jitter was there: some unreliable ticks overtook earlier ones.
    const inversions = client.feed.ticks.filter((seq, i) => i > 0 && seq < client.feed.ticks[i - 1]!).length;
    console.log({ sent, inversions, ticks: client.feed.ticks.length });
    expect(inversions).toBeGreaterThan(0);
  });

  it("duplicates unreliable messages at the configured rate, reliable ones never", async () => {
    const { host, client } = await pair({ duplicatePercent: 20, seed: 9 });
    const sent = await stream(5000, 2, (seq) => {
      host.feed.rpc("tick", seq);
      host.feed.rpc("order", seq);
    });
    await waitFor("every reliable call", () => client.feed.ordered.length === sent, [host, client]);
    await sleep(200);
    const ticks = client.feed.ticks;
    const duplicates = ticks.length - new Set(ticks).size;
    console.log({ sent, received: ticks.length, duplicates });
    // Within 4 standard deviations of a binomial at p = 0.2 (about ±5 % of ~1,000 messages).
    const [low, high] = binomialBounds(sent, 0.2);
    expect(duplicates).toBeGreaterThan(low);
    expect(duplicates).toBeLessThan(high);
    expect(new Set(ticks).size).toBe(sent); // nothing lost
    expect(client.feed.ordered).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
  });

  it("a bandwidth cap keeps the newest state fresh: old state is dropped at the sender, not queued", async () => {
    // As tests/e2e/bandwidth.spec.ts does with tc: 30 Hz × 3 KB = 720 kbit/s of state through a
    // 600 kbit/s link, for 8 s.
    const { host, client } = await pair({ bandwidthKbps: 600 });
    const filler = new Uint8Array(3000);
    const sentAt: number[] = [];
    const samples: Array<[at: number, newest: number]> = [];
    const started = Date.now();
    const sampler = setInterval(() => samples.push([Date.now(), client.feed.newest]), 250);
    cleanups.push(() => clearInterval(sampler));
    while (Date.now() - started < 8000) {
      sentAt.push(Date.now());
      host.feed.rpc("state", sentAt.length, filler);
      await sleep(1000 / 30);
      if (host.failures.length + client.failures.length > 0)
        throw new Error([...host.failures, ...client.failures].join());
    }
    clearInterval(sampler);
    const dropped = host.peer.debugStats().unreliableDropped;
    const behind = samples.map(([at, newest]) => sentAt.filter((t) => t <= at).length - newest);
    console.log("behind (states)", behind.join(" "), "sent", sentAt.length, "dropped", dropped);
    // Queued, the backlog would grow by 5 states a second; dropped, the client stays behind only
    // by what the channel's 16 KiB buffer (~5 states) and the states in flight hold.
    expect(Math.max(...behind.slice(-12))).toBeLessThanOrEqual(15);
    expect(dropped).toBeGreaterThanOrEqual(sentAt.length / 10);
    // And the cap holds: no more states arrived than 600 kbit/s (75,000 bytes a second) carries.
    const elapsed = (Date.now() - started) / 1000;
    console.log("states received", client.feed.states, "in", elapsed, "s");
    expect(client.feed.states * 3000).toBeLessThanOrEqual(75_000 * elapsed);
    expect(client.peer.getStats(1)!.received.bytesPerSecond).toBeGreaterThan(0);
  });
});
