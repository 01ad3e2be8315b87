// The SYNC codec (src/replication/state-codec.ts): WIRE.md's SYNC vectors both ways, quantization
// bounds and range, deltas, masks, idle entities, splitting, and what a receiver refuses.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { godotSyncEntrySize, godotSyncTickBytes, godotTransform2D } from "../../../bench/lib/godot-sync.js";
import { Color, Color8, Vector2, Vector3 } from "../src/common.js";
import { MAX_QUANTIZED } from "../src/replication/quantize.js";
import {
  captureState,
  decodeSync,
  type EntityState,
  encodeSync,
  MAX_SYNC_PACKET_BYTES,
  type PropertySpec,
  readSyncHeader,
  SYNC_HEAD,
  type SyncEntry,
  type SyncLookup,
  sameState,
  stateValues,
} from "../src/replication/state-codec.js";

const revive = (_key: string, value: unknown) => {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const [tag, parts] = (Object.entries(value)[0] ?? []) as [string, number[]];
    if (tag === "$vector2") return new Vector2(...(parts as [number, number]));
    if (tag === "$vector3") return new Vector3(...(parts as [number, number, number]));
    if (tag === "$color8") return Color8(...(parts as [number, number, number, number]));
  }
  return value;
};

interface VectorEntry {
  id: number;
  specs: PropertySpec[];
  values: unknown[];
  baseline: unknown[] | null;
}
interface VectorPacket {
  tick: number;
  baselineTick: number | null;
  maxPacketBytes?: number;
  entries: VectorEntry[];
}

const wireMd = readFileSync(new URL("../WIRE.md", import.meta.url), "utf8");
const vectors = [...wireMd.matchAll(/```sync-vector\n([\s\S]*?)```/g)].map(([, body]) => ({
  name: body!.match(/^name: (.*)$/m)![1]!,
  packet: JSON.parse(body!.match(/^packet: (.*)$/m)![1]!, revive) as VectorPacket,
  packets: [...body!.matchAll(/^hex: (.*)$/gm)].map(([, hex]) =>
    hex!.split(" ").map((byte) => Number.parseInt(byte, 16)),
  ),
}));

/** A receiver that knows these specs and holds these states at `baselineTick`. */
function lookupOf(
  entries: ReadonlyArray<{ id: number; specs: readonly PropertySpec[]; baseline: EntityState | null }>,
  baselineTick: number | null,
): SyncLookup {
  const states = new Map(entries.flatMap((e) => (e.baseline ? [[e.id, e.baseline] as const] : [])));
  const specs = new Map(entries.map((e) => [e.id, e.specs]));
  return {
    specs: (id) => specs.get(id),
    baseline: (tick) => (tick === baselineTick ? states : undefined),
  };
}

function decodeOk(bytes: Uint8Array, lookup: SyncLookup) {
  const result = decodeSync(bytes, lookup);
  if (!result.ok) throw new Error(`${result.reason}: ${result.message}`);
  return result.sync;
}

describe("WIRE.md SYNC vectors", () => {
  it("has them", () => expect(vectors.length).toBeGreaterThanOrEqual(6));
  for (const vector of vectors) {
    it(vector.name, () => {
      const { packet } = vector;
      const entries: SyncEntry[] = packet.entries.map((e) => ({
        id: e.id,
        specs: e.specs,
        state: captureState(e.specs, e.values),
        baseline: e.baseline && captureState(e.specs, e.baseline),
      }));
      const sync = { tick: packet.tick, baselineTick: packet.baselineTick, entries };
      const encoded = encodeSync(sync, packet.maxPacketBytes);
      expect(encoded.map((bytes) => [...bytes])).toEqual(vector.packets);

      const lookup = lookupOf(entries, packet.baselineTick);
      const decoded = vector.packets.map((bytes) => decodeOk(Uint8Array.from(bytes), lookup));
      decoded.forEach((part, index) => {
        expect(part).toMatchObject({ tick: packet.tick, baselineTick: packet.baselineTick, part: index });
        expect(part.last).toBe(index === decoded.length - 1);
      });
      const sent = entries.filter((e) => !e.baseline || !sameState(e.state, e.baseline));
      const received = decoded.flatMap((part) => part.entries);
      expect(received.map((e) => e.id)).toEqual(sent.map((e) => e.id));
      for (const [i, entry] of received.entries()) expect(sameState(entry.state, sent[i]!.state)).toBe(true);
    });
  }
});

