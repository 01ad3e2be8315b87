/**
 * The packet fuzzer's grammar: what a hostile client sends (valid and near-valid calls, relays to
 * every kind of target, confirmations, raw bytes, forged system messages, mutated and random
 * bytes), plus honest traffic in between. Argument values are generated as msgpack syntax trees
 * (`Wire`) and encoded here, so each call carries its intent: the header and the argument values
 * a receiver should decode (`expectArguments`), which the fuzzer checks against the model's own
 * reading of the bytes.
 */
import fc from "fast-check";
import {
  type CallHeader,
  CLASSES,
  CLOCK_PING,
  CLOCK_PONG,
  COMMAND,
  digestOf,
  encodeAnnounce,
  encodeCall,
  encodeConfirm,
  encodePathId,
  encodeRelay,
  FORBIDDEN_KEYS,
  ModelExt,
  ModelObject,
  type NodeClass,
  REPLICATION,
  SYNC_VISIBILITY,
  varint,
} from "./packet-model.js";

// ---------------------------------------------------------------------------------------------
// msgpack values as syntax trees

type IntFormat = "fixpos" | "fixneg" | "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64";
type Width = 0 | 8 | 16 | 32; // 0: the fix form

export type Wire =
  | { t: "nil" }
  | { t: "bool"; v: boolean }
  | { t: "int"; v: bigint; f: IntFormat }
  | { t: "f32"; v: number }
  | { t: "f64"; v: number }
  | { t: "str"; v: string; f: Width }
  | { t: "bin"; v: Uint8Array; f: 8 | 16 | 32 }
  | { t: "arr"; items: Wire[]; f: Width }
  | { t: "map"; entries: Array<[Wire, Wire]>; f: Width }
  | { t: "ext"; type: number; payload: Uint8Array; f: Width }
  | { t: "never" }; // 0xc1

const INT_RANGES: Record<IntFormat, [bigint, bigint]> = {
  fixpos: [0n, 127n],
  fixneg: [-32n, -1n],
  u8: [0n, 255n],
  u16: [0n, 65535n],
  u32: [0n, 2n ** 32n - 1n],
  u64: [0n, 2n ** 64n - 1n],
  i8: [-128n, 127n],
  i16: [-32768n, 32767n],
  i32: [-(2n ** 31n), 2n ** 31n - 1n],
  i64: [-(2n ** 63n), 2n ** 63n - 1n],
};

function put(out: number[], bytes: number, value: number | bigint): void {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt.asUintN(64, BigInt(value)));
  for (let i = 8 - bytes; i < 8; i++) out.push(view.getUint8(i));
}

/** A length header: the fix form (`fix | n`) or the 8/16/32-bit form starting at `head`. */
function header(
  out: number[],
  width: Width,
  length: number,
  fix: number,
  heads: [number, number, number],
): void {
  if (width === 0) out.push(fix | length);
  else {
    out.push(heads[[8, 16, 32].indexOf(width)]!);
    put(out, width / 8, length);
  }
}

export function encodeWire(value: Wire, out: number[] = []): number[] {
  switch (value.t) {
    case "nil":
      out.push(0xc0);
      break;
    case "never":
      out.push(0xc1);
      break;
    case "bool":
      out.push(value.v ? 0xc3 : 0xc2);
      break;
    case "int": {
      const v = value.v;
      if (value.f === "fixpos" || value.f === "fixneg") out.push(Number(BigInt.asUintN(8, v)));
      else {
        const heads = {
          u8: 0xcc,
          u16: 0xcd,
          u32: 0xce,
          u64: 0xcf,
          i8: 0xd0,
          i16: 0xd1,
          i32: 0xd2,
          i64: 0xd3,
        };
        out.push(heads[value.f]);
        put(out, Number(value.f.slice(1)) / 8, v);
      }
      break;
    }
    case "f32": {
      const view = new DataView(new ArrayBuffer(4));
      view.setFloat32(0, value.v);
      out.push(0xca, ...new Uint8Array(view.buffer));
      break;
    }
    case "f64": {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, value.v);
      out.push(0xcb, ...new Uint8Array(view.buffer));
      break;
    }
    case "str": {
      const bytes = new TextEncoder().encode(value.v);
      header(out, value.f, bytes.length, 0xa0, [0xd9, 0xda, 0xdb]);
      out.push(...bytes);
      break;
    }
    case "bin":
      out.push({ 8: 0xc4, 16: 0xc5, 32: 0xc6 }[value.f]);
      put(out, value.f / 8, value.v.length);
      out.push(...value.v);
      break;
    case "arr":
      header(out, value.f === 8 ? 16 : value.f, value.items.length, 0x90, [0xdc, 0xdc, 0xdd]);
      for (const item of value.items) encodeWire(item, out);
      break;
    case "map":
      header(out, value.f === 8 ? 16 : value.f, value.entries.length, 0x80, [0xde, 0xde, 0xdf]);
      for (const [key, entry] of value.entries) {
        encodeWire(key, out);
        encodeWire(entry, out);
      }
      break;
    case "ext": {
      const fixed = [1, 2, 4, 8, 16].indexOf(value.payload.length);
      if (value.f === 0 && fixed >= 0) out.push(0xd4 + fixed);
      else {
        const width = value.f === 0 ? 8 : value.f;
        out.push({ 8: 0xc7, 16: 0xc8, 32: 0xc9 }[width]);
        put(out, width / 8, value.payload.length);
      }
      out.push(value.type & 0xff, ...value.payload);
      break;
    }
  }
  return out;
}

