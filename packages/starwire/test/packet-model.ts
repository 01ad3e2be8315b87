/**
 * The packet fuzzer's model of a Starwire game: an independent reading of WIRE.md and SECURITY.md
 * that predicts, for every packet a hostile client sends to the host, what each peer does.
 *
 * It knows the test game (which nodes each peer has, each method's mode, arity and schema, each
 * node's authority), reads packets with its own parsers (varints, RPC headers, system messages,
 * msgpack arguments, the plain-data rules), keeps its own path caches (which cache ids each
 * sender announced to each receiver, which ids each honest sender had confirmed) and its own rate
 * buckets, and simulates the star: the host checks a relayed packet as if it were addressed to
 * itself, runs it if it is among the targets, forwards it stamped with the true sender and charges
 * the sender once per recipient; clients check again on arrival; receivers that learn a new path
 * answer CONFIRM_PATH. Path ids follow WIRE.md's "Path ids": only direct reliable inline calls and
 * PATH_ANNOUNCE teach, PATH_FORGET is answered PATH_FORGOTTEN, teaching an id held for another
 * path is malformed, a forgotten id keeps its path for late packets until taught again. Nothing here calls the SDK's decoders or dispatcher: the SDK is what the
 * fuzzer compares this with (packet.fuzz.test.ts).
 *
 * What a step produces is a sorted list of lines, one per observable effect:
 *   `3 run /root/arena.move from 2 [1,"absent"]`   a handler ran (receiver, node, method, sender, arguments)
 *   `1 set /root/arena.score from 2 7`             a member was set
 *   `4 rejected forbidden from 2 /root/arena endRound`   a `rejected` event (reason, from, node, method)
 *   `3 raw from 2 0102`                            a `peerPacket` event
 *   `1 stale baseline from 2`                      a `staleBaseline` event (not a rejection)
 *   `2 gets reliable 0200`                         a packet that reached the hostile client
 */
import { Color } from "../src/math/color.js";
import { Vector2 } from "../src/math/vector2.js";
import { Vector3 } from "../src/math/vector3.js";

export const HOST = 1;
export const ATTACKER = 2;
/** The honest clients are 3 (which sends calls of its own, `clientSteps`) and 4 (which only receives). */
/** WIRE.md, "Path ids": ids are below 4096; an id at or above it is malformed wherever it appears. */
export const MAX_PATHS_PER_SENDER = 4096;
const MAX_DEPTH = 64; // WIRE.md: "nesting deeper than 64 … make[s] the whole packet invalid"

// ---------------------------------------------------------------------------------------------
// The test game

export type Mode = "authority" | "any_peer";
export interface MethodSpec {
  name: string;
  mode: Mode;
  /** Declared parameters; `rest` takes any number after them. */
  params: number;
  /** Parameters without a default (the rest are filled with ABSENT). */
  required: number;
  rest?: boolean;
  /** One schema per parameter, when declared: does this argument pass? */
  schema?: (value: unknown) => boolean;
}
export interface MemberSpec {
  name: string;
  mode: Mode;
  schema?: (value: unknown) => boolean;
}
export interface NodeClass {
  name: string;
  methods: MethodSpec[];
  members: MemberSpec[];
}

/** What an optional parameter holds when the call leaves it out (the test's handlers default to it). */
export const ABSENT = "absent";
/** The test's Standard Schema: a string of at most 8 characters. */
export const isShortText = (value: unknown) => typeof value === "string" && value.length <= 8;

const byName = <T extends { name: string }>(list: T[]) =>
  [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
const nodeClass = (name: string, methods: MethodSpec[], members: MemberSpec[] = []): NodeClass => ({
  name,
  methods: byName(methods),
  members: byName(members),
});
const method = (name: string, mode: Mode, params: number, more: Partial<MethodSpec> = {}): MethodSpec => ({
  name,
  mode,
  params,
  required: params,
  ...more,
});

export const CLASSES = {
  Root: nodeClass("Root", []),
  Arena: nodeClass(
    "Arena",
    [
      method("announce", "authority", 1),
      method("chat", "any_peer", 1, { schema: isShortText }),
      method("endRound", "authority", 0),
      method("move", "any_peer", 2, { required: 1 }),
      method("noop", "any_peer", 0),
      method("spread", "any_peer", 0, { rest: true }),
    ],
    [
      { name: "label", mode: "any_peer", schema: isShortText },
      { name: "phase", mode: "authority" },
      { name: "score", mode: "any_peer" },
    ],
  ),
  Pawn: nodeClass(
    "Pawn",
    [method("step", "authority", 1), method("taunt", "any_peer", 0)],
    [{ name: "hp", mode: "authority" }],
  ),
  Vault: nodeClass("Vault", [method("deposit", "any_peer", 1)]),
  Lobby: nodeClass("Lobby", [method("join", "any_peer", 1)]),
  /** Client 4 runs newer code: one more method, so another digest. */
  LobbyV2: nodeClass("LobbyV2", [method("join", "any_peer", 1), method("leave", "any_peer", 0)]),
  ClientSide: nodeClass("ClientSide", [method("ping", "any_peer", 0)]),
  /** What the host spawns and removes (`/root/spark<n>`, on the host and both honest clients). */
  Spark: nodeClass("Spark", [method("flash", "any_peer", 0)]),
  Odd: nodeClass("Odd", [method("poke", "any_peer", 0, { rest: true })]),
} as const;

export interface NodeSpec {
  path: string;
  cls: NodeClass;
  authority: number;
}

/** Which nodes each peer has (the hostile client 2 has no tree: it only sends). */
export function treeOf(peer: number): Map<string, NodeSpec> {
  const nodes: NodeSpec[] = [
    { path: "/root", cls: CLASSES.Root, authority: HOST },
    { path: "/root/arena", cls: CLASSES.Arena, authority: HOST },
    { path: "/root/arena/pawn2", cls: CLASSES.Pawn, authority: 2 },
    { path: "/root/arena/pawn3", cls: CLASSES.Pawn, authority: 3 },
    { path: "/root/lobby", cls: peer === 4 ? CLASSES.LobbyV2 : CLASSES.Lobby, authority: HOST },
    { path: "/root/__proto__", cls: CLASSES.Odd, authority: HOST },
  ];
  if (peer === HOST) nodes.push({ path: "/root/hostonly", cls: CLASSES.Vault, authority: HOST });
  else nodes.push({ path: "/root/clientside", cls: CLASSES.ClientSide, authority: HOST });
  return new Map(nodes.map((node) => [node.path, node]));
}

/**
 * NetNode.getNode on /root: an absolute path names the root first and continues from it (what
 * follows is read again, so "/root//root/arena" is /root/arena and "/root//arena" is nothing); a
 * relative one walks child names from /root, skipping empty segments, ".." going up.
 */
export function getNode(tree: Map<string, NodeSpec>, path: string): NodeSpec | null {
  if (path.startsWith("/")) {
    const [, rootName, ...names] = path.split("/");
    return rootName === "root" ? getNode(tree, names.join("/")) : null;
  }
  let at: string | null = "/root";
  for (const name of path.split("/")) {
    if (name === "" || at === null) continue;
    if (name === "..") at = at === "/root" ? null : at.slice(0, at.lastIndexOf("/"));
    else at = tree.has(`${at}/${name}`) ? `${at}/${name}` : null;
  }
  return at === null ? null : tree.get(at)!;
}

/** WIRE.md: 16-bit FNV-1a of the sorted @rpc methods, then the sorted members (joined "a,b;c"). */
export function digestOf(cls: NodeClass): number {
  let hash = 0x811c9dc5;
  const text = `${cls.methods.map((m) => m.name).join(",")};${cls.members.map((m) => m.name).join(",")}`;
  for (const char of text) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return (hash ^ (hash >>> 16)) & 0xffff;
}

// ---------------------------------------------------------------------------------------------
// Bytes

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
export function hex(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += HEX[byte];
  return text;
}

/** WIRE.md: unsigned LEB128, at most 32 bits. */
export function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

function readVarint(bytes: Uint8Array, offset: number): [number, number] | null {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) return null;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return value > 0xffffffff ? null : [value, offset + i + 1];
  }
  return null;
}