const TRANSFORM: PropertySpec[] = [
  { precision: 0.01, name: "position" },
  { precision: 0.01, name: "rotation" },
];
const transform = (x: number, y: number, r: number) => captureState(TRANSFORM, [new Vector2(x, y), r]);

describe("quantization", () => {
  /** Sends one number with this precision absolute, then as a delta, and reads it back. */
  function roundTrip(value: number, precision: number, from = 0): number[] {
    const specs = [{ precision }];
    const results = [];
    for (const baseline of [null, captureState(specs, [from])]) {
      const entry = { id: 1, specs, state: captureState(specs, [value]), baseline };
      const [bytes] = encodeSync({ tick: 10, baselineTick: baseline ? 9 : null, entries: [entry] });
      const sync = decodeOk(bytes!, lookupOf([entry], 9));
      results.push(sync.entries.length ? (stateValues(specs, sync.entries[0]!.state)[0] as number) : from);
    }
    return results;
  }
  // The bound of WIRE.md: precision / 2, plus float64's rounding of q × precision (half an ulp).
  const withinBound = (decoded: number, value: number, precision: number) =>
    Math.abs(decoded - value) <= precision / 2 + Math.abs(value) * Number.EPSILON;

  it("keeps every decoded number within precision / 2, large and negative ones included", () => {
    const precisions = fc.constantFrom(1, 0.5, 0.1, 0.01, 0.001, 1 / 255, 3, 1e-6);
    fc.assert(
      fc.property(
        precisions,
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 50 }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        (precision, unit, exponent, from) => {
          const value = unit * precision * 2 ** exponent; // up to the edge of the range
          for (const decoded of roundTrip(value, precision, from))
            expect(withinBound(decoded, value, precision), `${value} at ${precision}: ${decoded}`).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("reads exact multiples of the precision back exactly, and -0 as 0", () => {
    expect(roundTrip(12.5, 0.5)).toEqual([12.5, 12.5]);
    expect(roundTrip(-7, 1)).toEqual([-7, -7]);
    expect(Object.is(roundTrip(-0.001, 0.01)[0], 0)).toBe(true);
    expect(captureState([{ precision: 0.01 }], [-0.001])).toEqual(captureState([{ precision: 0.01 }], [0]));
  });

  it("carries the whole range: |value| up to precision × 2^50, deltas across it beyond 32 bits", () => {
    const edge = MAX_QUANTIZED * 0.01;
    expect(roundTrip(edge, 0.01, -edge)).toEqual([edge, edge]);
    expect(roundTrip(-edge, 0.01, edge)).toEqual([-edge, -edge]);
    expect(roundTrip(5e9, 1, -5e9)).toEqual([5e9, 5e9]); // a delta of 1e10 > 2^32
  });

  it("refuses NaN, infinities and values beyond the range at the sender", () => {
    const specs = [{ precision: 0.01, name: "x" }];
    expect(() => captureState(specs, [Number.NaN])).toThrow(/"x" is NaN/);
    expect(() => captureState(specs, [Number.POSITIVE_INFINITY])).toThrow(RangeError);
    expect(() => captureState(specs, [Number.NEGATIVE_INFINITY])).toThrow(RangeError);
    expect(() => captureState(specs, [MAX_QUANTIZED * 0.01 * 1.001])).toThrow(/beyond the range/);
    expect(() => captureState(specs, [-1e300])).toThrow(RangeError);
    expect(() => captureState(TRANSFORM, [new Vector2(1, Number.NaN), 0])).toThrow(/"position" is NaN/);
    expect(() => captureState([{ precision: 1 }], [new Color(Number.NaN, 0, 0)])).toThrow(RangeError);
  });

  it("refuses a bad precision, a value that cannot be quantized and a count mismatch", () => {
    expect(() => captureState([{ precision: 0 }], [1])).toThrow(/precision must be/);
    expect(() => captureState([{ precision: -1 }], [1])).toThrow(RangeError);
    expect(() => captureState([{ precision: Number.NaN }], [1])).toThrow(RangeError);
    expect(() => captureState([{ precision: 1 }], ["1"])).toThrow(TypeError);
    expect(() => captureState([{ precision: 1 }], [{ x: 1, y: 2 }])).toThrow(TypeError);
    expect(() => captureState(TRANSFORM, [new Vector2()])).toThrow(/1 values for 2 properties/);
  });

  it("reads back Vector2, Vector3, Color and unquantized values as fresh objects", () => {
    const specs = [{ precision: 0.5 }, { precision: 0.25 }, { precision: 1 / 255 }, {}, {}, {}];
    const values = [
      new Vector2(1.5, -2),
      new Vector3(0.25, 0.5, -0.75),
      Color8(255, 128, 0, 255),
      "name",
      { list: [1, true, null], bytes: Uint8Array.of(1, 2) },
      7.25,
    ];
    const state = captureState(specs, values);
    const back = stateValues(specs, state);
    expect(back.slice(0, 2)).toEqual(values.slice(0, 2));
    const color = back[2] as Color;
    expect(color).toBeInstanceOf(Color);
    for (const key of ["r", "g", "b", "a"] as const)
      expect(Math.abs(color[key] - (values[2] as Color)[key])).toBeLessThanOrEqual(1 / 510 + 1e-12);
    expect(back.slice(3)).toEqual(values.slice(3));
    expect(stateValues(specs, state)[0]).not.toBe(back[0]);
  });
});

describe("encodeSync", () => {
  it("sends a moving 2D transform in 6 bytes and an idle one in none", () => {
    const moving = {
      id: 200,
      specs: TRANSFORM,
      state: transform(110, 50, 1.2),
      baseline: transform(100, 45, 1),
    };
    const idle = { id: 201, specs: TRANSFORM, state: transform(3, 4, 0), baseline: transform(3, 4, 0) };
    const [alone] = encodeSync({ tick: 1000, baselineTick: 997, entries: [moving] });
    const [both] = encodeSync({ tick: 1000, baselineTick: 997, entries: [moving, idle] });
    const header = 1 + 2 + 1 + 1;
    expect(alone!.length).toBe(header + 2 + 5); // id 200 as a packet's first entry: a 2-byte prefix
    expect(both).toEqual(alone);
    const next = { ...moving, id: 202 };
    const [two] = encodeSync({ tick: 1000, baselineTick: 997, entries: [moving, idle, next] });
    expect(two!.length - alone!.length).toBe(6); // the gap to 202 fits the 1-byte prefix
  });

  // WIRE.md's comparison: Godot's size from Godot's wire format (bench/lib/godot-sync.ts cites it).
  it("beats Godot 4's 28 bytes per moving transform, and its 28 per idle one", () => {
    expect(godotSyncEntrySize(godotTransform2D(110, 50, 1.2))).toBe(28);
    expect(godotSyncEntrySize(godotTransform2D(3, 4, 0))).toBe(28);
    // 48 entries of 28 bytes fill a 1350-byte packet after its 3-byte header: 200 take 5 packets.
    expect(godotSyncTickBytes(Array.from({ length: 200 }, () => godotTransform2D(1, 2, 3)))).toBe(
      200 * 28 + 5 * 3,
    );
    expect(wireMd).toMatch(/28 bytes per entity per tick there, moving or idle; here 6 bytes moving/);
  });

  it("sends a header-only packet when nothing changed, so the tick is still learned", () => {
    const entries = Array.from({ length: 200 }, (_, id) => ({
      id,
      specs: TRANSFORM,
      state: transform(id, id, 0),
      baseline: transform(id, id, 0),
    }));
    const packets = encodeSync({ tick: 1000, baselineTick: 999, entries });
    expect(packets.map((p) => [...p])).toEqual([[SYNC_HEAD, 0xe8, 0x07, 0x01, 0x01]]);
    expect(decodeOk(packets[0]!, lookupOf(entries, 999)).entries).toEqual([]);
  });

  it("sends only the changed properties of an entity, with a mask, and reuses unchanged states", () => {
    const specs: PropertySpec[] = Array.from({ length: 10 }, () => ({ precision: 1 }));
    const before = captureState(
      specs,
      specs.map((_, i) => i),
    );
    const after = captureState(
      specs,
      specs.map((_, i) => (i === 9 ? 100 : i)),
    );
    const entry = { id: 3, specs, state: after, baseline: before };
    const [bytes] = encodeSync({ tick: 2, baselineTick: 1, entries: [entry] });
    // prefix (3 × 4 + 0), mask of 10 properties in 2 bytes (bit 9 = byte 1, bit 1), zigzag(91)
    expect([...bytes!.subarray(4)]).toEqual([12, 0x00, 0x02, 182, 1]);
    const decoded = decodeOk(bytes!, lookupOf([entry], 1)).entries[0]!;
    expect(sameState(decoded.state, after)).toBe(true);
    expect(decoded.state[0]).toBe(before[0]);
  });

  it("sends an entity absolute when it has no baseline or a property changed type", () => {
    const specs = [{ precision: 1 }];
    const entry = {
      id: 0,
      specs,
      state: captureState(specs, [new Vector2(1, 2)]),
      baseline: captureState(specs, [1]),
    };
    const [bytes] = encodeSync({ tick: 2, baselineTick: 1, entries: [entry] });
    expect([...bytes!.subarray(4)]).toEqual([2, 1, 2, 4]);
    expect(sameState(decodeOk(bytes!, lookupOf([entry], 1)).entries[0]!.state, entry.state)).toBe(true);
  });

  it("orders entries by id whatever the input order", () => {
    const entries = [5, 1, 3].map((id) => ({
      id,
      specs: TRANSFORM,
      state: transform(id, 0, 0),
      baseline: null,
    }));
    const [bytes] = encodeSync({ tick: 1, baselineTick: null, entries });
    expect(decodeOk(bytes!, lookupOf(entries, null)).entries.map((e) => e.id)).toEqual([1, 3, 5]);
  });

  it("splits a large tick at entry boundaries, never dropping one, every packet within the limit", () => {
    const entries = Array.from({ length: 3000 }, (_, id) => ({
      id: id * 3,
      specs: [{ precision: 0.001 }, {}],
      state: captureState([{ precision: 0.001 }, {}], [id * 1000.5, `entity number ${id}`]),
      baseline: null,
    }));
    const packets = encodeSync({ tick: 123456, baselineTick: null, entries });
    expect(packets.length).toBeGreaterThan(4);
    const lookup = lookupOf(entries, null);
    const received = [];
    for (const [index, packet] of packets.entries()) {
      expect(packet.length).toBeLessThanOrEqual(MAX_SYNC_PACKET_BYTES);
      const sync = decodeOk(packet, lookup);
      expect(sync).toMatchObject({ tick: 123456, baselineTick: null, part: index });
      expect(sync.last).toBe(index === packets.length - 1);
      received.push(...sync.entries);
    }
    expect(received.map((e) => e.id)).toEqual(entries.map((e) => e.id));
    for (const [i, e] of received.entries()) expect(sameState(e.state, entries[i]!.state)).toBe(true);
    // Filled: each packet but the last would overflow with the next packet's first entry.
    expect(packets.slice(0, -1).every((p) => p.length > MAX_SYNC_PACKET_BYTES - 40)).toBe(true);
  });

  it("refuses an entry larger than a packet and a tick of too many packets, at the sender", () => {
    const specs = [{}];
    const big = { id: 1, specs, state: captureState(specs, ["x".repeat(20_000)]), baseline: null };
    expect(() => encodeSync({ tick: 1, baselineTick: null, entries: [big] })).toThrow(
      /sync id 1 takes \d+ bytes, more than one packet holds/,
    );
    const many = Array.from({ length: 300 }, (_, id) => ({
      id,
      specs,
      state: captureState(specs, ["y".repeat(40)]),
      baseline: null,
    }));
    expect(() => encodeSync({ tick: 1, baselineTick: null, entries: many }, 60)).toThrow(/more than 256/);
  });

  it("refuses input it cannot send faithfully", () => {
    const state = transform(0, 0, 0);
    const entry = { id: 1, specs: TRANSFORM, state, baseline: state };
    const encode = (tick: number, baselineTick: number | null, entries: SyncEntry[]) => () =>
      encodeSync({ tick, baselineTick, entries });
    expect(encode(5, null, [entry])).toThrow(/baseline state but the tick has no baseline tick/);
    expect(encode(5, 5, [entry])).toThrow(/must be older/);
    expect(encode(5, 6, [entry])).toThrow(RangeError);
    expect(encode(-1, null, [])).toThrow(RangeError);
    expect(encode(2 ** 32, null, [])).toThrow(RangeError);
    expect(encode(5, 4, [entry, { ...entry }])).toThrow(/appears twice/);
    expect(() => encodeSync({ tick: 1, baselineTick: null, entries: [] }, 5)).toThrow(/no room/);
    expect(encode(5, 4, [{ ...entry, id: -1 }])).toThrow(/sync id -1/);
    expect(encode(5, 4, [{ ...entry, id: 2 ** 32 }])).toThrow(RangeError);
    expect(encode(5, 4, [{ ...entry, specs: [{}, {}] }])).toThrow(/not captured with these specs/);
    expect(encode(5, 4, [{ ...entry, state: [state[0]!] }])).toThrow(/does not have its 2 properties/);
  });
});

describe("decodeSync refuses", () => {
  const entry = { id: 4, specs: TRANSFORM, state: transform(10, 20, 1), baseline: transform(0, 0, 0) };
  const [packet] = encodeSync({ tick: 50, baselineTick: 48, entries: [entry] });
  const lookup = lookupOf([entry], 48);
  const reason = (bytes: number[] | Uint8Array, using = lookup) => {
    const result = decodeSync(Uint8Array.from(bytes), using);
    return result.ok ? "ok" : result.reason;
  };

  it("a baseline tick it does not hold, or a baseline without the entity, as stale_baseline", () => {
    expect(reason(packet!)).toBe("ok");
    expect(reason(packet!, { ...lookup, baseline: () => undefined })).toBe("stale_baseline");
    expect(reason(packet!, { ...lookup, baseline: () => new Map() })).toBe("stale_baseline");
  });

  it("an id without specs as unknown_sync_id", () => {
    expect(reason(packet!, { ...lookup, specs: () => undefined })).toBe("unknown_sync_id");
  });

  it("every truncation, trailing byte and broken field as malformed", () => {
    for (let length = 0; length < packet!.length; length++)
      if (length !== 4) expect(reason(packet!.subarray(0, length)), `first ${length} bytes`).not.toBe("ok");
    const prefix = 4 * 4 + 1;
    const head = [SYNC_HEAD, 50, 2, 1];
    expect(reason([...packet!, 0])).toBe("unknown_sync_id"); // a byte more is an entry for id 5
    expect(reason([0x1f, ...packet!.subarray(1)])).toBe("malformed"); // not SYNC
    expect(reason([SYNC_HEAD, 1, 2, 1])).toBe("malformed"); // baseline before tick 0
    expect(reason([SYNC_HEAD, 50, 2, 0x80, 0x04])).toBe("malformed"); // part index 256
    expect(reason([...head, 4 * 4 + 3])).toBe("malformed"); // kind 3
    expect(reason([...head, 4 * 4 + 0, 0x00])).toBe("malformed"); // empty mask
    expect(reason([...head, 4 * 4 + 0, 0x04, 0])).toBe("malformed"); // mask bit past 2 properties
    expect(reason([...head, 4 * 4 + 2, 4, 0, 0])).toBe("malformed"); // type tag 4
    expect(reason([...head, prefix, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0])).toBe("malformed");
    // zigzag 2^52 in 8 bytes: a delta of 2^51, beyond the range
    expect(reason([...head, prefix, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x08, 0, 0])).toBe("malformed");
    expect(reason([SYNC_HEAD, 50, 0, 1, 4 * 4 + 1, 0, 0, 0])).toBe("malformed"); // delta without baseline
    expect(reason([SYNC_HEAD, 50, 0, 1, 0xfc, 0xff, 0xff, 0xff, 0x7f])).toBe("malformed"); // id ≥ 2^32
  });

  it("a msgpack value that is not acceptable data", () => {
    const specs = [{}];
    const plain = lookupOf([{ id: 0, specs, baseline: null }], null);
    expect(reason([SYNC_HEAD, 1, 0, 1, 2, 0xa1, 0x61], plain)).toBe("ok");
    expect(reason([SYNC_HEAD, 1, 0, 1, 2, 0xc1], plain)).toBe("malformed"); // never-used head
    expect(reason([SYNC_HEAD, 1, 0, 1, 2, 0xd4, 0x7f, 0], plain)).toBe("malformed"); // unknown ext
    expect(reason([SYNC_HEAD, 1, 0, 1, 2, 0x81, 0xa9, ...Buffer.from("__proto__"), 1], plain)).toBe(
      "malformed",
    );
    expect(reason([SYNC_HEAD, 1, 0, 1, 2, 0xdd, 0xff, 0xff, 0xff, 0xff], plain)).toBe("malformed");
  });

  it("nothing else: the header reads alone", () => {
    expect(readSyncHeader(packet!)).toEqual({ tick: 50, baselineTick: 48, part: 0, last: true, offset: 4 });
    expect(readSyncHeader(Uint8Array.of(SYNC_HEAD, 50))).toBeNull();
  });
});