export const encodeArgs = (args: Wire[]) => Uint8Array.from(args.flatMap((arg) => encodeWire(arg)));

// ---------------------------------------------------------------------------------------------
// What the generated values should decode to (WIRE.md), from the syntax tree

class Invalid extends Error {}
const EXT_SIZES: Record<number, [ModelExt["kind"], number]> = {
  1: ["Vector2", 2],
  2: ["Vector3", 3],
  3: ["Color", 4],
};

/** Whether msgpack alone accepts the tree (extension types and sizes, 0xc1), wherever it sits. */
function syntaxValid(value: Wire): boolean {
  switch (value.t) {
    case "never":
      return false;
    case "ext": {
      const known = EXT_SIZES[value.type & 0xff];
      return !!known && known[1] * 4 === value.payload.length;
    }
    case "arr":
      return value.items.every(syntaxValid);
    case "map":
      return value.entries.every(([k, v]) => syntaxValid(k) && syntaxValid(v));
    default:
      return true;
  }
}

/** The key a map entry has in a JS Map, and, for a string or number, its name as an object key. */
function keyOf(key: Wire): { mapKey: unknown; name: string | null } {
  switch (key.t) {
    case "int":
      return { mapKey: Number(key.v), name: String(Number(key.v)) };
    case "f32":
    case "f64":
      return { mapKey: key.v, name: String(key.v) };
    case "str":
      return { mapKey: key.v, name: key.v };
    case "nil":
      return { mapKey: null, name: null };
    case "bool":
      return { mapKey: key.v, name: null };
    default:
      return { mapKey: {}, name: null };
  }
}

function expectValue(value: Wire, depth: number): unknown {
  switch (value.t) {
    case "nil":
      return null;
    case "bool":
      return value.v;
    case "int":
      return Number(value.v);
    case "f32":
    case "f64":
    case "str":
      return value.v;
    case "never":
      throw new Invalid();
  }
  if (depth > 64) throw new Invalid();
  switch (value.t) {
    case "bin":
      return value.v;
    case "ext": {
      const [kind, count] = EXT_SIZES[value.type & 0xff]!;
      const view = new DataView(value.payload.buffer, value.payload.byteOffset);
      return new ModelExt(
        kind,
        Array.from({ length: count }, (_, i) => view.getFloat32(i * 4)),
      );
    }
    case "arr":
      return value.items.map((item) => expectValue(item, depth + 1));
    case "map": {
      // Later entries with the same key replace earlier ones, as in a JS Map (0 and -0 are one key).
      const entries = new Map<unknown, [string | null, Wire]>();
      for (const [key, entry] of value.entries) {
        const { mapKey, name } = keyOf(key);
        entries.set(mapKey, [entries.get(mapKey)?.[0] ?? name, entry]);
      }
      const object = new ModelObject();
      for (const [, [name, entry]] of entries) {
        if (name === null || FORBIDDEN_KEYS.has(name)) throw new Invalid();
        object.entries.set(name, expectValue(entry, depth + 1));
      }
      return object;
    }
  }
}