const int32le = (value: number) => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value, true);
  return [...bytes];
};

export const COMMAND = { RPC: 0, RSET: 1, CONFIRM_PATH: 2, RAW: 3, SYS: 4, EXTENDED: 7 } as const;
/** WIRE.md "Extended commands": the first bytes scene replication owns (the clock's are below). */
export const REPLICATION = { SPAWN: 0x07, DESPAWN: 0x0f, SYNC: 0x17, DELTA: 0x1f, SYNC_ACK: 0x27 } as const;
/** WIRE.md: extended commands 5 and 6 of command 7 (`7 | ext << 3`). */
export const CLOCK_PING = 0x2f;
export const CLOCK_PONG = 0x37;
/** WIRE.md "Scene replication": extended command 10, the host's visibility notice to a synchronizer's owner. */
export const SYNC_VISIBILITY = 0x57;
/** The host's time in a pong reaching the hostile client, which no model predicts: both sides write this. */
export const HOST_TIME = "<hostTime>";

/** WIRE.md: a clock time is a little-endian float64, finite, from 0 to 2⁴⁰ ms. */
function isClockTime(bytes: Uint8Array, offset: number): boolean {
  const time = new DataView(bytes.buffer, bytes.byteOffset + offset, 8).getFloat64(0, true);
  return time >= 0 && time <= 2 ** 40;
}

/** `[cmd | 0x08 when inline][cacheId][pathLength path digest when inline][index][arguments]` */
export interface CallHeader {
  command: 0 | 1;
  cacheId: number;
  inline: { path: string; digest: number } | null;
  index: number;
}

export function encodeCall(call: CallHeader, args: Uint8Array): Uint8Array {
  const out = [call.command | (call.inline ? 0x08 : 0), ...varint(call.cacheId)];
  if (call.inline) {
    const path = new TextEncoder().encode(call.inline.path);
    out.push(...varint(path.length), ...path, call.inline.digest >> 8, call.inline.digest & 0xff);
  }
  out.push(...varint(call.index), ...args);
  return Uint8Array.from(out);
}

export const encodeRelay = (peer: number, packet: Uint8Array) =>
  Uint8Array.from([COMMAND.SYS, 2, ...int32le(peer), ...packet]);
export const encodeConfirm = (cacheId: number) => Uint8Array.from([COMMAND.CONFIRM_PATH, ...varint(cacheId)]);

/** WIRE.md, "Path ids": the first bytes of PATH_ANNOUNCE, PATH_FORGET and PATH_FORGOTTEN (extended 7, 8, 9). */
export const PATH_HEAD = { announce: 0x3f, forget: 0x47, forgotten: 0x4f } as const;
export type PathKind = keyof typeof PATH_HEAD;
export const encodeAnnounce = (id: number, path: string, digest: number) => {
  const bytes = new TextEncoder().encode(path);
  return Uint8Array.from([
    PATH_HEAD.announce,
    ...varint(id),
    ...varint(bytes.length),
    ...bytes,
    digest >> 8,
    digest & 0xff,
  ]);
};
export const encodePathId = (kind: "forget" | "forgotten", id: number) =>
  Uint8Array.from([PATH_HEAD[kind], ...varint(id)]);

type PathPacket =
  | { kind: "announce"; id: number; path: string; digest: number }
  | { kind: "forget" | "forgotten"; id: number };

/** Reads a path cache packet, or null when malformed (an id, then for an announcement a path and digest, then nothing). */
export function parsePathPacket(bytes: Uint8Array): PathPacket | null {
  const kind = (Object.keys(PATH_HEAD) as PathKind[]).find((k) => PATH_HEAD[k] === bytes[0]);
  const id = kind && readVarint(bytes, 1);
  if (!kind || !id) return null;
  if (kind !== "announce") return id[1] === bytes.length ? { kind, id: id[0] } : null;
  const length = readVarint(bytes, id[1]);
  if (!length || length[0] > 1024 || length[1] + length[0] + 2 !== bytes.length) return null;
  try {
    const path = strictUtf8.decode(bytes.subarray(length[1], length[1] + length[0]));
    const at = length[1] + length[0];
    return { kind, id: id[0], path, digest: (bytes[at]! << 8) | bytes[at + 1]! };
  } catch {
    return null;
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
/** Strings in arguments keep a leading byte-order mark (msgpack does not strip it). */
const textUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function parseCall(bytes: Uint8Array): (CallHeader & { args: Uint8Array }) | null {
  const first = bytes[0]!;
  if (first & 0xf0) return null;
  const id = readVarint(bytes, 1);
  if (!id) return null;
  let offset = id[1];
  let inline: CallHeader["inline"] = null;
  if (first & 0x08) {
    const length = readVarint(bytes, offset);
    if (!length || length[1] + length[0] + 2 > bytes.length) return null;
    let path: string;
    try {
      path = strictUtf8.decode(bytes.subarray(length[1], length[1] + length[0]));
    } catch {
      return null;
    }
    offset = length[1] + length[0];
    inline = { path, digest: (bytes[offset]! << 8) | bytes[offset + 1]! };
    offset += 2;
  }
  const index = readVarint(bytes, offset);
  if (!index) return null;
  return {
    command: (first & 7) as 0 | 1,
    cacheId: id[0],
    inline,
    index: index[0],
    args: bytes.subarray(index[1]),
  };
}

// ---------------------------------------------------------------------------------------------
// Arguments: msgpack, then WIRE.md's plain-data rules

/** A decoded map, before the plain-data rules turn it into an object (msgpack-lite builds a JS Map). */
class MsgMap {
  constructor(readonly map: Map<unknown, unknown>) {}
}
/** A plain object the model expects a handler to receive. */
export class ModelObject {
  readonly entries = new Map<string, unknown>();
}
/** A built-in extension value the model expects (Vector2, Vector3, Color). */
export class ModelExt {
  constructor(
    readonly kind: "Vector2" | "Vector3" | "Color",
    readonly values: number[],
  ) {}
}
class Invalid extends Error {}

/** WIRE.md: a `prototype` key, or a key shadowing what every object inherits, invalidates the packet. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  "prototype",
  ...Object.getOwnPropertyNames(Object.prototype),
]);
const EXT_FLOATS: Record<number, [ModelExt["kind"], number]> = {
  1: ["Vector2", 2],
  2: ["Vector3", 3],
  3: ["Color", 4],
};

/**
 * msgpack-lite's string reading, for bytes that are not UTF-8 (valid UTF-8 reads as UTF-8): a
 * dependency's lenient reading, reproduced so the model knows which key odd bytes spell. It may
 * read continuation bytes past the string's end.
 */
function readText(buffer: Uint8Array, start: number, end: number): string {
  let text = "";
  let index = start;
  const next = () => (buffer[index++] ?? 0) & 0x3f;
  while (index < end) {
    let char = buffer[index++]!;
    if (char >= 0x80) {
      if ((char & 0xe0) === 0xc0) char = ((char & 0x1f) << 6) | next();
      else if ((char & 0xf0) === 0xe0) char = ((char & 0x0f) << 12) | (next() << 6) | next();
      else if ((char & 0xf8) === 0xf0) char = ((char & 0x07) << 18) | (next() << 12) | (next() << 6) | next();
    }
    if (char >= 0x10000) {
      char -= 0x10000;
      text += String.fromCharCode((char >>> 10) + 0xd800, (char & 0x3ff) + 0xdc00);
    } else text += String.fromCharCode(char);
  }
  return text;
}

class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}
  take(count: number): number {
    if (this.offset + count > this.bytes.length) throw new Invalid("truncated");
    const at = this.offset;
    this.offset += count;
    return at;
  }
  view(count: number): DataView {
    const at = this.take(count);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + at, count);
  }
  uint(count: 1 | 2 | 4): number {
    const view = this.view(count);
    return count === 1 ? view.getUint8(0) : count === 2 ? view.getUint16(0) : view.getUint32(0);
  }
}

