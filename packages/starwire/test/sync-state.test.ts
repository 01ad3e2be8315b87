// SYNC through the state codec, end to end on the in-memory transport: what the synchronizers of
// a game put on the wire (deltas against acknowledged ticks, idle entities left out, one encoding
// per group of receivers, split ticks), how a receiver recovers from a lost history, the despawn
// race, client authority through the host, and interpolation under jitter and loss.
import { afterEach, describe, expect, it, vi } from "vitest";
import { MultiplayerSynchronizer, NetNode, Vector2 } from "../src/common.js";
import { sceneReplicationOf } from "../src/replication/scene-replication.js";
import { MAX_SYNC_PACKET_BYTES, readSyncHeader } from "../src/replication/state-codec.js";
import { Extended, extendedHead } from "../src/wire/commands.js";
import { decodeSyncAck } from "../src/wire/sync-packet.js";
import { buildWorld, flush, Player, recordSends, replicatedGame } from "./replication-helpers.js";

const SYNC = extendedHead(Extended.SYNC);
const SYNC_ACK = extendedHead(Extended.SYNC_ACK);
const RELAY_HEADER = 6;

afterEach(() => {
  vi.useRealTimers();
});

/** A moving 2D transform at /root/<name> on every peer: position and rotation at 0.01. */
class Mover extends NetNode {
  position = new Vector2(0, 0);
  rotation = 0;
  readonly sync = new MultiplayerSynchronizer("sync");
  constructor(name: string) {
    super(name);
    this.sync.replicationConfig = {
      position: { replicate: "always", precision: 0.01 },
      rotation: { replicate: "always", precision: 0.01 },
    };
    this.addChild(this.sync);
  }
}

type Sent = { to: number; bytes: Uint8Array }[];

/** SYNC packets to `to` (unwrapped from a relay), sent since `from` (an index into `sent`). */
const syncsTo = (sent: Sent, to: number, from = 0) =>
  sent
    .slice(from)
    .filter((packet) => packet.to === to)
    .map((packet) => (packet.bytes[0] === 0x04 ? packet.bytes.subarray(RELAY_HEADER) : packet.bytes))
    .filter((bytes) => bytes[0] === SYNC);

/** A little deterministic generator (mulberry32), for jitter and loss. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Puts SYNC packets a peer sends under the test's control: `decide` returns how many ms (of the
 * faked performance clock) to hold each one, or null to lose it; `release()` sends those due.
 */
function conditionSyncs(
  peer: { send: (...args: never[]) => void },
  decide: (bytes: Uint8Array) => number | null,
) {
  const original = peer.send.bind(peer) as (to: number, bytes: Uint8Array, ...rest: unknown[]) => void;
  const held: { at: number; args: [number, Uint8Array, ...unknown[]] }[] = [];
  (peer as unknown as { send: typeof original }).send = (to, bytes, ...rest) => {
    const inner = bytes[0] === 0x04 ? bytes.subarray(RELAY_HEADER) : bytes;
    if (inner[0] !== SYNC) return original(to, bytes, ...rest);
    const delay = decide(inner);
    if (delay === null) return;
    held.push({ at: performance.now() + delay, args: [to, bytes.slice(), ...rest] });
  };
  return {
    held,
    release(all = false) {
      const now = performance.now();
      for (const packet of held.filter((p) => all || p.at <= now)) {
        held.splice(held.indexOf(packet), 1);
        original(...packet.args);
      }
    },
  };
}