/** The values a receiver should decode from `encodeArgs(args)`, or null when the packet is invalid. */
export function expectArguments(args: Wire[]): unknown[] | null {
  if (!args.every(syntaxValid)) return null;
  try {
    return args.map((arg) => expectValue(arg, 0));
  } catch (error) {
    if (error instanceof Invalid) return null;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries for values

/** Container header forms: fix (up to 15 entries), 16-bit or 32-bit count. */
const containerWidth = fc.constantFrom<Width>(0, 0, 16, 32);

const intWire: fc.Arbitrary<Wire> = fc
  .oneof(
    fc.bigInt(-40n, 300n),
    fc.bigInt(-(2n ** 31n), 2n ** 32n - 1n),
    fc.bigInt(-(2n ** 63n), 2n ** 64n - 1n),
    fc.constantFrom(2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 64n - 1n, -(2n ** 63n)),
  )
  .chain((v) => {
    const fits = (Object.keys(INT_RANGES) as IntFormat[]).filter(
      (f) => INT_RANGES[f][0] <= v && v <= INT_RANGES[f][1],
    );
    return fc.constantFrom(...fits).map((f): Wire => ({ t: "int", v, f }));
  });

const KEY_NAMES = [
  "a",
  "b",
  "x",
  "1",
  "polluted",
  "__proto",
  "Prototype",
  "constructor ",
  "prototype",
  ...Object.getOwnPropertyNames(Object.prototype),
];

const stringWire = (text: fc.Arbitrary<string>): fc.Arbitrary<Wire> =>
  text.chain((v) => {
    const length = new TextEncoder().encode(v).length;
    const forms = ([0, 8, 16, 32] as const).filter((w) => w !== 0 || length < 32);
    return fc.constantFrom(...forms).map((f): Wire => ({ t: "str", v, f }));
  });

const anyText = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.string({ unit: "grapheme", maxLength: 4 }),
  fc.constantFrom(...KEY_NAMES, "\uFEFFa", "ok", "fine", "far too long"),
  fc.string({ minLength: 30, maxLength: 40 }),
);

const float32s = (count: number) => fc.array(fc.float(), { minLength: count, maxLength: count });
const floatBytes = (values: number[]) => {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  for (const [i, v] of values.entries()) view.setFloat32(i * 4, v);
  return new Uint8Array(view.buffer);
};

const extWire: fc.Arbitrary<Wire> = fc.oneof(
  fc
    .record({ type: fc.constantFrom(1, 2, 3), f: fc.constantFrom<Width>(0, 0, 8, 16, 32) })
    .chain(({ type, f }) =>
      float32s(type + 1).map((values): Wire => ({ t: "ext", type, payload: floatBytes(values), f })),
    ),
  fc.record({
    t: fc.constant("ext" as const),
    type: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 15, 16, 127, 128, 255), fc.nat(255)),
    payload: fc.uint8Array({ maxLength: 17 }),
    f: fc.constantFrom<Width>(0, 8, 16, 32),
  }),
);

const leafWire: fc.Arbitrary<Wire> = fc.oneof(
  { arbitrary: fc.constant<Wire>({ t: "nil" }), weight: 1 },
  { arbitrary: fc.boolean().map((v): Wire => ({ t: "bool", v })), weight: 1 },
  { arbitrary: intWire, weight: 4 },
  { arbitrary: fc.float().map((v): Wire => ({ t: "f32", v })), weight: 1 },
  { arbitrary: fc.double().map((v): Wire => ({ t: "f64", v })), weight: 1 },
  { arbitrary: stringWire(anyText), weight: 4 },
  {
    arbitrary: fc.record({
      t: fc.constant("bin" as const),
      v: fc.uint8Array({ maxLength: 6 }),
      f: fc.constantFrom<8 | 16 | 32>(8, 16, 32),
    }),
    weight: 1,
  },
  { arbitrary: extWire, weight: 1 },
  { arbitrary: fc.constant<Wire>({ t: "never" }), weight: 1 },
);

const keyWire: fc.Arbitrary<Wire> = fc.oneof(
  { arbitrary: stringWire(fc.constantFrom(...KEY_NAMES)), weight: 8 },
  { arbitrary: stringWire(fc.string({ maxLength: 3 })), weight: 2 },
  { arbitrary: intWire, weight: 1 },
  {
    arbitrary: fc.constantFrom<Wire>({ t: "f64", v: 1.5 }, { t: "f32", v: -0 }, { t: "f64", v: Number.NaN }),
    weight: 1,
  },
  { arbitrary: leafWire, weight: 1 },
);

const str = (v: string): Wire => ({ t: "str", v, f: 0 });
const map = (...entries: Array<[string, Wire]>): Wire => ({
  t: "map",
  entries: entries.map(([k, v]) => [str(k), v]),
  f: 0,
});
const polluted = map(["polluted", { t: "bool", v: true }]);

/** Payloads that would pollute Object.prototype if a decoder assigned keys naively. */
const pollution: fc.Arbitrary<Wire> = fc.constantFrom(
  map(["__proto__", polluted]),
  map(["constructor", map(["prototype", polluted])]),
  map(["prototype", polluted]),
  map(["a", map(["__proto__", polluted])]),
  { t: "arr", items: [map(["__proto__", polluted])], f: 0 },
);