function readValue(r: Reader): unknown {
  const type = r.uint(1);
  if (type <= 0x7f) return type;
  if (type <= 0x8f) return readMap(r, type & 0x0f);
  if (type <= 0x9f) return readArray(r, type & 0x0f);
  if (type <= 0xbf) return readString(r, type & 0x1f);
  if (type >= 0xe0) return type - 0x100;
  switch (type) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
    case 0xc5:
    case 0xc6: {
      const at = r.take(r.uint(([1, 2, 4] as const)[type - 0xc4]!));
      return r.bytes.slice(at, r.offset);
    }
    case 0xc7:
    case 0xc8:
    case 0xc9:
      return readExt(r, r.uint(([1, 2, 4] as const)[type - 0xc7]!));
    case 0xca:
      return r.view(4).getFloat32(0);
    case 0xcb:
      return r.view(8).getFloat64(0);
    case 0xcc:
      return r.uint(1);
    case 0xcd:
      return r.uint(2);
    case 0xce:
      return r.uint(4);
    case 0xcf:
      return Number(r.view(8).getBigUint64(0));
    case 0xd0:
      return r.view(1).getInt8(0);
    case 0xd1:
      return r.view(2).getInt16(0);
    case 0xd2:
      return r.view(4).getInt32(0);
    case 0xd3:
      return Number(r.view(8).getBigInt64(0));
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      return readExt(r, [1, 2, 4, 8, 16][type - 0xd4]!);
    case 0xd9:
    case 0xda:
    case 0xdb:
      return readString(r, r.uint(([1, 2, 4] as const)[type - 0xd9]!));
    case 0xdc:
    case 0xdd:
      return readArray(r, r.uint(type === 0xdc ? 2 : 4));
    case 0xde:
    case 0xdf:
      return readMap(r, r.uint(type === 0xde ? 2 : 4));
    default:
      throw new Invalid("0xc1 is never used");
  }
}

function readString(r: Reader, length: number): string {
  const at = r.take(length);
  try {
    return textUtf8.decode(r.bytes.subarray(at, at + length));
  } catch {
    return readText(r.bytes, at, at + length);
  }
}

function readArray(r: Reader, length: number): unknown[] {
  const items: unknown[] = [];
  for (let i = 0; i < length; i++) items.push(readValue(r));
  return items;
}

function readMap(r: Reader, length: number): MsgMap {
  const pairs: Array<[unknown, unknown]> = [];
  for (let i = 0; i < length; i++) pairs.push([readValue(r), readValue(r)]);
  return new MsgMap(new Map(pairs));
}

function readExt(r: Reader, length: number): ModelExt {
  const type = r.uint(1);
  const view = r.view(length);
  const known = EXT_FLOATS[type];
  if (!known || known[1] * 4 !== length) throw new Invalid(`extension ${type} of ${length} bytes`);
  return new ModelExt(
    known[0],
    Array.from({ length: known[1] }, (_, i) => view.getFloat32(i * 4)),
  );
}

function plain(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== "object") return value;
  if (depth > MAX_DEPTH) throw new Invalid("too deep");
  if (value instanceof MsgMap) {
    const object = new ModelObject();
    for (const [key, entry] of value.map) {
      if (typeof key !== "string" && typeof key !== "number") throw new Invalid("map key type");
      const name = String(key);
      if (FORBIDDEN_KEYS.has(name)) throw new Invalid(`forbidden key ${name}`);
      object.entries.set(name, plain(entry, depth + 1));
    }
    return object;
  }
  if (Array.isArray(value)) return value.map((entry) => plain(entry, depth + 1));
  return value; // bytes, extension values
}