describe("SYNC through the state codec", () => {
  it("sends moving entities as small deltas once acknowledged, and idle ones not at all", async () => {
    const game = await replicatedGame(1);
    const count = 50;
    const movers = game.apis.map((api) =>
      Array.from({ length: count }, (_, i) => api.root.addChild(new Mover(`m${i}`))),
    );
    const to = game.joined[0]!.id;
    const sent = recordSends(game.host.peer);
    const move = () => {
      for (const [i, mover] of movers[0]!.entries()) {
        mover.position = new Vector2(mover.position.x + 0.5 + i * 0.01, mover.position.y - 0.25);
        mover.rotation += 0.05;
      }
    };
    for (let i = 0; i < 6; i++) {
      move();
      await game.tick();
    }
    // The first state of each entity is absolute; then deltas against what the client acknowledged.
    const mark = sent.length;
    move();
    await game.tick();
    const [moving] = syncsTo(sent, to, mark);
    const header = readSyncHeader(moving!)!;
    expect(header.baselineTick).not.toBeNull();
    const perEntity = (moving!.length - header.offset) / count;
    // position and rotation: 2 bytes a coordinate for up to ~80 units a tick at 0.01, 1 for the rest.
    expect(perEntity).toBeLessThanOrEqual(6);
    expect(perEntity).toBeGreaterThanOrEqual(4);
    for (const [i, mover] of movers[1]!.entries()) {
      const source = movers[0]![i]!;
      expect(Math.abs(mover.position.x - source.position.x)).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(Math.abs(mover.rotation - source.rotation)).toBeLessThanOrEqual(0.005 + 1e-9);
    }
    // Idle: the tick goes out as a header, every entity left out.
    await game.tick();
    const idleMark = sent.length;
    await game.tick();
    const idle = syncsTo(sent, to, idleMark);
    expect(idle).toHaveLength(1);
    expect(idle[0]!.length).toBe(readSyncHeader(idle[0]!)!.offset);
    // One moving among idle ones costs its own bytes only.
    const oneMark = sent.length;
    movers[0]![7]!.rotation += 0.01;
    await game.tick();
    const one = syncsTo(sent, to, oneMark)[0]!;
    expect(one.length - readSyncHeader(one)!.offset).toBeLessThanOrEqual(3);
    expect(movers[1]![7]!.rotation).toBeCloseTo(movers[0]![7]!.rotation, 2);
    expect(game.rejections).toEqual([]);
  });

  it("encodes a tick once for peers that see the same synchronizers, once more for a peer that sees fewer", async () => {
    const game = await replicatedGame(3);
    const movers = game.apis.map((api) => [0, 1, 2].map((i) => api.root.addChild(new Mover(`m${i}`))));
    const [two, three, four] = game.joined.map((client) => client.id) as [number, number, number];
    let hidden = true;
    movers[0]![1]!.sync.addVisibilityFilter((peer) => !(hidden && peer === four));
    const sent = recordSends(game.host.peer);
    for (let i = 0; i < 8; i++) {
      for (const mover of movers[0]!) mover.position = new Vector2(mover.position.x + 1, i);
      await game.tick();
    }
    const last = (to: number) => syncsTo(sent, to).at(-1)!;
    expect([...last(two)]).toEqual([...last(three)]);
    expect([...last(four)]).not.toEqual([...last(two)]);
    expect(movers[3]![1]!.position.x).toBe(0);
    expect(movers[3]![2]!.position.x).toBe(8);
    expect(movers[1]![1]!.position.x).toBe(8);
    // Once it sees the same synchronizers again (absolute states for it first), it rejoins the
    // others' group: one encoding for the three.
    hidden = false;
    // Peer 4 acknowledges only even ticks: alone, its baseline would differ from the others'.
    const peer4 = game.joined[2]!.peer as unknown as {
      send: (to: number, bytes: Uint8Array, ...rest: unknown[]) => void;
    };
    const send4 = peer4.send.bind(peer4);
    peer4.send = (to, bytes, ...rest) => {
      const tick = bytes[0] === SYNC_ACK ? decodeSyncAck(bytes) : null;
      if (typeof tick === "number" && tick % 2 === 1) return;
      send4(to, bytes, ...rest);
    };
    for (let i = 0; i < 8; i++) {
      for (const mover of movers[0]!) mover.position = new Vector2(mover.position.x + 1, i);
      await game.tick();
    }
    expect(movers[3]![1]!.position.x).toBe(16);
    expect([...last(four)]).toEqual([...last(two)]);
    expect([...last(three)]).toEqual([...last(two)]);
    expect(readSyncHeader(last(four))!.baselineTick).not.toBeNull();
    expect(game.rejections).toEqual([]);
  });

  it("keeps values within half their precision through a synchronizer", async () => {
    const game = await replicatedGame(1);
    const movers = game.apis.map((api) => api.root.addChild(new Mover("m")));
    await game.tick(2); // the synchronizer's id announced and confirmed
    const random = seeded(7);
    for (let i = 0; i < 40; i++) {
      const scale = 10 ** Math.floor(random() * 8);
      movers[0]!.position = new Vector2((random() - 0.5) * scale, (random() - 0.5) * scale);
      movers[0]!.rotation = (random() - 0.5) * 7;
      await game.tick();
      const [source, copy] = [movers[0]!, movers[1]!];
      expect(Math.abs(copy.position.x - source.position.x)).toBeLessThanOrEqual(0.005 * (1 + 1e-9));
      expect(Math.abs(copy.position.y - source.position.y)).toBeLessThanOrEqual(0.005 * (1 + 1e-9));
      expect(Math.abs(copy.rotation - source.rotation)).toBeLessThanOrEqual(0.005 * (1 + 1e-9));
    }
    expect(game.rejections).toEqual([]);
  });

  it("splits the first tick of 500 entities into packets that arrive whole, then sends deltas", async () => {
    class Tagged extends Mover {
      tag = "";
      constructor(name: string) {
        super(name);
        this.sync.replicationConfig = { ...this.sync.replicationConfig, tag: { replicate: "always" } };
      }
    }
    const game = await replicatedGame(1);
    const to = game.joined[0]!.id;
    const all = game.apis.map((api) =>
      Array.from({ length: 500 }, (_, i) => api.root.addChild(new Tagged(`t${i}`))),
    );
    for (const [i, node] of all[0]!.entries()) {
      node.tag = `entity number ${i}`.padEnd(40, ".");
      node.position = new Vector2(i, -i);
    }
    const sent = recordSends(game.host.peer);
    await game.tick(3);
    const first = syncsTo(sent, to).filter((bytes) => readSyncHeader(bytes)!.baselineTick === null);
    const parts = first.filter((bytes) => readSyncHeader(bytes)!.tick === readSyncHeader(first[0]!)!.tick);
    expect(parts.length).toBeGreaterThanOrEqual(2);
    for (const bytes of parts) expect(bytes.length).toBeLessThanOrEqual(MAX_SYNC_PACKET_BYTES);
    expect(all[1]!.map((node) => node.tag)).toEqual(all[0]!.map((node) => node.tag));
    expect(all[1]!.map((node) => node.position.x)).toEqual(all[0]!.map((node) => node.position.x));
    // The client acknowledged the split tick: later ticks are deltas, an idle world a header.
    const mark = sent.length;
    all[0]![499]!.position = new Vector2(1000, 0);
    await game.tick();
    const [delta] = syncsTo(sent, to, mark);
    expect(readSyncHeader(delta!)!.baselineTick).not.toBeNull();
    expect(delta!.length).toBeLessThan(20);
    expect(all[1]![499]!.position.x).toBe(1000);
    expect(game.rejections).toEqual([]);
  });

  it("recovers when a receiver lost its history: a stale baseline (not a rejection), a reset acknowledgement, absolute states, deltas again", async () => {
    const game = await replicatedGame(1);
    const stale: number[] = [];
    game.apis[1]!.on("staleBaseline", (from) => stale.push(from));
    const movers = game.apis.map((api) => [0, 1].map((i) => api.root.addChild(new Mover(`m${i}`))));
    const to = game.joined[0]!.id;
    const step = async (n = 1) => {
      for (let i = 0; i < n; i++) {
        for (const mover of movers[0]!) mover.position = new Vector2(mover.position.x + 1, 0);
        await game.tick();
      }
    };
    await step(5);
    // The client forgets every tick it held (as a reset of its replication would).
    sceneReplicationOf(game.apis[1]!.root)!.reset();
    const hostSent = recordSends(game.host.peer);
    const clientSent = recordSends(game.joined[0]!.peer);
    await step(6);
    // Honest: reported apart, never as a rejection of the host's packets.
    expect(game.rejections).toEqual([]);
    expect(game.apis[1]!.rejectionCount(1)).toBe(0);
    expect(stale.length).toBeGreaterThan(0);
    expect(stale.length).toBeLessThanOrEqual(2);
    expect(stale.every((from) => from === 1)).toBe(true);
    expect(game.apis[1]!.staleBaselineCount(1)).toBe(stale.length);
    // The client said so with the reset form of SYNC_ACK, the host answered with absolute states.
    expect(clientSent.some((packet) => packet.bytes.length === 1 && packet.bytes[0] === SYNC_ACK)).toBe(true);
    const backs = syncsTo(hostSent, to).map((bytes) => readSyncHeader(bytes)!.baselineTick);
    expect(backs).toContain(null);
    expect(backs.at(-1)).not.toBeNull();
    expect(movers[1]!.map((mover) => mover.position.x)).toEqual(movers[0]!.map((mover) => mover.position.x));
  });

  it("reads the rest of a SYNC that a DESPAWN overtook (the despawned synchronizer's specs are kept)", async () => {
    const game = await replicatedGame(1);
    const worlds = game.apis.map(buildWorld);
    const players = ["a", "b", "c"].map((name) => worlds[0]!.players.addChild(new Player(name)));
    await game.tick(4);
    const copies = () => worlds[1]!.players.children as Player[];
    expect(copies().map((p) => p.name)).toEqual(["a", "b", "c"]);
    // d arrives (its spawn confirms its synchronizer's id) but none of its states yet.
    const d = worlds[0]!.players.addChild(new Player("d"));
    await flush();
    let hold = true;
    const held = conditionSyncs(game.host.peer, () => (hold ? 1_000_000 : 0));
    for (const player of [...players, d]) player.x = 42;
    await game.tick(); // the SYNC naming a, b, c and d is held back
    expect(held.held.length).toBeGreaterThan(0);
    worlds[0]!.players.removeChild(players[1]!); // their DESPAWNs are not
    worlds[0]!.players.removeChild(d);
    await flush();
    expect(copies().map((p) => p.name)).toEqual(["a", "c"]);
    hold = false;
    held.release(true);
    await flush();
    expect(copies().map((p) => p.x)).toEqual([42, 42]);
    expect(game.rejections).toEqual([]);
  });

  it("relays a client's SYNC through the host, stamped with host ticks, as deltas to a group with the host", async () => {
    const game = await replicatedGame(2);
    const movers = game.apis.map((api) => api.root.addChild(new Mover("m")));
    const two = game.joined[0]!.id;
    for (const mover of movers) mover.sync.setMultiplayerAuthority(two);
    const clientSent = recordSends(game.joined[0]!.peer);
    const ticks: [number, number][] = [];
    for (let i = 1; i <= 8; i++) {
      movers[1]!.position = new Vector2(i, i);
      const mark = clientSent.length;
      await game.tick();
      const hostTick = game.apis[0]!.clock.tick;
      for (const bytes of syncsTo(clientSent, 1, mark)) ticks.push([readSyncHeader(bytes)!.tick, hostTick]);
    }
    expect(ticks.length).toBeGreaterThan(0);
    // Host ticks: the one the host is at when it arrives (the client's clock may be a tick off).
    for (const [tick, hostTick] of ticks) expect(Math.abs(tick - hostTick)).toBeLessThanOrEqual(1);
    const headers = syncsTo(clientSent, 1).map((bytes) => readSyncHeader(bytes)!);
    expect(headers.at(-1)!.baselineTick).not.toBeNull();
    // One relayed copy for everyone (target 0), checked by the host with its own history.
    expect(clientSent.filter((packet) => packet.bytes[0] === 0x04 && packet.bytes[6] === SYNC).length).toBe(
      headers.length,
    );
    expect(movers.map((mover) => mover.position.x)).toEqual([8, 8, 8]);
    // An old state sent again is dropped by host tick on both receivers.
    const old = syncsTo(clientSent, 1)[2]!;
    const stale = [0, 2].map((i) => sceneReplicationOf(game.apis[i]!.root)!.staleDropped);
    game.joined[0]!.peer.send(1, Uint8Array.of(0x04, 0x02, 0, 0, 0, 0, ...old), "unreliable", 0);
    await flush();
    await flush();
    expect(movers.map((mover) => mover.position.x)).toEqual([8, 8, 8]);
    expect([0, 2].map((i) => sceneReplicationOf(game.apis[i]!.root)!.staleDropped)).not.toEqual(stale);
    expect(game.rejections).toEqual([]);
  });

  it("rejects a SYNC from a peer that is not (or no longer) the authority, and stops interpolating for a new authority", async () => {
    class Glider extends NetNode {
      x = 0;
      readonly sync = new MultiplayerSynchronizer("sync");
      constructor() {
        super("glider");
        this.sync.replicationConfig = { x: { replicate: "always", precision: 0.01, interpolate: true } };
        this.addChild(this.sync);
      }
    }
    const game = await replicatedGame(2);
    const gliders = game.apis.map((api) => api.root.addChild(new Glider()));
    const two = game.joined[0]!.id;
    for (const glider of gliders) glider.sync.setMultiplayerAuthority(two);
    for (let i = 1; i <= 10; i++) {
      gliders[1]!.x = i;
      await game.tick();
    }
    await game.tick(10);
    expect(gliders.map((glider) => glider.x)).toEqual([10, 10, 10]);
    expect(gliders[0]!.sync.interpolationStats).not.toBeNull();
    // The host takes it back everywhere but on client 2, which goes on sending.
    gliders[0]!.sync.setMultiplayerAuthority(1);
    gliders[2]!.sync.setMultiplayerAuthority(1);
    gliders[0]!.x = 50; // the host's own value now: no interpolation may overwrite it
    gliders[1]!.x = 11;
    await game.tick(3);
    expect(gliders[0]!.x).toBe(50);
    expect(gliders[0]!.sync.interpolationStats).toBeNull();
    expect(gliders[2]!.x).toBe(50);
    expect(game.rejectedAt[0]!.map((r) => r.reason)).toContain("forbidden");
    expect(game.rejectedAt[0]!.every((r) => r.reason === "forbidden" && r.from === two)).toBe(true);
  });

  it("interpolates through a synchronizer under seeded jitter and loss: no backward step, no stall, the final value reached", async () => {
    class Glider extends NetNode {
      x = 0;
      readonly sync = new MultiplayerSynchronizer("sync");
      constructor() {
        super("glider");
        this.sync.replicationConfig = { x: { replicate: "always", precision: 0.01, interpolate: true } };
        this.addChild(this.sync);
      }
    }
    const game = await replicatedGame(1);
    const gliders = game.apis.map((api) => api.root.addChild(new Glider()));
    const random = seeded(11);
    // 20 ms of jitter on 30 ms of latency, 5 % of SYNC packets lost.
    const link = conditionSyncs(game.host.peer, () => (random() < 0.05 ? null : 30 + random() * 20));
    const FRAME = 1000 / 60;
    const shown: number[] = [];
    const frame = async () => {
      vi.advanceTimersByTime(FRAME);
      link.release();
      for (const api of game.apis) api.poll();
      await flush();
      shown.push(gliders[1]!.x);
    };
    // 3 s of motion at 2 units a second (quantized steps of 0.01), then 1 s at rest.
    const start = performance.now();
    for (let i = 0; i < 180; i++) {
      gliders[0]!.x = Math.round(((performance.now() - start) / 1000) * 2 * 100) / 100;
      await frame();
    }
    const final = gliders[0]!.x;
    for (let i = 0; i < 60; i++) await frame();
    for (let i = 1; i < shown.length; i++)
      expect(shown[i]!, `frame ${i}`).toBeGreaterThanOrEqual(shown[i - 1]!);
    expect(shown.at(-1)).toBe(final);
    expect(Math.max(...shown)).toBe(final);
    const stats = gliders[1]!.sync.interpolationStats!;
    expect(stats.stalls).toBe(0);
    expect(stats.loss).toBeGreaterThan(0);
    expect(game.rejections).toEqual([]);
  });
});