/** Nesting near the limit: 64 levels pass, 65 do not. */
const deep: fc.Arbitrary<Wire> = fc
  .record({
    levels: fc.integer({ min: 60, max: 68 }),
    inMaps: fc.boolean(),
    leaf: fc.constantFrom<Wire>(
      { t: "nil" },
      { t: "arr", items: [], f: 0 },
      { t: "bin", v: new Uint8Array(1), f: 8 },
    ),
  })
  .map(({ levels, inMaps, leaf }) => {
    let value = leaf;
    for (let i = 0; i < levels; i++) value = inMaps ? map(["a", value]) : { t: "arr", items: [value], f: 0 };
    return value;
  });

export const wireValue: fc.Arbitrary<Wire> = fc.letrec<{ value: Wire }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", maxDepth: 3 },
    { arbitrary: leafWire, weight: 8 },
    {
      arbitrary: fc.record({
        t: fc.constant("arr" as const),
        items: fc.array(tie("value"), { maxLength: 4 }),
        f: containerWidth,
      }),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        t: fc.constant("map" as const),
        entries: fc.array(fc.tuple(keyWire, tie("value")), { maxLength: 4 }),
        f: containerWidth,
      }),
      weight: 2,
    },
    { arbitrary: pollution, weight: 1 },
    { arbitrary: deep, weight: 1 },
  ),
})).value;

/** Values the test game's schemas accept (short strings), to reach the handlers often. */
const friendlyValue: fc.Arbitrary<Wire> = fc.oneof(
  stringWire(fc.string({ maxLength: 8 })),
  intWire,
  fc.constant<Wire>({ t: "nil" }),
);

// ---------------------------------------------------------------------------------------------
// Packets

/** Paths as a sender may write them, with the class it believes lives there. */
const PATHS: Array<[string, NodeClass]> = [
  ["/root/arena", CLASSES.Arena],
  ["/root/arena", CLASSES.Arena],
  ["/root/arena/", CLASSES.Arena],
  ["/root//arena", CLASSES.Arena],
  ["/root//root/arena", CLASSES.Arena],
  ["/root/arena/pawn2/..", CLASSES.Arena],
  ["arena", CLASSES.Arena],
  ["/root/arena/pawn2", CLASSES.Pawn],
  ["/root/arena/pawn3", CLASSES.Pawn],
  ["/root/lobby", CLASSES.Lobby],
  ["/root/lobby", CLASSES.LobbyV2],
  ["/root/hostonly", CLASSES.Vault],
  ["/root/clientside", CLASSES.ClientSide],
  ["/root/__proto__", CLASSES.Odd],
  ["/root/constructor", CLASSES.Odd],
  ["/root", CLASSES.Root],
  ["", CLASSES.Root],
  ["/root/..", CLASSES.Root],
  ["/other/arena", CLASSES.Arena],
  ["/root/nowhere", CLASSES.Pawn],
];

export interface CallIntent {
  header: CallHeader;
  args: Wire[];
}

const cacheIds = fc.oneof(
  { arbitrary: fc.nat(3), weight: 8 },
  { arbitrary: fc.constantFrom(127, 128, 4095, 4096, 2 ** 32 - 1), weight: 1 },
  { arbitrary: fc.nat(), weight: 1 },
);

/** A call as an honest or slightly wrong sender would write it (inline or not, cache id: as given). */
export const callIntent = (
  inlineForm: fc.Arbitrary<boolean> = fc.boolean(),
  ids: fc.Arbitrary<number> = cacheIds,
): fc.Arbitrary<CallIntent> =>
  fc
    .record({
      at: fc.constantFrom(...PATHS),
      inline: inlineForm,
      digest: fc.oneof(
        { arbitrary: fc.constant(-1), weight: 6 },
        { arbitrary: fc.integer({ min: 0, max: 0xffff }), weight: 1 },
      ),
      cacheId: ids,
      member: fc.nat(5),
      outOfRange: fc.nat(9),
      fit: fc.nat(9),
    })
    .chain(({ at: [path, cls], inline, digest, cacheId, member, outOfRange, fit }) => {
      const isRset = member === 0 || (cls.methods.length === 0 && cls.members.length > 0);
      const names = isRset ? cls.members : cls.methods;
      const index =
        outOfRange === 0 || names.length === 0 ? names.length + (outOfRange % 3) : fit % names.length;
      const spec = isRset
        ? { params: 1, required: 1, rest: false, schema: cls.members[index]?.schema }
        : cls.methods[index];
      const header: CallHeader = {
        command: isRset ? COMMAND.RSET : COMMAND.RPC,
        cacheId,
        inline: inline ? { path, digest: digest < 0 ? digestOf(cls) : digest } : null,
        index,
      };
      const fits = spec && fit > 1;
      const count = fits
        ? fc.integer({ min: spec.required, max: spec.rest ? spec.params + 3 : spec.params })
        : fc.nat(4);
      const value = fits && spec.schema ? friendlyValue : fc.oneof(friendlyValue, wireValue, wireValue);
      return count.chain((n) =>
        fc.array(value, { minLength: n, maxLength: n }).map((args) => ({ header, args })),
      );
    });