/** The arguments a receiver decodes, or null when WIRE.md says the packet is invalid. */
export function readArguments(bytes: Uint8Array): unknown[] | null {
  const reader = new Reader(bytes);
  try {
    const values: unknown[] = [];
    while (reader.offset < bytes.length) values.push(readValue(reader));
    return values.map((value) => plain(value, 0));
  } catch (error) {
    if (error instanceof Invalid) return null;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// One canonical text for what a handler receives, for the SDK's values and the model's alike

const canonNumber = (n: number) => (Object.is(n, -0) ? "-0" : String(n));

export function canon(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "number":
      return canonNumber(value);
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return String(value);
    case "object":
      break;
    default:
      return `<${typeof value}>`;
  }
  const object = value as object;
  if (object instanceof ModelObject) {
    const keys = [...object.entries.keys()].sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canon(object.entries.get(k))}`).join(",")}}`;
  }
  if (object instanceof ModelExt) return `${object.kind}(${object.values.map(canonNumber).join(",")})`;
  if (Array.isArray(object)) {
    const items: string[] = [];
    for (let i = 0; i < object.length; i++) items.push(i in object ? canon(object[i]) : "<hole>");
    return Object.getPrototypeOf(object) === Array.prototype && Object.keys(object).length === object.length
      ? `[${items.join(",")}]`
      : `<odd array [${items.join(",")}]>`;
  }
  if (object.constructor === Uint8Array && Object.getPrototypeOf(object) === Uint8Array.prototype) {
    return `bin(${hex(object as Uint8Array)})`;
  }
  for (const [kind, cls, fields] of [
    ["Vector2", Vector2, ["x", "y"]],
    ["Vector3", Vector3, ["x", "y", "z"]],
    ["Color", Color, ["r", "g", "b", "a"]],
  ] as const) {
    if (Object.getPrototypeOf(object) === cls.prototype) {
      return `${kind}(${fields.map((f) => canonNumber((object as Record<string, number>)[f]!)).join(",")})`;
    }
  }
  if (Object.getPrototypeOf(object) === Object.prototype) {
    const keys = Reflect.ownKeys(object);
    const parts: string[] = [];
    for (const key of keys) {
      const descriptor = Object.getOwnPropertyDescriptor(object, key)!;
      if (typeof key !== "string" || !("value" in descriptor) || !descriptor.enumerable) {
        return `<object with odd property ${String(key)}>`;
      }
    }
    for (const key of (keys as string[]).sort()) {
      parts.push(`${JSON.stringify(key)}:${canon((object as Record<string, unknown>)[key])}`);
    }
    return `{${parts.join(",")}}`;
  }
  return `<${object.constructor?.name ?? "object"} instance>`;
}

// ---------------------------------------------------------------------------------------------
// The star

export interface ModelLimits {
  messageBurst: number;
  byteBurst: number;
}

type Reason =
  | "malformed"
  | "forbidden"
  | "unknown_target"
  | "unknown_node"
  | "unknown_method"
  | "config_mismatch"
  | "invalid_arguments"
  | "rate_limited";

interface Message {
  from: number;
  to: number;
  bytes: Uint8Array;
  transfer: string;
}

