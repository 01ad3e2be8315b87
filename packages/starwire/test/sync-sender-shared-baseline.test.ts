import { describe, expect, it } from "vitest";
import { Vector2 } from "../src/common.js";
import { MAX_SHARED_BASELINE_LAG } from "../src/replication/baseline-groups.js";
import {
  captureState,
  decodeSync,
  type EntityState,
  type PropertySpec,
  sameState,
} from "../src/replication/state-codec.js";
import { ReceivedStates, SentStates } from "../src/replication/state-history.js";
import { ACKS_PER_TICK } from "../src/replication/sync-receiver.js";
import { type DueState, SyncSender } from "../src/replication/sync-sender.js";

// Receivers whose acknowledgements reach the sender after different delays (round trips of 1–5
// ticks) or not at all: the sender should still encode a visibility group once per tick, and each
// receiver, decoding with its own history (the real ReceivedStates), must get every tick's state.

const specs: readonly PropertySpec[] = [
  { name: "position", precision: 0.01 },
  { name: "rotation", precision: 0.01 },
];
const ENTITIES = 64;
const IDS = Array.from({ length: ENTITIES }, (_, i) => i);
const LIMIT = 16 * 1024;

/** A seeded world of moving, spinning entities (as bench/replication-bytes.ts), 30 Hz. */
function statesAt(tick: number): Map<number, EntityState> {
  return new Map(
    IDS.map((id) => {
      const speed = 60 + ((id * 37) % 180);
      const angle = (id * 2.399) % (2 * Math.PI);
      const t = tick / 30;
      const position = new Vector2(100 + Math.cos(angle) * speed * t, 100 + Math.sin(angle) * speed * t);
      return [id, captureState(specs, [position, ((id % 7) - 3) * 0.5 * t])];
    }),
  );
}

interface Receiver {
  readonly peer: number;
  /** Ticks a SYNC sent at `tick` takes to reach the receiver (jitter: packets arrive bunched). */
  down: (tick: number) => number;
  /** Ticks an acknowledgement sent at `tick` takes to reach the sender; null: it is lost. */
  up: (tick: number) => number | null;
  readonly history: ReceivedStates;
}

interface Run {
  /** Encodes (groups) per tick. */
  readonly groups: number[];
  /** SYNC bytes per entity, per tick (the group's packets counted once per receiver). */
  readonly bytesPerEntity: number[];
  /** Per tick, per peer, the size of the group its packets went to. */
  readonly groupOf: Map<number, number>[];
  /** Per tick, per peer, the baseline tick (null: absolute). */
  readonly baselineOf: Map<number, number | null>[];
}

/**
 * Ticks of a host and its receivers. A receiver decodes what arrived, checks it holds each tick
 * whole as sent, and once per tick acknowledges the ticks it completed since the last time (as
 * SyncReceiver does, at most ACKS_PER_TICK), or with "newest" only its newest complete tick (as
 * it did before: of two ticks arriving together only the newer was acknowledged).
 */