const RELAY_TARGETS = [0, 1, 2, 3, 4, -1, -2, -3, -4, 5, -5, 1000, 2 ** 31 - 1, -(2 ** 31)];

/** Who a client's packet is for: the host directly, or a relay to `target`. */
export const envelope = fc.oneof(
  { arbitrary: fc.constant<number | null>(null), weight: 2 },
  { arbitrary: fc.constantFrom<number | null>(...RELAY_TARGETS), weight: 3 },
  { arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), weight: 1 },
);
export const wrap = (target: number | null, packet: Uint8Array) =>
  target === null ? packet : encodeRelay(target, packet);

/** WIRE.md "Scene replication": a string or byte run is a varint length, then the bytes. */
const lengthPrefixed = (bytes: Uint8Array | number[]) => [...varint(bytes.length), ...bytes];
const replicationText = (value: string) => lengthPrefixed(new TextEncoder().encode(value));
/** A ref: the sender's id, then its path inline (length 0: no path). */
const replicationRef = fc
  .tuple(cacheIds, fc.option(fc.constantFrom(...PATHS.map(([path]) => path), "/root/ghost"), { nil: null }))
  .map(([id, path]) => [...varint(id), ...(path === null ? [0] : replicationText(path))]);
const stateBytes = fc.uint8Array({ maxLength: 4 }).map(lengthPrefixed);
const tick = fc.oneof(fc.nat(3), fc.nat()).map((value) => varint(value));

/** SPAWN, DESPAWN, SYNC, DELTA, SYNC_ACK and SYNC_VISIBILITY as a sender would write them (no node here is a spawner or synchronizer). */
const replicationPacket: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .record({
      spawner: replicationRef,
      node: cacheIds,
      name: fc.constantFrom("p1", "a/b", "", " x", "__proto__"),
      className: fc.constantFrom("Player", "", "Coin"),
      data: fc.uint8Array({ maxLength: 3 }),
      syncs: fc.array(fc.tuple(cacheIds, fc.constantFrom("sync", "", "a/sync"), stateBytes), {
        maxLength: 2,
      }),
    })
    .map(({ spawner, node, name, className, data, syncs }) =>
      Uint8Array.from([
        REPLICATION.SPAWN,
        ...spawner,
        ...varint(node),
        ...replicationText(name),
        ...replicationText(className),
        ...(className === "" ? lengthPrefixed(data) : []),
        ...varint(syncs.length),
        ...syncs.flatMap(([id, path, state]) => [...varint(id), ...replicationText(path), ...state]),
      ]),
    ),
  cacheIds.map((id) => Uint8Array.from([REPLICATION.DESPAWN, ...varint(id)])),
  // WIRE.md "Scene replication: SYNC": [tick][back][part] then entries [prefix][values…]; small
  // ticks and backs so that header-only ticks become baselines of later packets.
  fc
    .tuple(
      fc.nat(4),
      fc.constantFrom(0, 0, 1, 2, 5),
      fc.constantFrom(1, 1, 0, 2, 3, 600),
      fc.array(fc.tuple(cacheIds, fc.nat(3), fc.uint8Array({ maxLength: 3 })), { maxLength: 2 }),
    )
    .map(([at, back, part, entries]) =>
      Uint8Array.from([
        REPLICATION.SYNC,
        ...varint(at),
        ...varint(back),
        ...varint(part),
        ...entries.flatMap(([id, kind, values]) => [...varint(id * 4 + kind), ...values]),
      ]),
    ),
  fc
    .tuple(tick, fc.array(fc.tuple(replicationRef, stateBytes), { maxLength: 3 }))
    .map(([at, entries]) =>
      Uint8Array.from([REPLICATION.DELTA, ...at, ...entries.flatMap(([ref, state]) => [...ref, ...state])]),
    ),
  tick.map((at) => Uint8Array.from([REPLICATION.SYNC_ACK, ...at])),
  fc.constant(Uint8Array.of(REPLICATION.SYNC_ACK)),
  // SYNC_VISIBILITY, which only the host sends: peers 0 and 1 and visible 2 are malformed, and so
  // is an empty path (a byte-order mark alone decodes to one); a byte too many, trailing.
  fc
    .tuple(
      fc.constantFrom(0, 1, 2, 3, 300, 0x7fffffff, 0x80000000),
      fc.constantFrom(0, 1, 1, 2),
      fc.constantFrom(...PATHS.map(([path]) => path), "/root/ghost", "", "\ufeff"),
      fc.constantFrom([], [], [], [0]),
    )
    .map(([peer, visible, path, trailing]) =>
      Uint8Array.from([
        SYNC_VISIBILITY,
        ...varint(peer),
        ...varint(visible),
        ...replicationText(path),
        ...trailing,
      ]),
    ),
);