/** What the test game's peers do, according to the documents. */
export class StarModel {
  readonly #trees = new Map([1, 3, 4].map((peer) => [peer, treeOf(peer)]));
  /**
   * receiver → sender → cache id → what the receiver holds: a path, "refused" (taught, but its
   * node was missing or different) or forgotten (the sender released it; with the path it named,
   * which late cached packets still address, if it was bound).
   */
  readonly #incoming = new Map<number, Map<number, Map<number, string | typeof REFUSED | Forgotten>>>();
  /** An honest client's own cache ids (they never change), and who confirmed which. */
  readonly #outgoing = new Map<number, string[]>([
    [3, ["/root/arena/pawn3"]],
    [4, []],
  ]);
  /**
   * The host's own ids, which it recycles (WIRE.md, "Path ids"): /root/arena's, then its sparks'.
   * `pending` is set once released: the peers that have not answered PATH_FORGOTTEN yet.
   */
  readonly #hostIds = new Map<
    number,
    { path: string; taught: Set<number>; confirmed: Set<number>; pending: Set<number> | null }
  >([[0, { path: "/root/arena", taught: new Set([2, 3, 4]), confirmed: new Set([3, 4]), pending: null }]]);
  readonly #hostFree: number[] = [];
  #hostNextId = 1;
  /** The sparks alive, oldest first, and how many were ever made (their names count up). */
  readonly #sparks: string[] = [];
  #sparkCount = 0;
  readonly #confirmed = new Map<number, Map<number, Set<number>>>();
  /** WIRE.md "Scene replication: SYNC": the SYNC ticks each peer holds from each sender. */
  readonly #syncHistory = new Map<number, Map<number, SyncHistory>>();
  /** Who each peer knows of (a client never learns of a peer the host did not announce). */
  readonly peers = new Map<number, number[]>([
    [HOST, [2, 3, 4]],
    [3, [1, 2, 4]],
    [4, [1, 2, 3]],
  ]);
  readonly #buckets = new Map<number, { messages: number; bytes: number }>();
  readonly #queue: Message[] = [];
  #lines: string[] = [];

  /** `limits` null: the host's rate limits are far out of reach. */
  constructor(readonly limits: ModelLimits | null) {
    // The setup every test game runs: the host announced /root/arena to everyone (3 and 4 confirmed),
    // client 3 announced /root/arena/pawn3 with a PATH_ANNOUNCE to everyone, as its calls are relayed
    // (the host and 4 confirmed). The hostile client confirmed nothing. Both honest senders have
    // taught every peer their id, so they never announce again in a session.
    this.#table(this.#incoming, 3, HOST).set(0, "/root/arena");
    this.#table(this.#incoming, 4, HOST).set(0, "/root/arena");
    this.#table(this.#incoming, HOST, 3).set(0, "/root/arena/pawn3");
    this.#table(this.#incoming, 4, 3).set(0, "/root/arena/pawn3");
    for (const by of [HOST, 4]) this.#confirmations(3, by).add(0);
  }

  /** The hostile client sends `bytes` to the host. */
  attackerSends(bytes: Uint8Array, transfer: string): string[] {
    this.#queue.push({ from: ATTACKER, to: HOST, bytes, transfer });
    return this.#run();
  }

  /** The host calls `announce(text)` on /root/arena for everyone (`text`: a few ASCII letters). */
  hostAnnounces(text: string): string[] {
    const packet = this.#honestCall(HOST, "/root/arena", "announce", [
      0xa0 | text.length,
      ...new TextEncoder().encode(text),
    ]);
    for (const peer of this.peers.get(HOST)!)
      this.#queue.push({ from: HOST, to: peer, bytes: packet, transfer: "reliable" });
    return this.#run();
  }

  /**
   * The host adds /root/spark<n> (so do 3 and 4) and calls `flash()` on it for everyone: its id is
   * the least recently released free one, or the next new one; the call is inline and teaches it.
   */
  hostSparks(): string[] {
    const path = `/root/spark${this.#sparkCount++}`;
    this.#sparks.push(path);
    for (const peer of [HOST, 3, 4])
      this.#trees.get(peer)!.set(path, { path, cls: CLASSES.Spark, authority: HOST });
    let id = this.#hostFree.shift();
    if (id === undefined) id = this.#hostNextId++;
    this.#hostIds.set(id, { path, taught: new Set(), confirmed: new Set(), pending: null });
    const packet = this.#honestCall(HOST, path, "flash", []);
    for (const peer of this.peers.get(HOST)!) {
      this.#hostIds.get(id)!.taught.add(peer);
      this.#queue.push({ from: HOST, to: peer, bytes: packet, transfer: "reliable" });
    }
    return this.#run();
  }

  /** The oldest spark goes (from 3 and 4, then the host): the host tells every peer it taught to forget its id. */
  hostUnsparks(): string[] {
    const path = this.#sparks.shift();
    if (path === undefined) return this.#run();
    for (const peer of [HOST, 3, 4]) this.#trees.get(peer)!.delete(path);
    const [id, entry] = [...this.#hostIds].find(([, e]) => e.path === path && !e.pending)!;
    entry.pending = new Set(entry.taught);
    entry.confirmed.clear();
    if (entry.pending.size === 0) this.#freeHostId(id);
    for (const peer of entry.pending)
      this.#queue.push({ from: HOST, to: peer, bytes: encodePathId("forget", id), transfer: "reliable" });
    return this.#run();
  }

  #freeHostId(id: number): void {
    this.#hostIds.delete(id);
    this.#hostFree.push(id);
  }

  /** Client 3 calls `step(n)` on its pawn for everyone (`n`: 0..127). */
  clientSteps(n: number): string[] {
    const packet = this.#honestCall(3, "/root/arena/pawn3", "step", [n]);
    this.#queue.push({ from: 3, to: HOST, bytes: encodeRelay(0, packet), transfer: "reliable" });
    return this.#run();
  }

  /** An honest peer's call, inline until every peer confirmed (both honest senders taught everyone in the setup). */
  #honestCall(sender: number, path: string, name: string, args: number[]): Uint8Array {
    const node = this.#trees.get(sender)!.get(path)!;
    const hostId = [...this.#hostIds].find(([, e]) => e.path === path && !e.pending);
    const cacheId = sender === HOST ? hostId![0] : this.#outgoing.get(sender)!.indexOf(path);
    const confirmed = (peer: number) =>
      sender === HOST ? hostId![1].confirmed.has(peer) : this.#confirmations(sender, peer).has(cacheId);
    const cached = this.peers.get(sender)!.every(confirmed);
    return encodeCall(
      {
        command: COMMAND.RPC,
        cacheId,
        inline: cached ? null : { path, digest: digestOf(node.cls) },
        index: node.cls.methods.findIndex((m) => m.name === name),
      },
      Uint8Array.from(args),
    );
  }

  #run(): string[] {
    for (let message = this.#queue.shift(); message; message = this.#queue.shift()) {
      const { from, to, bytes, transfer } = message;
      if (to === ATTACKER) this.#lines.push(`2 gets ${transfer} ${hex(bytes)}`);
      else if (to === HOST) this.#hostReceives(from, bytes, transfer);
      else this.#clientReceives(to, bytes, transfer);
    }
    const lines = this.#lines.sort();
    this.#lines = [];
    return lines;
  }

  /** Sends as MultiplayerAPI does: a client reaches anyone but the host through a relay. */
  #send(from: number, to: number, bytes: Uint8Array): void {
    if (!this.peers.get(from)!.includes(to)) return;
    const relayed = from !== HOST && to !== HOST;
    this.#queue.push({
      from,
      to: relayed ? HOST : to,
      bytes: relayed ? encodeRelay(to, bytes) : bytes,
      transfer: "reliable",
    });
  }

  #reject(at: number, from: number, reason: Reason, node?: string, method?: string): null {
    this.#lines.push(`${at} rejected ${reason} from ${from} ${node || "-"} ${method || "-"}`);
    return null;
  }

  /**
   * WIRE.md: bits 4–7 must be 0; bit 3 is RPC's and RSET's flag, 0 for the other commands. Command
   * 7's bits 3–7 name an extended command instead: the path cache's are known, any other is malformed.
   */
  #flagBits(bytes: Uint8Array): boolean {
    const command = bytes[0]! & 7;
    if (command === 7) return !Object.values(PATH_HEAD).includes(bytes[0] as 0x3f);
    const call = command === COMMAND.RPC || command === COMMAND.RSET;
    return (bytes[0]! & (call ? 0xf0 : 0xf8)) !== 0;
  }

  /** SECURITY.md: rate limits on the host, per client, before any decoding. */
  #allow(peer: number, bytes: number): boolean {
    if (!this.limits) return true;
    const bucket = this.#bucket(peer);
    if (bucket.messages < 1 || bucket.bytes < bytes) return false;
    bucket.messages -= 1;
    bucket.bytes -= bytes;
    return true;
  }

  /**
   * WIRE.md "Path ids": a PATH_FORGET or PATH_FORGOTTEN (at most 9 bytes with a relay header)
   * over the limit still goes through, into a debt of at most one burst.
   */
  #owe(peer: number, bytes: Uint8Array): boolean {
    const relayed = bytes[0] === COMMAND.SYS && bytes[1] === 2;
    const head = relayed ? bytes[6] : bytes[0];
    if (bytes.length > 9 || (head !== PATH_HEAD.forget && head !== PATH_HEAD.forgotten)) return false;
    const bucket = this.#bucket(peer);
    const { messageBurst, byteBurst } = this.limits!;
    if (bucket.messages - 1 < -messageBurst || bucket.bytes - bytes.length < -byteBurst) return false;
    bucket.messages -= 1;
    bucket.bytes -= bytes.length;
    return true;
  }

  #bucket(peer: number) {
    let bucket = this.#buckets.get(peer);
    if (!bucket) {
      bucket = { messages: this.limits!.messageBurst, bytes: this.limits!.byteBurst };
      this.#buckets.set(peer, bucket);
    }
    return bucket;
  }

  #hostReceives(from: number, bytes: Uint8Array, transfer: string): void {
    if (!this.#allow(from, bytes.length) && !this.#owe(from, bytes))
      return void this.#reject(HOST, from, "rate_limited");
    if (bytes.length === 0) return void this.#reject(HOST, from, "malformed");
    if ((bytes[0]! & 7) !== COMMAND.SYS) return this.#check(HOST, from, bytes, transfer, false)?.();
    if (this.#flagBits(bytes)) return void this.#reject(HOST, from, "malformed");
    const sub = bytes[1];
    if (sub === 3) {
      // AUTH: only before admission, and authentication is off in this game.
      const valid = bytes.length >= 3 && bytes[2]! <= 1 && (bytes[2] === 0 || bytes.length === 3);
      return void this.#reject(HOST, from, valid ? "forbidden" : "malformed");
    }
    if (bytes.length < 6) return void this.#reject(HOST, from, "malformed");
    if (sub === 0 || sub === 1 || sub === 4 || sub === 5 || sub === 6) {
      // Peer notices and the tick rate: only the host sends them.
      return void this.#reject(HOST, from, bytes.length === 6 ? "forbidden" : "malformed");
    }
    if (sub !== 2 || bytes.length === 6) return void this.#reject(HOST, from, "malformed");
    const target = new DataView(bytes.buffer, bytes.byteOffset + 2, 4).getInt32(0, true);
    const inner = bytes.subarray(6);
    if ((inner[0]! & 7) === COMMAND.SYS) return void this.#reject(HOST, from, "forbidden");
    this.#relay(from, target, inner, transfer);
  }

  /**
   * WIRE.md / SECURITY.md: a client's relay targets `peer` (0 everyone, −n everyone but n). The
   * host checks the packet as if it were addressed to itself, runs it when it is among the
   * targets, forwards it to the others stamped with the true sender, and charges the sender's
   * byte budget once more for each recipient beyond the first.
   */
  #relay(from: number, target: number, packet: Uint8Array, transfer: string): void {
    const clients = this.peers.get(HOST)!;
    if (target > 1 && !clients.includes(target)) {
      // WIRE.md, "Path ids": the host learns a client's ids from the announcements it relays, even
      // one whose target is gone.
      if (packet[0] === PATH_HEAD.announce) this.#check(HOST, from, packet, transfer, true);
      return void this.#reject(HOST, from, "unknown_target");
    }
    const run = this.#check(HOST, from, packet, transfer, true);
    if (!run) return;
    if (target === HOST || target === 0 || (target < 0 && target !== -HOST)) run();
    if (target === HOST) return;
    const recipients =
      target > 0
        ? [target].filter((id) => id !== from)
        : clients.filter((id) => id !== from && id !== -target);
    if (this.limits && recipients.length > 1)
      this.#bucket(from).bytes -= packet.length * (recipients.length - 1);
    const stamped = encodeRelay(from, packet);
    for (const id of recipients) this.#queue.push({ from: HOST, to: id, bytes: stamped, transfer });
  }

  #clientReceives(at: number, bytes: Uint8Array, transfer: string): void {
    // Only the host (honest here) talks to a client: relays, and its own calls.
    if ((bytes[0]! & 7) === COMMAND.SYS) {
      const source = new DataView(bytes.buffer, bytes.byteOffset + 2, 4).getInt32(0, true);
      if (source < 2 || source === at) return void this.#reject(at, HOST, "malformed");
      return this.#check(at, source, bytes.subarray(6), transfer, true)?.();
    }
    this.#check(at, HOST, bytes, transfer, false)?.();
  }

  /**
   * WIRE.md, "Path ids": an announcement teaches its id while being checked (on the host too,
   * before relaying it: a missing or different node is not reported, the id is only refused),
   * unless the id is still held for another path; a forget makes the receiver forget an id it
   * was taught and answer PATH_FORGOTTEN (it answers one it was never taught, or forgot, too:
   * the teaching may have been dropped by the rate limits); a PATH_FORGOTTEN is only accepted for an id the
   * receiver released to that peer, and honest peers here release nothing.
   */
  #checkPathPacket(at: number, from: number, packet: Uint8Array, transfer: string): (() => void) | null {
    const message = parsePathPacket(packet);
    if (!message || message.id >= MAX_PATHS_PER_SENDER || transfer !== "reliable") {
      return this.#reject(at, from, "malformed");
    }
    const paths = this.#table(this.#incoming, at, from);
    const held = paths.get(message.id);
    if (message.kind === "announce") {
      if (typeof held === "string" && held !== message.path)
        return this.#reject(at, from, "malformed", message.path);
      this.#teach(
        at,
        from,
        message.id,
        message.path,
        getNode(this.#trees.get(at)!, message.path),
        message.digest,
      );
      return () => {};
    }
    if (message.kind === "forgotten") {
      return () => {
        // Only the host releases ids here; the clients' ids are never released.
        const pending = at === HOST ? this.#hostIds.get(message.id)?.pending : undefined;
        if (!pending?.delete(from)) return void this.#reject(at, from, "malformed");
        if (pending.size === 0) this.#freeHostId(message.id);
      };
    }
    return () => {
      // An id never taught (its teaching may have been dropped) or already forgotten is answered too.
      if (held !== undefined && !(held instanceof Forgotten))
        paths.set(message.id, new Forgotten(typeof held === "string" ? held : null));
      this.#send(at, from, encodePathId("forgotten", message.id));
    };
  }

  /** A packet that teaches `id` for `path` arrived: bound (and confirmed when new) if the node fits, else refused. */
  #teach(at: number, from: number, id: number, path: string, node: NodeSpec | null, digest: number): void {
    const paths = this.#table(this.#incoming, at, from);
    const held = paths.get(id);
    if (!node || digestOf(node.cls) !== digest) {
      if (typeof held !== "string") paths.set(id, REFUSED);
      return;
    }
    if (held === path) return;
    paths.set(id, path);
    this.#send(at, from, encodeConfirm(id));
  }

  /** Everything a receiver checks before acting; what acting does, or null when it rejected. */
  #check(
    at: number,
    from: number,
    packet: Uint8Array,
    transfer: string,
    relayed: boolean,
  ): (() => void) | null {
    const command = packet[0]! & 7;
    if (packet[0] === CLOCK_PING || packet[0] === CLOCK_PONG) return this.#clock(at, from, packet, relayed);
    if (packet[0] === SYNC_VISIBILITY) return this.#syncVisibility(at, from, packet);
    if (command === COMMAND.EXTENDED) {
      return Object.values(PATH_HEAD).includes(packet[0] as 0x3f)
        ? this.#checkPathPacket(at, from, packet, transfer)
        : this.#checkReplication(at, from, packet, !relayed && transfer === "reliable");
    }
    if (command !== COMMAND.RPC && command !== COMMAND.RSET && this.#flagBits(packet)) {
      return this.#reject(at, from, "malformed");
    }
    if (command === COMMAND.RAW)
      return () => void this.#lines.push(`${at} raw from ${from} ${hex(packet.subarray(1))}`);
    if (command === COMMAND.CONFIRM_PATH) {
      const id = readVarint(packet, 1);
      if (!id || id[1] !== packet.length) return this.#reject(at, from, "malformed");
      return () => {
        if (at === HOST) {
          // A confirmation that crosses the id's release is ignored.
          const entry = this.#hostIds.get(id[0]);
          if (!entry) return void this.#reject(at, from, "malformed");
          if (!entry.pending) entry.confirmed.add(from);
          return;
        }
        if (id[0] >= this.#outgoing.get(at)!.length) return void this.#reject(at, from, "malformed");
        this.#confirmations(at, from).add(id[0]);
      };
    }
    if (command !== COMMAND.RPC && command !== COMMAND.RSET) return this.#reject(at, from, "malformed");
    const call = parseCall(packet);
    if (!call || call.cacheId >= MAX_PATHS_PER_SENDER) return this.#reject(at, from, "malformed");
    // WIRE.md, "Path ids": only a call that arrives directly, reliable on channel 0, teaches its id.
    const node = this.#resolve(at, from, call, !relayed && transfer === "reliable");
    if (!node) return null;
    const isMethod = call.command === COMMAND.RPC;
    const spec = (isMethod ? node.cls.methods : node.cls.members)[call.index];
    if (!spec) return this.#reject(at, from, "unknown_method", node.path);
    if (spec.mode === "authority" && from !== node.authority) {
      return this.#reject(at, from, "forbidden", node.path, spec.name);
    }
    const args = readArguments(call.args);
    if (!args) return this.#reject(at, from, "malformed", node.path, spec.name);
    const invalid = () => this.#reject(at, from, "invalid_arguments", node.path, spec.name);
    if (!isMethod) {
      if (args.length !== 1 || (spec.schema && !spec.schema(args[0]))) return invalid();
      return () =>
        void this.#lines.push(`${at} set ${node.path}.${spec.name} from ${from} ${canon(args[0])}`);
    }
    const m = spec as MethodSpec;
    if (args.length < m.required || (!m.rest && args.length > m.params)) return invalid();
    if (m.schema && !args.every((arg) => m.schema!(arg))) return invalid();
    const received = [...args, ...Array(Math.max(0, m.params - args.length)).fill(ABSENT)];
    return () => void this.#lines.push(`${at} run ${node.path}.${m.name} from ${from} ${canon(received)}`);
  }

  /**
   * WIRE.md "Scene replication", SYNC_VISIBILITY: `[0x57][peer ≥ 2][visible 0|1][path, not
   * empty]`, else malformed; only the host sends it, only to a client (forbidden otherwise, naming
   * the path). A client hears it only from the host, which never sends one in this game (it has
   * no client-owned synchronizer).
   */
  #syncVisibility(at: number, from: number, packet: Uint8Array): (() => void) | null {
    const peer = readVarint(packet, 1);
    const visible = peer && readVarint(packet, peer[1]);
    const length = visible && readVarint(packet, visible[1]);
    if (!peer || !visible || !length || peer[0] < 2 || peer[0] > 0x7fffffff || visible[0] > 1) {
      return this.#reject(at, from, "malformed");
    }
    if (length[0] > 1024 || length[1] + length[0] !== packet.length) {
      return this.#reject(at, from, "malformed");
    }
    let path: string;
    try {
      path = utf8.decode(packet.subarray(length[1]));
    } catch {
      return this.#reject(at, from, "malformed");
    }
    if (path === "") return this.#reject(at, from, "malformed"); // empty, or a byte-order mark alone
    if (at === HOST || from !== HOST) return this.#reject(at, from, "forbidden", path);
    throw new Error("the model has no SYNC_VISIBILITY from the host");
  }

  /**
   * WIRE.md, "Network clock": pings go from a client to the host and pongs back, directly; the
   * host answers a well-formed ping at once with the echoed send time and its own time.
   */
  #clock(at: number, from: number, packet: Uint8Array, relayed: boolean): (() => void) | null {
    const ping = packet[0] === CLOCK_PING;
    if (relayed || (ping ? at !== HOST : at === HOST || from !== HOST)) {
      return this.#reject(at, from, "forbidden");
    }
    // A pong can only reach an honest client from the honest host, which never sends one unasked.
    if (!ping) throw new Error("the model has no pong to an honest client");
    if (packet.length < 9 || !isClockTime(packet, 1)) return this.#reject(at, from, "malformed");
    if (packet.length > 9) {
      const rtt = readVarint(packet, 9);
      if (!rtt || rtt[1] !== packet.length || rtt[0] > 60_000_000) return this.#reject(at, from, "malformed");
    }
    return () => {
      if (from === ATTACKER)
        this.#lines.push(`2 gets unreliable 37${hex(packet.subarray(1, 9))}${HOST_TIME}`);
    };
  }

  /**
   * WIRE.md "Scene replication", for a game without spawners or synchronizers (this one): nothing
   * can spawn or synchronize, so a well-formed packet is either rejected for the node it names or
   * does nothing (SYNC_ACK; a SYNC or DELTA whose entries name nodes that are gone; a DESPAWN of a
   * node that is gone). Whole packets are parsed before any node is looked at. A packet that
   * teaches (direct, reliable: "Ids and recycling") binds an inline ref whose node is here, or
   * refuses it; a SPAWN that teaches and does not happen refuses the node and synchronizer ids.
   */
  #checkReplication(at: number, from: number, packet: Uint8Array, teaches: boolean): (() => void) | null {
    const parsed = parseReplication(packet);
    if (!parsed) return this.#reject(at, from, "malformed");
    // A cached id names its bound path, or a released one's last path (for late packets).
    const held = this.#table(this.#incoming, at, from);
    const cached = (id: number) => {
      const state = held.get(id);
      return state instanceof Forgotten
        ? (state.path ?? undefined)
        : typeof state === "string"
          ? state
          : undefined;
    };
    const tree = this.#trees.get(at)!;
    /** Learns an inline ref of a packet that teaches; false when rejected (out of range, or a clash). */
    const teach = ({ id, path }: ReplicationRef): boolean => {
      if (!teaches || path === null) return true;
      const bound = held.get(id);
      if (id >= MAX_PATHS_PER_SENDER || (typeof bound === "string" && bound !== path)) {
        return !!this.#reject(at, from, "malformed", path);
      }
      if (!getNode(tree, path)) {
        if (typeof bound !== "string") held.set(id, REFUSED);
      } else if (bound !== path) {
        held.set(id, path);
        this.#send(at, from, encodeConfirm(id));
      }
      return true;
    };
    const nothing = () => {};
    switch (parsed.kind) {
      case "ack":
        return nothing;
      case "sync":
        return this.#checkSync(at, from, parsed.sync!, cached);
      case "spawn": {
        const [spawner] = parsed.refs;
        if (!teach(spawner!)) return null;
        const path = spawner!.path ?? cached(spawner!.id);
        const rejected = this.#reject(at, from, "unknown_node", path);
        // The spawn does not happen: its ids are refused, once the spawner was looked up.
        if (teaches) {
          for (const id of parsed.ids) {
            if (id < MAX_PATHS_PER_SENDER && typeof held.get(id) !== "string") held.set(id, REFUSED);
          }
        }
        return rejected;
      }
      case "despawn": {
        const path = cached(parsed.refs[0]!.id);
        if (path === undefined) return this.#reject(at, from, "unknown_node");
        return getNode(tree, path) ? this.#reject(at, from, "forbidden", path) : nothing;
      }
      default:
        for (const ref of parsed.refs) {
          const path = ref.path ?? cached(ref.id);
          if (path === undefined) return this.#reject(at, from, "unknown_node");
          if (!teach(ref)) return null;
          // A node that is not there is skipped (a despawn crossed the state); any node here is no synchronizer.
          if (getNode(tree, path)) return this.#reject(at, from, "unknown_node", path);
        }
        return nothing;
    }
  }

  /**
   * WIRE.md "Scene replication: SYNC" in a game without synchronizers: a tick too old for the
   * history is dropped; a baseline the receiver does not hold complete is a stale baseline (dropped,
   * reported with a `staleBaseline` event, not as a rejection); the
   * first entry's id names no synchronizer (`unknown_node`, with its path when the id is known);
   * a packet without entries is a tick, recorded (and completed once every part arrived).
   */
  #checkSync(
    at: number,
    from: number,
    sync: SyncHeader,
    cached: (id: number) => string | undefined,
  ): (() => void) | null {
    const history = entry(
      entry(this.#syncHistory, at, () => new Map()),
      from,
      () => new SyncHistory(),
    );
    if (history.newest >= 0 && sync.tick <= history.newest - SYNC_HISTORY) return () => {};
    const baselineTick = sync.back === 0 ? null : sync.tick - sync.back;
    if (baselineTick !== null && !history.holds(baselineTick)) {
      this.#lines.push(`${at} stale baseline from ${from}`);
      return null;
    }
    if (sync.entry === "malformed") return this.#reject(at, from, "malformed");
    if (sync.entry !== null) return this.#reject(at, from, "unknown_node", cached(sync.entry.id));
    return () => history.record(sync.tick, baselineTick, sync.part, sync.last);
  }

  /** The node a call addresses, learning (and confirming) an announced path; null when rejected. */
  #resolve(at: number, from: number, call: CallHeader, teaches: boolean): NodeSpec | null {
    const paths = this.#table(this.#incoming, at, from);
    const held = paths.get(call.cacheId);
    if (!call.inline) {
      // A released id still names what it named for late packets, until it is taught again.
      const path = held instanceof Forgotten ? held.path : held;
      if (typeof path !== "string") return this.#reject(at, from, "unknown_node");
      return getNode(this.#trees.get(at)!, path) ?? this.#reject(at, from, "unknown_node", path);
    }
    const { path, digest } = call.inline;
    if (teaches && typeof held === "string" && held !== path)
      return this.#reject(at, from, "malformed", path);
    const node = getNode(this.#trees.get(at)!, path);
    if (teaches) this.#teach(at, from, call.cacheId, path, node, digest);
    if (!node) return this.#reject(at, from, "unknown_node", path);
    if (digest !== digestOf(node.cls)) return this.#reject(at, from, "config_mismatch", path);
    return node;
  }

  #table<T>(tables: Map<number, Map<number, Map<number, T>>>, at: number, from: number): Map<number, T> {
    return entry(
      entry(tables, at, () => new Map()),
      from,
      () => new Map(),
    );
  }

  #confirmations(peer: number, by: number): Set<number> {
    return entry(
      entry(this.#confirmed, peer, () => new Map()),
      by,
      () => new Set(),
    );
  }
}

