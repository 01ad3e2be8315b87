// Property-based checks of the SYNC codec (src/replication/state-codec.ts):
// - random and mutated packets into the decoder never throw and never yield out-of-range data;
// - random states with random baselines and packet limits encode and decode back (within the
//   precision of the true values);
// - a sender and a group of receivers over a lossy, reordering link, acknowledging what they
//   complete: every state a receiver decodes equals what the sender captured for that tick.
// `npm run fuzz` (FUZZ_LONG=1) runs 50 times as many cases; FUZZ_SEED=<n> replays a run.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Color, Vector2, Vector3 } from "../src/common.js";
import { MAX_QUANTIZED } from "../src/replication/quantize.js";
import {
  captureState,
  decodeSync,
  type EntityState,
  encodeSync,
  MAX_SYNC_ID,
  type PropertySpec,
  SYNC_HEAD,
  type SyncEntry,
  type SyncLookup,
  sameState,
  stateValues,
} from "../src/replication/state-codec.js";
import { ReceivedStates, SentStates } from "../src/replication/state-history.js";
import { decodeValue } from "../src/wire/codec.js";

const LONG = process.env.FUZZ_LONG === "1";
const RUNS = LONG ? 50 : 1;
const SEED = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) };
const TIMEOUT = LONG ? 30 * 60_000 : 60_000;

/** Spec sets the receiver knows, by sync id % length. */
const SPEC_SETS: PropertySpec[][] = [
  [{ precision: 0.01 }, { precision: 0.01 }],
  [{ precision: 1 }, {}, {}],
  Array.from({ length: 10 }, (_, i) => (i % 3 === 0 ? {} : { precision: 0.5 })),
  [{ precision: 1 / 255 }],
  [{}],
];
const specsOf = (id: number) => SPEC_SETS[id % SPEC_SETS.length]!;

const plainValue = fc.oneof(
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 12 }),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 4 }),
  fc.dictionary(fc.constantFrom("a", "b", "hp"), fc.integer(), { maxKeys: 3 }),
);

/** A number that quantizes within range at this precision. */
const component = (precision: number) =>
  fc.oneof(
    fc.double({ min: -1000, max: 1000, noNaN: true }),
    fc.double({ min: -precision * MAX_QUANTIZED, max: precision * MAX_QUANTIZED, noNaN: true }),
  );

const quantizable = (precision: number) => {
  const c = component(precision);
  return fc.oneof(
    c,
    fc.tuple(c, c).map(([x, y]) => new Vector2(x, y)),
    fc.tuple(c, c, c).map(([x, y, z]) => new Vector3(x, y, z)),
    fc.tuple(c, c, c, c).map(([r, g, b, a]) => new Color(r, g, b, a)),
  );
};

const valuesFor = (specs: readonly PropertySpec[]) =>
  fc.tuple(...specs.map((spec) => (spec.precision === undefined ? plainValue : quantizable(spec.precision))));

/** Values like `base`, some properties changed (the usual case between two ticks). */
const nextValues = (specs: readonly PropertySpec[], base: readonly unknown[]) =>
  fc
    .tuple(valuesFor(specs), fc.array(fc.boolean(), { minLength: specs.length, maxLength: specs.length }))
    .map(([fresh, keep]) => fresh.map((value, i) => (keep[i] ? base[i] : value)));

