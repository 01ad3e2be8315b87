// The network clock on real MultiplayerAPIs over the in-memory transport, with fake timers (which
// also drive performance.now) and MemoryNetwork.latency, so that every time is exact.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MemoryMultiplayerPeer, MemoryNetwork, MultiplayerAPI, type Rejection } from "../src/common.js";
import { BURST_INTERVAL_MS, PING_INTERVAL_MS } from "../src/multiplayer/clock.js";
import { SYNC_SAMPLES } from "../src/multiplayer/clock-estimator.js";
import { encodeClockPing, encodeClockPong } from "../src/wire/clock-packet.js";
import { encodeRelay } from "../src/wire/system-packet.js";

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

async function openRoom(network: MemoryNetwork) {
  const api = new MultiplayerAPI();
  const peer = new MemoryMultiplayerPeer(network);
  const { roomCode } = await peer.createServer({ maxPlayers: 8 });
  api.peer = peer;
  const rejected: Rejection[] = [];
  api.on("rejected", (r) => rejected.push(r));
  return { api, peer, roomCode, rejected };
}

async function client(network: MemoryNetwork, roomCode: string) {
  const api = new MultiplayerAPI();
  const peer = new MemoryMultiplayerPeer(network);
  api.peer = peer;
  await peer.createClient(roomCode);
  const rejected: Rejection[] = [];
  api.on("rejected", (r) => rejected.push(r));
  return { api, peer, id: peer.uniqueId, rejected };
}

/** Advances until `condition` holds, 1 ms at a time; fails after `ms`. */
async function within(ms: number, condition: () => boolean): Promise<number> {
  for (let t = 0; t <= ms; t++) {
    if (condition()) return t;
    await advance(1);
  }
  throw new Error(`not within ${ms} ms`);
}

const apis: MultiplayerAPI[] = [];
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  for (const api of apis.splice(0)) api.peer = null;
  vi.useRealTimers();
});

/** A host up for `hostAge` ms, then one client; `latency` both ways unless a function is given. */
async function game(latency: number | ((from: number, to: number) => number), hostAge = 60_000) {
  const network = new MemoryNetwork();
  network.latency = typeof latency === "number" ? () => latency : latency;
  const h = await openRoom(network);
  await advance(hostAge);
  const c = await client(network, h.roomCode);
  apis.push(h.api, c.api);
  return { network, host: h, client: c };
}