const REFUSED = Symbol("refused");
class Forgotten {
  constructor(readonly path: string | null) {}
}

function entry<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/** Ticks each side keeps (WIRE.md "Baselines and acknowledgements"). */
const SYNC_HISTORY = 32;

interface SyncHeader {
  tick: number;
  back: number;
  part: number;
  last: boolean;
  /** The first entry's sync id; null without entries. */
  entry: { id: number } | "malformed" | null;
}

/** What a receiver holds of one sender's SYNC ticks: a ring of SYNC_HISTORY, as WIRE.md describes. */
class SyncHistory {
  newest = -1;
  readonly #ring: (
    | { tick: number; base: number | null; parts: Set<number>; last: number; complete: boolean }
    | undefined
  )[] = [];

  holds(tick: number): boolean {
    const slot = this.#ring[tick % SYNC_HISTORY];
    return tick > this.newest - SYNC_HISTORY && slot?.tick === tick && slot.complete;
  }

  record(tick: number, base: number | null, part: number, last: boolean): void {
    let slot = this.#ring[tick % SYNC_HISTORY];
    if (slot?.tick !== tick) {
      if (base !== null && !this.holds(base)) return;
      slot = { tick, base, parts: new Set(), last: -1, complete: false };
      this.#ring[tick % SYNC_HISTORY] = slot;
    } else if (slot.base !== base) return;
    this.newest = Math.max(this.newest, tick);
    slot.parts.add(part);
    if (last) slot.last = part;
    if (slot.last >= 0 && slot.parts.size === slot.last + 1 && [...slot.parts].every((p) => p <= slot.last))
      slot.complete = true;
  }
}