/** PATH_ANNOUNCE, PATH_FORGET and PATH_FORGOTTEN, for paths the game has or not, right or wrong digests. */
const pathPacket: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .record({ at: fc.constantFrom(...PATHS), id: cacheIds, wrongDigest: fc.nat(6) })
    .map(({ at: [path, cls], id, wrongDigest }) =>
      encodeAnnounce(id, path, wrongDigest === 0 ? digestOf(cls) ^ 1 : digestOf(cls)),
    ),
  cacheIds.map((id) => encodePathId("forget", id)),
  cacheIds.map((id) => encodePathId("forgotten", id)),
);

/** Packets other than calls: confirmations, raw bytes, unknown commands, flag bits where they do not belong. */
const otherPacket: fc.Arbitrary<Uint8Array> = fc.oneof(
  replicationPacket,
  replicationPacket,
  pathPacket,
  cacheIds.map(encodeConfirm),
  fc
    .tuple(fc.nat(3), fc.uint8Array({ minLength: 1, maxLength: 2 }))
    .map(([id, extra]) => Uint8Array.from([...encodeConfirm(id), ...extra])),
  fc.uint8Array({ maxLength: 8 }).map((payload) => Uint8Array.from([COMMAND.RAW, ...payload])),
  fc
    .tuple(fc.constantFrom(5, 6, 7, 0x0d, 0x3f, 0x47, 0x4f, 0x57), fc.uint8Array({ maxLength: 6 }))
    .map(([command, rest]) => Uint8Array.from([command, ...rest])),
  fc
    .tuple(fc.constantFrom(COMMAND.CONFIRM_PATH, COMMAND.RAW), fc.integer({ min: 1, max: 15 }), fc.nat(3))
    .map(([command, high, id]) => Uint8Array.from([command | (high << 4), id])),
  fc.constantFrom(
    encodeRelay(3, Uint8Array.of(COMMAND.RAW, 1)),
    Uint8Array.of(COMMAND.SYS, 0, 9, 0, 0, 0),
    Uint8Array.of(COMMAND.SYS | 0x10, 2, 0, 0, 0, 0, COMMAND.RAW, 7),
  ),
);

const clockTime = fc.oneof(
  fc.constantFrom(0, -0, 1500.25, 2 ** 40, 2 ** 40 + 1, -1, Number.NaN, Number.POSITIVE_INFINITY),
  fc.double(),
);
const f64le = (time: number) => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, time, true);
  return [...bytes];
};

/**
 * Network clock packets (WIRE.md, "Network clock"): pings with and without a round trip (valid,
 * absurd, overlong), pongs a client may not send, and either of any length.
 */
export const clockPacket: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .record({
      sent: clockTime,
      rtt: fc.option(
        fc.oneof(fc.nat(100_000), fc.constantFrom(60_000_000, 60_000_001, 2 ** 32 - 1, 2 ** 32)),
      ),
    })
    .map(({ sent, rtt }) =>
      Uint8Array.from([CLOCK_PING, ...f64le(sent), ...(rtt === null ? [] : varint(rtt))]),
    ),
  fc
    .tuple(clockTime, clockTime)
    .map(([sent, hostTime]) => Uint8Array.from([CLOCK_PONG, ...f64le(sent), ...f64le(hostTime)])),
  fc
    .tuple(fc.constantFrom(CLOCK_PING, CLOCK_PONG), fc.uint8Array({ maxLength: 20 }))
    .map(([head, body]) => Uint8Array.from([head, ...body])),
);