describe("network clock", () => {
  it("a client learns the host's time and tick within a few pings, with symmetric latency", async () => {
    const { host, client } = await game(40);
    expect(host.api.clock.synchronized).toBe(true);
    expect(host.api.clock.now()).toBeCloseTo(60_000, 0);
    expect(client.api.clock.synchronized).toBe(false);
    expect(client.api.clock.now()).toBeLessThan(1); // its stand-in: time since its transport was set
    const took = await within(2000, () => client.api.clock.synchronized);
    // connection (40 ms) + SYNC_SAMPLES pings a burst interval apart + their round trip, + a tick
    expect(took).toBeLessThanOrEqual(40 + (SYNC_SAMPLES - 1) * BURST_INTERVAL_MS + 80 + 40);
    expect(Math.abs(client.api.clock.now() - host.api.clock.now())).toBeLessThan(0.5);
    expect(client.api.clock.rttMs).toBe(80);
    expect(host.api.clock.rttMs).toBe(0);
    await advance(10_000);
    for (let i = 0; i < 50; i++) {
      await advance(7);
      expect(Math.abs(client.api.clock.now() - host.api.clock.now())).toBeLessThan(0.5);
      expect(client.api.clock.tick).toBe(host.api.clock.tick);
    }
    expect(client.api.clock.tick).toBe(Math.floor((host.api.clock.now() * 30) / 1000));
  });

  it("pings once a second after the burst, over the unreliable channel", async () => {
    const { client } = await game(10);
    const pings: Array<[number, string]> = [];
    const send = client.peer.send.bind(client.peer);
    client.peer.send = (to, data, transfer, channel) => {
      if (data[0] === 0x2f) pings.push([Math.round(performance.now()), transfer]);
      send(to, data, transfer, channel);
    };
    await within(2000, () => client.api.clock.synchronized);
    const before = pings.length;
    await advance(10_000);
    expect(pings.length - before).toBeGreaterThanOrEqual(9);
    expect(pings.length - before).toBeLessThanOrEqual(11);
    expect(new Set(pings.map(([, transfer]) => transfer))).toEqual(new Set(["unreliable"]));
    const gaps = pings.slice(before + 1).map(([at], i) => at - pings[before + i]![0]);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(PING_INTERVAL_MS);
    expect(pings.slice(0, SYNC_SAMPLES).every(([at], i) => i === 0 || at - pings[i - 1]![0] < 200)).toBe(
      true,
    );
  });

  it("filters asymmetric jitter by the lowest round trip: within a few ms of the host", async () => {
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    // client → host: 30 ms plus queueing (exponential, mean 40 ms); host → client: 30 ms steady
    const { host, client } = await game((from) => (from === 1 ? 30 : 30 - 40 * Math.log(1 - next())));
    await within(5000, () => client.api.clock.synchronized);
    await advance(20_000);
    const errors: number[] = [];
    let last = client.api.clock.now();
    for (let i = 0; i < 300; i++) {
      await advance(50);
      const now = client.api.clock.now();
      expect(now).toBeGreaterThanOrEqual(last);
      last = now;
      errors.push(Math.abs(now - host.api.clock.now()));
    }
    expect(Math.max(...errors)).toBeLessThan(8);
    expect(errors.reduce((a, b) => a + b, 0) / errors.length).toBeLessThan(4);
  });

  it("never goes backwards on a client, and corrects by slewing when the latency changes", async () => {
    let up = 10;
    const { host, client } = await game((from) => (from === 1 ? 10 : up));
    await within(2000, () => client.api.clock.synchronized);
    await advance(5000);
    // The uplink slows for good: every new sample says the host is 40 ms further ahead than it is.
    up = 90;
    // The old, faster samples keep the target until they leave the window (8 s), then it slews.
    let last = client.api.clock.now();
    let fastest = 0;
    for (let i = 0; i < 5000; i++) {
      await advance(4);
      const now = client.api.clock.now();
      expect(now).toBeGreaterThanOrEqual(last);
      fastest = Math.max(fastest, (now - last) / 4);
      last = now;
    }
    expect(fastest).toBeGreaterThan(1.04); // it did slew, at the cap
    expect(fastest).toBeLessThanOrEqual(1.05 + 1e-9);
    // All of the extra uplink delay is counted as half on each side: off by half of it.
    expect(client.api.clock.now() - host.api.clock.now()).toBeCloseTo(40, 0);
  });

  it("starts over when the host goes, and follows the next host's time", async () => {
    const { network, host, client } = await game(5);
    await within(2000, () => client.api.clock.synchronized);
    host.api.peer = null;
    await advance(20);
    expect(client.api.clock.synchronized).toBe(false);
    expect(client.api.clock.rttMs).toBeNull();
    const next = await openRoom(network);
    apis.push(next.api);
    await advance(3000);
    const again = await join(network, next.roomCode, client.api);
    await within(2000, () => again.api.clock.synchronized);
    expect(Math.abs(again.api.clock.now() - next.api.clock.now())).toBeLessThan(0.5);
    expect(next.api.clock.now()).toBeLessThan(4000); // the new host's time counts from its transport
  });

  it("the host's time restarts with a new transport", async () => {
    const network = new MemoryNetwork();
    const h = await openRoom(network);
    apis.push(h.api);
    await advance(5000);
    expect(h.api.clock.now()).toBeCloseTo(5000, 0);
    const peer = new MemoryMultiplayerPeer(network);
    await peer.createServer({ maxPlayers: 2 });
    h.api.peer = peer;
    expect(h.api.clock.now()).toBeLessThan(1);
    await advance(100);
    expect(h.api.clock.tick).toBe(3);
  });

  it("the host learns each client's round trip, which it forgets when the client leaves", async () => {
    const { host, client } = await game((from) => (from === 1 ? 15 : 25));
    await within(2000, () => host.api.clock.rttOf(client.id) !== null);
    expect(host.api.clock.rttOf(client.id)).toBe(40);
    expect(host.api.clock.rttOf(1)).toBe(0);
    expect(client.api.clock.rttOf(1)).toBe(40);
    client.api.peer = null;
    await advance(100);
    expect(host.api.clock.rttOf(client.id)).toBeNull();
  });
});