function run(receivers: Receiver[], ticks: number, receiverAcks: "completed" | "newest" = "completed"): Run {
  const sender = new SyncSender(() => true);
  const peers = receivers.map((r) => r.peer);
  const acks: { at: number; peer: number; tick: number }[] = [];
  const inFlight: { at: number; receiver: Receiver; tick: number; packet: Uint8Array }[] = [];
  const sentStates = new Map<number, Map<number, EntityState>>();
  const out: Run = { groups: [], bytesPerEntity: [], groupOf: [], baselineOf: [] };
  for (let tick = 1; tick <= ticks; tick++) {
    for (const ack of acks.filter((a) => a.at === tick)) sender.acknowledge(ack.peer, ack.tick);
    const states = statesAt(tick);
    sentStates.set(tick, states);
    const due: DueState[] = IDS.map((id) => ({ id, specs, state: states.get(id)!, peers }));
    const groups = sender.encode(tick, due, LIMIT);
    out.groups.push(groups.length);
    const groupOf = new Map<number, number>();
    const baselineOf = new Map<number, number | null>();
    let bytes = 0;
    for (const group of groups) {
      for (const peer of group.peers) {
        groupOf.set(peer, group.peers.length);
        const receiver = receivers.find((r) => r.peer === peer)!;
        for (const packet of group.packets) {
          bytes += packet.length;
          inFlight.push({ at: tick + receiver.down(tick), receiver, tick, packet });
        }
      }
    }
    for (const receiver of receivers) {
      const completed: number[] = [];
      for (const arrival of inFlight.filter((a) => a.at === tick && a.receiver === receiver)) {
        const decoded = decodeSync(arrival.packet, {
          specs: () => specs,
          baseline: (t) => receiver.history.baseline(t),
        });
        if (!decoded.ok) throw new Error(`peer ${receiver.peer} tick ${arrival.tick}: ${decoded.message}`);
        baselineOf.set(receiver.peer, decoded.sync.baselineTick);
        if (!receiver.history.apply(decoded.sync)) continue;
        completed.push(arrival.tick);
        // What the receiver holds at that tick, left-out entries included, is what was sent.
        const held = receiver.history.baseline(arrival.tick)!;
        const sent = sentStates.get(arrival.tick)!;
        for (const id of IDS) expect(sameState(held.get(id)!, sent.get(id)!)).toBe(true);
      }
      const newest = receiver.history.newestComplete;
      if (newest !== null && !completed.includes(newest)) completed.push(newest);
      const up = receiver.up(tick);
      const owed =
        receiverAcks === "newest" ? (newest === null ? [] : [newest]) : completed.slice(-ACKS_PER_TICK);
      if (up !== null)
        for (const acked of owed) acks.push({ at: tick + up, peer: receiver.peer, tick: acked });
    }
    out.groupOf.push(groupOf);
    out.baselineOf.push(baselineOf);
    out.bytesPerEntity.push(bytes / peers.length / ENTITIES);
  }
  return out;
}

type Link = { down?: (tick: number) => number; up: (tick: number) => number | null };

function receivers(links: Link[]): Receiver[] {
  return links.map(({ down = () => 0, up }, i) => ({ peer: i + 2, down, up, history: new ReceivedStates() }));
}

/** Round trips of 1–5 ticks, each with its own seeded jitter on the way down. */
const jittery = (i: number): Link => ({
  down: (tick) => ((tick * (i + 3)) % 7 < 2 ? 1 : 0),
  up: () => 1 + (i % 5),
});

const average = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const WARMUP = 12;
const TICKS = 90;

describe("SyncSender: one baseline shared by receivers with different round trips", () => {
  // (The previous sender also got here after warm-up, by going back to any tick all acknowledged:
  // this guards that the lag bound does not split such receivers.)
  it("encodes once per tick after warm-up when acknowledgements arrive 1 to 5 ticks late, with jitter", () => {
    const result = run(receivers(Array.from({ length: 16 }, (_, i) => jittery(i))), TICKS);
    expect(result.groups.slice(WARMUP)).toEqual(new Array(TICKS - WARMUP).fill(1));
  });

  it("encodes at most twice per tick when each receiver loses a different third of its acknowledgements", () => {
    // Each receiver loses the acknowledgements of one tick in three, a different one per receiver
    // class: no tick is acknowledged by all of them, so no single baseline is provably held by
    // all; what bounds the encodes is the chain of baselines under each acknowledged tick.
    const lossy = (peer: number): Link => ({
      up: (tick) => ((tick + peer) % 3 === 0 ? null : 1 + (peer % 5)),
    });
    const result = run(receivers(Array.from({ length: 12 }, (_, i) => lossy(i))), TICKS);
    expect(Math.max(...result.groups.slice(WARMUP))).toBeLessThanOrEqual(2);
  });

  it("splits off a receiver that stops acknowledging; the others still share one encode, its states stay right", () => {
    const STOP = 30;
    const stalled: Link = { up: (tick) => (tick < STOP ? 2 : null) };
    const result = run(receivers([stalled, ...[1, 3, 5, 2].map((d) => ({ up: () => d }))]), TICKS);
    const stalledPeer = 2;
    // Once its newest acknowledged tick lags theirs by more than the bound, it has a group of its own.
    const split = STOP + MAX_SHARED_BASELINE_LAG + 6;
    for (let tick = split; tick <= TICKS; tick++) {
      expect(result.groupOf[tick - 1]!.get(stalledPeer), `tick ${tick}`).toBe(1);
      for (const peer of [3, 4, 5, 6]) expect(result.groupOf[tick - 1]!.get(peer)).toBe(4);
    }
    // Its own baseline (its last acknowledged tick) while the sender keeps it, then absolute.
    expect(result.baselineOf[TICKS - 1]!.get(stalledPeer)).toBeNull();
    // The others' baselines never lag their newest acknowledgement by more than the bound plus their round trip.
    for (let tick = split; tick <= TICKS; tick++) {
      const base = result.baselineOf[tick - 1]!.get(3)!;
      expect(tick - base).toBeLessThanOrEqual(MAX_SHARED_BASELINE_LAG + 5 + 2);
    }
  });

  it("costs at most 10 % more bytes per entity than one receiver acknowledging every tick 1 tick late", () => {
    const single = run(receivers([{ up: () => 1 }]), TICKS);
    const mixed = run(receivers(Array.from({ length: 16 }, (_, i) => jittery(i))), TICKS);
    const singleBytes = average(single.bytesPerEntity.slice(WARMUP));
    const mixedBytes = average(mixed.bytesPerEntity.slice(WARMUP));
    expect(mixedBytes).toBeLessThanOrEqual(singleBytes * 1.1);
    // And far below absolute states (the warm-up's first tick).
    expect(mixedBytes).toBeLessThan(mixed.bytesPerEntity[0]! * 0.75);
  });
});