/** Peer notices, auth messages, relays and unknown subcommands, of any length. */
export const systemMessage: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .record({
      first: fc.oneof(
        { arbitrary: fc.constant(COMMAND.SYS), weight: 8 },
        { arbitrary: fc.constantFrom(0x0c, 0x14, 0xf4), weight: 1 },
      ),
      sub: fc.oneof(
        { arbitrary: fc.nat(6), weight: 8 },
        { arbitrary: fc.constantFrom(7, 8, 255), weight: 1 },
      ),
      id: fc.oneof(
        fc.constantFrom(0, 1, 2, 3, 4, 5, -1, -3),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      ),
      rest: fc.uint8Array({ maxLength: 6 }),
      cut: fc.nat(8),
    })
    .map(({ first, sub, id, rest, cut }) => {
      const bytes = Uint8Array.from([first, sub, 0, 0, 0, 0, ...rest]);
      new DataView(bytes.buffer).setInt32(2, id, true);
      return cut < 7 ? bytes.subarray(0, cut) : bytes;
    }),
  fc
    .tuple(fc.nat(3), fc.uint8Array({ maxLength: 4 }))
    .map(([kind, data]) => Uint8Array.from([COMMAND.SYS, 3, kind, ...data])),
);

type Mutation =
  | { kind: "flip"; at: number; bits: number }
  | { kind: "cut"; at: number }
  | { kind: "insert"; at: number; byte: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: fc.nat(255) }),
);

function mutate(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = bytes;
  for (const m of mutations) {
    if (out.length === 0) break;
    const at = m.at % out.length;
    if (m.kind === "flip") {
      out = out.slice();
      out[at]! ^= m.bits;
    } else if (m.kind === "cut") out = out.subarray(0, at);
    else out = Uint8Array.from([...out.subarray(0, at), m.byte, ...out.subarray(at)]);
  }
  return out;
}

export type Transfer = "reliable" | "unreliable" | "unreliable_ordered";
const transfer = fc.constantFrom<Transfer>("reliable", "unreliable", "unreliable_ordered");

export type Step =
  | { kind: "attacker"; bytes: Uint8Array; transfer: Transfer; intent?: CallIntent; relayed: boolean }
  | { kind: "announce"; text: string }
  | { kind: "clientStep"; n: number }
  /** The host spawns a node (on every honest peer) and calls it; or removes its oldest one. */
  | { kind: "spark" }
  | { kind: "unspark" };

const unmutated = fc.constant<Mutation[]>([]);
const sometimesMutated = fc.oneof(
  { arbitrary: unmutated, weight: 2 },
  { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }), weight: 1 },
);

/** A hostile client's packet, relayed or not and mutated or not; an unmutated call keeps its intent. */
const attackerStep = (
  body: fc.Arbitrary<{ intent?: CallIntent; packet: Uint8Array }>,
  mutations: fc.Arbitrary<Mutation[]> = sometimesMutated,
): fc.Arbitrary<Step> =>
  fc
    .record({ target: envelope, body, mutations, transfer })
    .map(({ target, body, mutations, transfer }): Step => {
      const bytes = mutate(wrap(target, body.packet), mutations);
      const intent = mutations.length === 0 ? body.intent : undefined;
      return { kind: "attacker", bytes, transfer, relayed: target !== null, ...(intent && { intent }) };
    });

const asCall = (intent: CallIntent) => ({
  intent,
  packet: encodeCall(intent.header, encodeArgs(intent.args)),
});

const grammarPacket: fc.Arbitrary<Step> = attackerStep(
  fc.oneof(
    { arbitrary: callIntent().map(asCall), weight: 6 },
    { arbitrary: otherPacket.map((packet) => ({ packet })), weight: 2 },
    { arbitrary: clockPacket.map((packet) => ({ packet })), weight: 1 },
  ),
);

/**
 * One cache id announced, used, announced again (often with another path) and used again: what
 * a receiver's path cache must follow.
 */
const reannouncement: fc.Arbitrary<Step[]> = fc.nat(2).chain((id) => {
  const call = (inline: boolean) =>
    attackerStep(callIntent(fc.constant(inline), fc.constant(id)).map(asCall), unmutated);
  return fc.tuple(call(true), call(false), call(true), call(false));
});
/**
 * One id through a whole recycling as a sender would do it, honestly or not: taught (by an
 * announcement or a call), used, forgotten, taught again (often for another path, sometimes
 * before the forget), used again; reliably mostly, so the receivers' tables follow.
 */