describe("network clock, hostile input", () => {
  async function connected(latency = 1) {
    const { host, client, network } = await game(latency);
    await within(2000, () => client.api.clock.synchronized);
    const other = await join(network, host.roomCode);
    await within(100, () => client.api.getPeers().length === 2);
    return { host, client, other };
  }
  const ping = (sent: number, rttUs: number | null = null) => encodeClockPing({ sent, rttUs });
  const f64 = (head: number, ...times: number[]) => {
    const bytes = new Uint8Array(1 + 8 * times.length);
    bytes[0] = head;
    for (const [i, t] of times.entries()) new DataView(bytes.buffer).setFloat64(1 + 8 * i, t, true);
    return bytes;
  };

  it("the host rejects malformed pings, absurd times, pongs, and any clock packet inside a relay", async () => {
    const { host, client, other } = await connected();
    const send = (bytes: Uint8Array) => client.peer.send(1, bytes, "unreliable", 0);
    const pongs: Uint8Array[] = [];
    const hostSend = host.peer.send.bind(host.peer);
    host.peer.send = (to, data, transfer, channel) => {
      if (to === client.id && data[0] === 0x37) pongs.push(data);
      hostSend(to, data, transfer, channel);
    };
    await advance(5); // the client's own pings in flight settle
    host.rejected.length = 0;
    pongs.length = 0;
    for (const bytes of [
      Uint8Array.of(0x2f),
      Uint8Array.of(0x2f, 1, 2, 3),
      f64(0x2f, Number.NaN),
      f64(0x2f, Number.POSITIVE_INFINITY),
      f64(0x2f, -1),
      f64(0x2f, 2 ** 41),
      Uint8Array.of(...ping(5), 0x80), // truncated round trip
      Uint8Array.of(...ping(5, 3), 0), // trailing byte
      ping(5, 60_000_001), // a round trip over a minute
    ])
      send(bytes);
    send(encodeClockPong({ sent: 1, hostTime: 2 }));
    send(encodeRelay(1, ping(5)));
    send(encodeRelay(other.id, ping(5)));
    send(encodeRelay(0, encodeClockPong({ sent: 1, hostTime: 2 })));
    await advance(5);
    expect(host.rejected.map((r) => r.reason)).toEqual([
      ...Array(9).fill("malformed"),
      ...Array(4).fill("forbidden"),
    ]);
    expect(pongs).toEqual([]);
    expect(other.rejected).toEqual([]); // nothing was forwarded
    // a well-formed ping is answered, with the echo and the host's time when it arrived
    const arrival = host.api.clock.now() + 1;
    send(ping(1234.5, 999));
    await advance(5);
    expect(pongs).toHaveLength(1);
    const view = new DataView(pongs[0]!.buffer, pongs[0]!.byteOffset);
    expect(view.getFloat64(1, true)).toBe(1234.5);
    expect(view.getFloat64(9, true)).toBeCloseTo(arrival, 6);
    expect(host.api.clock.rttOf(client.id)).toBe(0.999);
  });

  it("a client rejects pings, pongs from anyone but the host, and pongs that answer none of its pings", async () => {
    const { host, client, other } = await connected();
    await advance(5);
    client.rejected.length = 0;
    const before = client.api.clock.now();
    const toClient = (bytes: Uint8Array) => host.peer.send(client.id, bytes, "unreliable", 0);
    toClient(ping(5));
    toClient(encodeClockPong({ sent: 77.25, hostTime: 1e9 })); // answers no ping of this client
    toClient(f64(0x37, 0, Number.NaN));
    toClient(f64(0x37, 0));
    toClient(encodeRelay(other.id, encodeClockPong({ sent: 0, hostTime: 1e9 })));
    toClient(encodeRelay(other.id, ping(5)));
    await advance(5);
    expect(client.rejected.map((r) => [r.from, r.reason])).toEqual([
      [1, "forbidden"],
      [1, "malformed"],
      [1, "malformed"],
      [1, "malformed"],
      [other.id, "forbidden"],
      [other.id, "forbidden"],
    ]);
    expect(client.api.clock.now() - before).toBeLessThan(10); // nothing moved the clock
  });

  it("a client flooding pings is held to the host's rate limits", async () => {
    const { host, client } = await connected(0);
    await advance(5);
    host.rejected.length = 0;
    client.rejected.length = 0;
    const burst = host.api.rateLimits.messageBurst;
    for (let i = 0; i < burst + 500; i++) client.peer.send(1, ping(i), "unreliable", 0);
    await advance(5);
    const limited = host.rejected.filter((r) => r.reason === "rate_limited").length;
    expect(limited).toBeGreaterThanOrEqual(500 - 5);
    // every answered ping came back as a pong the client never asked for
    expect(client.rejected.length + limited).toBeLessThanOrEqual(burst + 500);
    expect(client.rejected.length).toBeLessThanOrEqual(burst);
  });
});

/** A client joining on an API of its own or a given one (which then joins another room). */
async function join(network: MemoryNetwork, roomCode: string, api = new MultiplayerAPI()) {
  const peer = new MemoryMultiplayerPeer(network);
  api.peer = peer;
  await peer.createClient(roomCode);
  apis.push(api);
  const rejected: Rejection[] = [];
  api.on("rejected", (r) => rejected.push(r));
  return { api, peer, id: peer.uniqueId, rejected };
}