describe("SyncSender with 32 receivers on seeded random links", () => {
  function seeded(seed: number): () => number {
    let x = seed;
    return () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 2 ** 32;
    };
  }
  /** Round trips of 1–6 ticks, 30 % of ticks a tick late on the way down, `loss` of acknowledgements lost. */
  const links = (loss: number): Link[] =>
    Array.from({ length: 32 }, (_, i) => {
      const random = seeded(i * 7919 + 1);
      const rtt = 1 + (i % 6);
      return { down: () => (random() < 0.3 ? 1 : 0), up: () => (random() < loss ? null : rtt) };
    });

  // Lost acknowledgements: a tick all 32 acknowledged becomes rare (0.8³² at 20 % loss), so the
  // group sometimes splits in two or three until one is. (Before shared baselines: ~7 encodes a
  // tick on these links, acknowledged once per tick or not.)
  const bounds = [
    { loss: 0, mean: 1, max: 1 },
    { loss: 0.05, mean: 1.5, max: 2 },
    { loss: 0.2, mean: 2.2, max: 3 },
  ];
  for (const { loss, mean, max } of bounds) {
    it(`encodes at most ${mean} times per tick on average (${max} at most) with ${loss * 100} % of acknowledgements lost, within 5 % of one receiver's bytes`, () => {
      const result = run(receivers(links(loss)), TICKS);
      expect(average(result.groups.slice(WARMUP))).toBeLessThanOrEqual(mean);
      expect(Math.max(...result.groups.slice(WARMUP))).toBeLessThanOrEqual(max);
      const single = run(receivers([{ up: () => 1 }]), TICKS);
      expect(average(result.bytesPerEntity.slice(WARMUP))).toBeLessThanOrEqual(
        average(single.bytesPerEntity.slice(WARMUP)) * 1.05,
      );
    });
  }

  it("acknowledging only the newest complete tick (as receivers did) splits them into about two encodes", () => {
    const result = run(receivers(links(0)), TICKS, "newest");
    expect(Math.max(...result.groups.slice(WARMUP))).toBeGreaterThan(1);
  });
});

describe("SentStates: what an acknowledgement proves", () => {
  it("a peer that acknowledged a tick holds the baselines under it, never a tick it was not sent", () => {
    const sent = new SentStates();
    const states = new Map<number, EntityState>();
    sent.record(1, [2, 3], states);
    sent.record(2, [2], states, 1);
    sent.record(3, [2], states, 2);
    sent.record(2, [3], new Map(), null);
    sent.acknowledge(2, 3);
    sent.acknowledge(3, 2);
    expect([1, 2, 3].map((tick) => sent.held(2, tick) !== undefined)).toEqual([true, true, true]);
    // Peer 3's tick 2 was absolute: it says nothing of tick 1.
    expect([1, 2, 3].map((tick) => sent.held(3, tick) !== undefined)).toEqual([false, true, false]);
  });
});