/** What an ok decode must satisfy whatever the bytes were. */
function checkDecoded(bytes: Uint8Array, lookup: SyncLookup): void {
  const result = decodeSync(bytes, lookup);
  if (!result.ok) {
    expect(["malformed", "unknown_sync_id", "stale_baseline"]).toContain(result.reason);
    return;
  }
  const { sync } = result;
  expect(sync.entries.length).toBeLessThanOrEqual(bytes.length);
  expect(sync.tick).toBeLessThanOrEqual(0xffffffff);
  if (sync.baselineTick !== null) expect(sync.baselineTick).toBeGreaterThanOrEqual(0);
  let previous = -1;
  for (const { id, state } of sync.entries) {
    expect(id).toBeGreaterThan(previous);
    expect(id).toBeLessThanOrEqual(MAX_SYNC_ID);
    previous = id;
    const specs = lookup.specs(id)!;
    expect(state.length).toBe(specs.length);
    for (const [i, property] of state.entries()) {
      if (property.kind === "value") {
        expect(specs[i]!.precision).toBeUndefined();
        decodeValue(property.bytes);
      } else {
        expect(specs[i]!.precision).toBeDefined();
        expect(property.q.length).toBe({ number: 1, vector2: 2, vector3: 3, color: 4 }[property.kind]);
        for (const q of property.q) {
          expect(Number.isSafeInteger(q)).toBe(true);
          expect(Math.abs(q)).toBeLessThanOrEqual(MAX_QUANTIZED);
        }
      }
    }
    stateValues(specs, state);
  }
}

describe("SYNC decoder under hostile bytes", () => {
  // The receiver holds tick 100 with states for ids 0–9.
  const held = new Map<number, EntityState>();
  const sample = fc.sample(fc.tuple(...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((id) => valuesFor(specsOf(id)))), {
    numRuns: 1,
    seed: 42,
  })[0]!;
  for (const [id, values] of sample.entries()) held.set(id, captureState(specsOf(id), values));
  const lookup: SyncLookup = {
    specs: (id) => (id < 40 ? specsOf(id) : undefined),
    baseline: (tick) => (tick === 100 ? held : undefined),
  };

  it(
    "never throws nor yields out-of-range data on random bytes",
    () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 64 }),
          fc.integer({ min: 0, max: 20 }),
          fc.boolean(),
          (tail, tick, sync) => {
            const bytes = sync ? Uint8Array.of(SYNC_HEAD, 100 + tick, tick, 1, ...tail) : tail;
            checkDecoded(bytes, lookup);
          },
        ),
        { numRuns: 4_000 * RUNS, ...SEED },
      );
    },
    TIMEOUT,
  );

  it(
    "never throws nor yields out-of-range data on mutated valid packets",
    () => {
      const valid = fc
        .tuple(
          fc.uniqueArray(fc.integer({ min: 0, max: 39 }), { maxLength: 8 }),
          fc.integer({ min: 101, max: 140 }),
          fc.integer(),
        )
        .chain(([ids, tick, seed]) =>
          fc.tuple(...ids.map((id) => valuesFor(specsOf(id)))).map((all) => {
            const entries: SyncEntry[] = ids.map((id, i) => ({
              id,
              specs: specsOf(id),
              state: captureState(specsOf(id), all[i]!),
              baseline: (seed >> i) & 1 && held.has(id) ? held.get(id)! : null,
            }));
            return encodeSync({ tick, baselineTick: 100, entries });
          }),
        );
      const mutation = fc.oneof(
        fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
        fc.record({
          kind: fc.constant("set" as const),
          at: fc.nat(),
          value: fc.integer({ min: 0, max: 255 }),
        }),
        fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
        fc.record({
          kind: fc.constant("insert" as const),
          at: fc.nat(),
          value: fc.integer({ min: 0, max: 255 }),
        }),
      );
      fc.assert(
        fc.property(valid, fc.array(mutation, { minLength: 1, maxLength: 4 }), (packets, mutations) => {
          for (const packet of packets) {
            checkDecoded(packet, lookup);
            let bytes = [...packet];
            for (const m of mutations) {
              const at = bytes.length === 0 ? 0 : m.at % bytes.length;
              if (m.kind === "flip" && bytes.length) bytes[at]! ^= 1 << m.bit;
              else if (m.kind === "set" && bytes.length) bytes[at] = m.value;
              else if (m.kind === "cut") bytes = bytes.slice(0, at);
              else if (m.kind === "insert") bytes.splice(at, 0, m.value);
            }
            checkDecoded(Uint8Array.from(bytes), lookup);
          }
        }),
        { numRuns: 800 * RUNS, ...SEED },
      );
    },
    TIMEOUT,
  );
});