/** WIRE.md "Scene replication: SYNC": a `bigvarint` (LEB128 of up to 8 bytes and 53 bits), or null. */
function readBigVarint(bytes: Uint8Array, offset: number): number | null {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) return null;
    value += (byte & 0x7f) * 128 ** i;
    if (byte < 0x80) return value > Number.MAX_SAFE_INTEGER ? null : value;
  }
  return null;
}

interface ReplicationRef {
  id: number;
  /** Inline path; null for an id alone. */
  path: string | null;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * WIRE.md "Scene replication": the refs a SPAWN, DESPAWN, SYNC or DELTA names (a SPAWN: its
 * spawner; a DESPAWN: its node id; SYNC and DELTA: their entries), or null when the packet does
 * not parse (any first byte of the EXTENDED family it does not know included).
 */
export function parseReplication(bytes: Uint8Array): {
  kind: "spawn" | "despawn" | "sync" | "delta" | "ack";
  refs: ReplicationRef[];
  ids: number[];
  sync?: SyncHeader;
} | null {
  let offset = 1;
  const number = () => {
    const read = readVarint(bytes, offset);
    if (!read) throw new Invalid("varint");
    offset = read[1];
    return read[0];
  };
  const run = (max = Number.POSITIVE_INFINITY) => {
    const length = number();
    if (length > max || offset + length > bytes.length) throw new Invalid("length");
    offset += length;
    return bytes.subarray(offset - length, offset);
  };
  const text = (max: number) => {
    try {
      return utf8.decode(run(max));
    } catch (error) {
      throw error instanceof Invalid ? error : new Invalid("utf-8");
    }
  };
  const ref = (): ReplicationRef => {
    const id = number();
    const path = text(1024);
    return { id, path: path === "" ? null : path };
  };
  try {
    switch (bytes[0]) {
      case REPLICATION.SPAWN: {
        const spawner = ref();
        const ids = [number()]; // the node's
        text(512); // name
        if (text(512) === "") run(); // custom spawn data
        const count = number();
        if (count > 64) return null;
        for (let i = 0; i < count; i++) {
          ids.push(number());
          text(1024);
          run();
        }
        return offset === bytes.length ? { kind: "spawn", refs: [spawner], ids } : null;
      }
      case REPLICATION.SYNC_ACK: {
        // Without a tick: the reset form (the receiver holds no baseline).
        if (bytes.length > 1) number();
        return offset === bytes.length ? { kind: "ack", refs: [], ids: [] } : null;
      }
      case REPLICATION.SYNC: {
        const tick = number();
        const back = number();
        const part = number();
        if (back > tick || part >= 512) return null;
        let entry: SyncHeader["entry"] = null;
        if (offset < bytes.length) {
          const prefix = readBigVarint(bytes, offset);
          const id = prefix === null ? -1 : Math.floor(prefix / 4);
          entry = id < 0 || id > 0xffffffff ? "malformed" : { id };
        }
        return {
          kind: "sync",
          refs: [],
          ids: [],
          sync: { tick, back, part: part >> 1, last: (part & 1) === 1, entry },
        };
      }
      case REPLICATION.DESPAWN: {
        const id = number();
        if (offset !== bytes.length) return null;
        return { kind: "despawn", refs: [{ id, path: null }], ids: [] };
      }
      case REPLICATION.DELTA: {
        number(); // tick
        const refs: ReplicationRef[] = [];
        while (offset < bytes.length) {
          refs.push(ref());
          run(); // state
        }
        return { kind: "delta", refs, ids: [] };
      }
      default:
        return null;
    }
  } catch (error) {
    if (error instanceof Invalid) return null;
    throw error;
  }
}