const recycling: fc.Arbitrary<Step[]> = fc
  .record({
    id: fc.nat(2),
    target: fc.constantFrom<number | null>(null, null, 0, 3, 4, -3),
    first: fc.constantFrom(...PATHS),
    second: fc.constantFrom(...PATHS),
    byCall: fc.boolean(),
    forgetFirst: fc.nat(5),
    transfers: fc.array(fc.constantFrom<Transfer>("reliable", "reliable", "reliable", "unreliable"), {
      minLength: 4,
      maxLength: 4,
    }),
  })
  .chain(({ id, target, first, second, byCall, forgetFirst, transfers }) => {
    const send = (packet: Uint8Array, at: number): Step => ({
      kind: "attacker",
      bytes: wrap(target, packet),
      transfer: transfers[at]!,
      relayed: target !== null,
    });
    const use = (cached: boolean) =>
      callIntent(fc.constant(!cached), fc.constant(id)).map(
        (intent): Step => ({
          kind: "attacker",
          bytes: wrap(target, encodeCall(intent.header, encodeArgs(intent.args))),
          transfer: "reliable",
          relayed: target !== null,
          intent,
        }),
      );
    const teach = ([path, cls]: [string, NodeClass], at: number) =>
      byCall ? use(false) : fc.constant(send(encodeAnnounce(id, path, digestOf(cls)), at));
    const forget = send(encodePathId("forget", id), 1);
    return fc
      .tuple(teach(first, 0), use(true), teach(second, 2), use(true))
      .map(([taught, used, again, usedAgain]) =>
        forgetFirst === 0
          ? [taught, used, again, forget, usedAgain]
          : [taught, used, forget, again, usedAgain, ...(forgetFirst === 1 ? [forget] : [])],
      );
  });

/**
 * The host spawns and removes a node, so releases its id; the hostile client answers (or not)
 * PATH_FORGOTTEN for an id near it, directly or relayed; the host spawns again, reusing the id
 * only if every peer it taught forgot it.
 */
const hostRecycling: fc.Arbitrary<Step[]> = fc
  .record({
    id: fc.integer({ min: 1, max: 3 }),
    target: fc.constantFrom<number | null>(null, null, 1, 0),
    answers: fc.boolean(),
    more: fc.boolean(),
  })
  .map(({ id, target, answers, more }): Step[] => [
    { kind: "spark" },
    ...(more ? [{ kind: "spark" } as const] : []),
    { kind: "unspark" },
    ...(answers
      ? [
          {
            kind: "attacker" as const,
            bytes: wrap(target, encodePathId("forgotten", id)),
            transfer: "reliable" as const,
            relayed: target !== null,
          },
        ]
      : []),
    { kind: "spark" },
    { kind: "unspark" },
  ]);

const honestStep: fc.Arbitrary<Step> = fc.oneof(
  fc.stringMatching(/^[a-z]{0,8}$/).map((text): Step => ({ kind: "announce", text })),
  fc.nat(127).map((n): Step => ({ kind: "clientStep", n })),
  fc.constantFrom<Step>({ kind: "spark" }, { kind: "unspark" }),
);

/** A session: the hostile client's packets, with honest traffic in between. */
export const grammarSession: fc.Arbitrary<Step[]> = fc
  .array(
    fc.oneof(
      { arbitrary: grammarPacket.map((step) => [step]), weight: 12 },
      { arbitrary: honestStep.map((step) => [step]), weight: 2 },
      { arbitrary: reannouncement, weight: 1 },
      { arbitrary: recycling, weight: 1 },
      { arbitrary: hostRecycling, weight: 1 },
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.flat());

/** Random bytes, sent as they are or as the payload of a relay. */
export const randomSession = fc.array(
  fc.record({ target: envelope, bytes: fc.uint8Array({ maxLength: 96 }), transfer }).map(
    ({ target, bytes, transfer }): Step => ({
      kind: "attacker",
      bytes: wrap(target, bytes),
      transfer,
      relayed: target !== null,
    }),
  ),
  { minLength: 1, maxLength: 3 },
);

/** Forged system messages, then and in between honest traffic and the occasional call. */
export const systemSession = fc.array(
  fc.oneof(
    {
      arbitrary: fc
        .record({ bytes: systemMessage, transfer })
        .map(({ bytes, transfer }): Step => ({ kind: "attacker", bytes, transfer, relayed: false })),
      weight: 6,
    },
    { arbitrary: grammarPacket, weight: 1 },
    { arbitrary: honestStep, weight: 1 },
  ),
  { minLength: 1, maxLength: 4 },
);

/** The host's rate limits for a session: out of reach, or a small budget that never refills. */
export const sessionLimits = fc.oneof(
  { arbitrary: fc.constant(null), weight: 5 },
  {
    arbitrary: fc.record({ messageBurst: fc.integer({ min: 1, max: 8 }), byteBurst: fc.nat(400) }),
    weight: 1,
  },
);