describe("SYNC round trip", () => {
  const withinPrecision = (decoded: unknown, value: unknown, precision: number): boolean => {
    const parts = (v: unknown): number[] =>
      typeof v === "number"
        ? [v]
        : v instanceof Vector2
          ? [v.x, v.y]
          : v instanceof Vector3
            ? [v.x, v.y, v.z]
            : v instanceof Color
              ? [v.r, v.g, v.b, v.a]
              : [];
    const [a, b] = [parts(decoded), parts(value)];
    return (
      a.length === b.length &&
      a.every((x, i) => Math.abs(x - b[i]!) <= precision / 2 + Math.abs(b[i]!) * Number.EPSILON)
    );
  };

  it(
    "decodes random states against random baselines back, split or not, within precision",
    () => {
      const entity = fc.integer({ min: 0, max: 5000 }).chain((id) =>
        valuesFor(specsOf(id)).chain((values) =>
          fc.record({
            id: fc.constant(id),
            values: fc.constant(values),
            baseline: fc.option(nextValues(specsOf(id), values), { freq: 2 }),
          }),
        ),
      );
      fc.assert(
        fc.property(
          fc.uniqueArray(entity, { selector: (e) => e.id, maxLength: 40 }),
          fc.integer({ min: 0, max: 2 ** 32 - 1 }),
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 48, max: 600 }),
          (raw, tick, back, maxPacketBytes) => {
            const baselineTick = tick - back >= 0 ? tick - back : null;
            const entries: SyncEntry[] = raw.map((e) => ({
              id: e.id,
              specs: specsOf(e.id),
              state: captureState(specsOf(e.id), e.values),
              baseline: baselineTick !== null && e.baseline ? captureState(specsOf(e.id), e.baseline) : null,
            }));
            let packets: Uint8Array[];
            try {
              packets = encodeSync({ tick, baselineTick, entries }, maxPacketBytes);
            } catch (error) {
              // Only the two documented refusals: an entry bigger than a packet, too many parts.
              expect((error as Error).message).toMatch(/more than one packet holds|more than 256/);
              return;
            }
            const baseline = new Map(
              entries.flatMap((e) => (e.baseline ? [[e.id, e.baseline] as const] : [])),
            );
            const lookup: SyncLookup = {
              specs: (id) => (raw.some((e) => e.id === id) ? specsOf(id) : undefined),
              baseline: (t) => (t === baselineTick ? baseline : undefined),
            };
            const received = packets.flatMap((packet, part) => {
              expect(packet.length).toBeLessThanOrEqual(maxPacketBytes);
              const result = decodeSync(packet, lookup);
              if (!result.ok) throw new Error(`${result.reason}: ${result.message}`);
              expect(result.sync).toMatchObject({
                tick,
                baselineTick,
                part,
                last: part === packets.length - 1,
              });
              return result.sync.entries;
            });
            const sent = [...entries]
              .sort((a, b) => a.id - b.id)
              .filter((e) => !e.baseline || !sameState(e.state, e.baseline));
            expect(received.map((e) => e.id)).toEqual(sent.map((e) => e.id));
            for (const [i, entry] of received.entries()) {
              expect(sameState(entry.state, sent[i]!.state)).toBe(true);
              const specs = specsOf(entry.id);
              const truth = raw.find((e) => e.id === entry.id)!.values;
              for (const [p, decoded] of stateValues(specs, entry.state).entries()) {
                const precision = specs[p]!.precision;
                if (precision !== undefined) expect(withinPrecision(decoded, truth[p], precision)).toBe(true);
              }
            }
          },
        ),
        { numRuns: 400 * RUNS, ...SEED },
      );
    },
    TIMEOUT,
  );

  it(
    "keeps a group of receivers equal to the sender over a lossy, reordering link",
    () => {
      fc.assert(
        fc.property(
          fc.integer(),
          fc.integer({ min: 0, max: 60 }),
          fc.integer({ min: 60, max: 400 }),
          (seed, lossPercent, mtu) => {
            let s = seed >>> 0 || 1;
            const random = () => {
              s ^= s << 13;
              s ^= s >>> 17;
              s ^= s << 5;
              return (s >>> 0) / 2 ** 32;
            };
            const peers = [2, 3, 4];
            const sender = new SentStates();
            const receivers = new Map(peers.map((peer) => [peer, new ReceivedStates()]));
            const truth = new Map<number, Map<number, EntityState>>(); // tick → id → state sent
            let world = new Map<number, unknown[]>();
            const inFlight: Array<{ at: number; peer: number; bytes: Uint8Array }> = [];
            const acks: Array<{ at: number; peer: number; tick: number }> = [];
            for (let tick = 1; tick <= 80; tick++) {
              // The world moves: entities change, appear and (rarely) go away.
              const next = new Map<number, unknown[]>();
              for (let id = 0; id < 30; id++) {
                const old = world.get(id);
                if (!old && random() < 0.2) continue;
                if (old && random() < 0.02) continue;
                const specs = specsOf(id);
                next.set(
                  id,
                  specs.map((spec, i) =>
                    old && random() < 0.5
                      ? old[i]
                      : spec.precision === undefined
                        ? random() < 0.5
                          ? Math.floor(random() * 10)
                          : `s${Math.floor(random() * 3)}`
                        : random() < 0.9
                          ? new Vector2((random() - 0.5) * 2000, (random() - 0.5) * 2000)
                          : (random() - 0.5) * 1e6,
                  ),
                );
              }
              world = next;
              const states = new Map(
                [...world].map(([id, values]) => [id, captureState(specsOf(id), values)]),
              );
              truth.set(tick, states);
              const baseline = sender.baseline(peers, tick);
              const entries = [...states].map(([id, state]) => ({
                id,
                specs: specsOf(id),
                state,
                baseline: baseline?.states.get(id) ?? null,
              }));
              const packets = encodeSync({ tick, baselineTick: baseline?.tick ?? null, entries }, mtu);
              sender.record(tick, peers, states);
              for (const peer of peers)
                for (const bytes of packets)
                  if (random() * 100 >= lossPercent)
                    inFlight.push({ at: tick + Math.floor(random() * 4), peer, bytes });
              // Deliver what is due, in random order; receivers acknowledge completed ticks.
              const due = inFlight.filter((p) => p.at <= tick).sort(() => random() - 0.5);
              for (const p of due) inFlight.splice(inFlight.indexOf(p), 1);
              for (const { peer, bytes } of due) {
                const history = receivers.get(peer)!;
                const result = decodeSync(bytes, {
                  specs: (id) => (id < 30 ? specsOf(id) : undefined),
                  baseline: (t) => history.baseline(t),
                });
                if (!result.ok) {
                  // Only a baseline the receiver evicted after acknowledging it, on a very late packet.
                  expect(result.reason).toBe("stale_baseline");
                  continue;
                }
                const sent = truth.get(result.sync.tick)!;
                for (const entry of result.sync.entries)
                  expect(sameState(entry.state, sent.get(entry.id)!)).toBe(true);
                if (history.apply(result.sync)) {
                  const held = history.baseline(result.sync.tick)!;
                  for (const [id, state] of sent) expect(sameState(held.get(id)!, state)).toBe(true);
                  if (random() * 100 >= lossPercent)
                    acks.push({ at: tick + Math.floor(random() * 3), peer, tick: result.sync.tick });
                }
              }
              for (const ack of acks.filter((a) => a.at <= tick)) {
                acks.splice(acks.indexOf(ack), 1);
                sender.acknowledge(ack.peer, ack.tick);
              }
            }
          },
        ),
        { numRuns: 15 * RUNS, ...SEED },
      );
    },
    TIMEOUT,
  );
});
