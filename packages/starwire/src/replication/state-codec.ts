/**
 * SYNC packets: the synchronized state of a tick, encoded once for a group of receivers that share
 * visibility and a baseline (WIRE.md, "Scene replication: SYNC", has the layout and why).
 *
 * The flow: the sender captures each synchronizer's state once per tick (`captureState`:
 * quantized, checked), encodes it per group against the newest tick every receiver of the group
 * acknowledged (`encodeSync`, state-history.ts's `SentStates` picks it), and a receiver decodes it
 * against its own copy of that tick (`decodeSync`, state-history.ts's `ReceivedStates` keeps them)
 * and reads the values back (`stateValues`). Pure: no I/O, no clock, no tree.
 */
import { Color } from "../math/color.js";
import { Vector2 } from "../math/vector2.js";
import { Vector3 } from "../math/vector3.js";
import { decodeValue, encodeValue } from "../wire/codec.js";
import { Extended, extendedHead } from "../wire/commands.js";
import { readVarint, varintLength, writeVarint } from "../wire/varint.js";
import { msgpackEnd } from "./msgpack-span.js";
import {
  bigVarintLength,
  dequantize,
  MAX_QUANTIZED,
  quantize,
  readBigVarint,
  unzigzag,
  writeBigVarint,
  zigzag,
} from "./quantize.js";

/** One synchronized property, in the synchronizer's config order (the same on every peer). */
export interface PropertySpec {
  /** Numbers (and each component of Vector2, Vector3, Color) travel as integer counts of this. */
  readonly precision?: number;
  /** For error messages only. */
  readonly name?: string;
}

export type QuantizedKind = "number" | "vector2" | "vector3" | "color";

/** A property as sent: quantized components, or the msgpack bytes of a value without precision. */
export type PropertyState =
  | { readonly kind: QuantizedKind; readonly q: readonly number[] }
  | { readonly kind: "value"; readonly bytes: Uint8Array };

/** A synchronizer's properties at one tick, as the wire sees them. Immutable: states are shared. */
export type EntityState = readonly PropertyState[];

/** SYNC's first byte, 0x17. */
export const SYNC_HEAD = extendedHead(Extended.SYNC);

/**
 * The transport's limit for one unreliable message (transport/webrtc/fragments.ts). A client's
 * packets reach other clients relayed by the host, which adds RELAY_HEADER_BYTES (wire/commands.ts):
 * a client passes `MAX_SYNC_PACKET_BYTES - RELAY_HEADER_BYTES` to encodeSync.
 */
export const MAX_SYNC_PACKET_BYTES = 16 * 1024;

/** Parts of one tick at most (4 MiB of state at 16 KiB a packet); `part` stays 2 bytes. */
export const MAX_SYNC_PARTS = 256;

/** Sync ids are path-cache ids: 32-bit. */
export const MAX_SYNC_ID = 0xffffffff;

/** Entry kinds, the low two bits of an entry's first varint. */
const DELTA_MASKED = 0;
const DELTA_ALL = 1;
const ABSOLUTE = 2;

/** The type tag an absolute quantized property starts with, and its component count. */
const KINDS: readonly QuantizedKind[] = ["number", "vector2", "vector3", "color"];
const COMPONENTS: Record<QuantizedKind, number> = { number: 1, vector2: 2, vector3: 3, color: 4 };

const describe = (specs: readonly PropertySpec[], i: number) => () =>
  `property ${specs[i]?.name ? `"${specs[i].name}"` : i}`;

/**
 * Quantizes a synchronizer's values (in spec order) for sending. Throws RangeError for NaN, an
 * infinity, a number beyond its precision's range, a bad precision or a count mismatch, TypeError
 * for a value with a precision that is not a number, Vector2, Vector3 or Color.
 */
export function captureState(specs: readonly PropertySpec[], values: readonly unknown[]): EntityState {
  if (values.length !== specs.length)
    throw new RangeError(`${values.length} values for ${specs.length} properties`);
  const state: PropertyState[] = new Array(specs.length);
  for (let i = 0; i < specs.length; i++) {
    const precision = specs[i]!.precision;
    const value = values[i];
    if (precision === undefined) {
      state[i] = { kind: "value", bytes: encodeValue(value) };
      continue;
    }
    if (!Number.isFinite(precision) || precision <= 0)
      throw new RangeError(
        `${describe(specs, i)()}: precision must be a positive finite number, got ${precision}`,
      );
    if (typeof value === "number") state[i] = { kind: "number", q: [quantized(value, precision, specs, i)] };
    else if (value instanceof Vector2)
      state[i] = {
        kind: "vector2",
        q: [quantized(value.x, precision, specs, i), quantized(value.y, precision, specs, i)],
      };
    else if (value instanceof Vector3)
      state[i] = {
        kind: "vector3",
        q: [
          quantized(value.x, precision, specs, i),
          quantized(value.y, precision, specs, i),
          quantized(value.z, precision, specs, i),
        ],
      };
    else if (value instanceof Color)
      state[i] = {
        kind: "color",
        q: [
          quantized(value.r, precision, specs, i),
          quantized(value.g, precision, specs, i),
          quantized(value.b, precision, specs, i),
          quantized(value.a, precision, specs, i),
        ],
      };
    else
      throw new TypeError(
        `${describe(specs, i)()} declares a precision but its value is not a number, Vector2, Vector3 or Color`,
      );
  }
  return state;
}

/**
 * quantize(), with the message for its error made only when there is one (captureState runs for
 * every synchronizer on every network tick).
 */
function quantized(value: number, precision: number, specs: readonly PropertySpec[], i: number): number {
  const q = Math.round(value / precision) + 0;
  if (Number.isFinite(value) && Math.abs(q) <= MAX_QUANTIZED) return q;
  return quantize(value, precision, describe(specs, i));
}

/** The values a state stands for, freshly made (the caller may keep or change them). */
export function stateValues(specs: readonly PropertySpec[], state: EntityState): unknown[] {
  return state.map((property, i) => {
    if (property.kind === "value") return decodeValue(property.bytes);
    const precision = specs[i]?.precision ?? 1;
    const [a = 0, b = 0, c = 0, d = 0] = property.q.map((q) => dequantize(q, precision));
    if (property.kind === "vector2") return new Vector2(a, b);
    if (property.kind === "vector3") return new Vector3(a, b, c);
    if (property.kind === "color") return new Color(a, b, c, d);
    return a;
  });
}

function samePropertyKind(a: PropertyState, b: PropertyState): boolean {
  return a.kind === b.kind && (a.kind === "value" || a.q.length === (b as { q: readonly number[] }).q.length);
}

function sameProperty(a: PropertyState, b: PropertyState): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "value") {
    const other = (b as { bytes: Uint8Array }).bytes;
    if (a.bytes.length !== other.length) return false;
    for (let i = 0; i < other.length; i++) if (a.bytes[i] !== other[i]) return false;
    return true;
  }
  const other = (b as { q: readonly number[] }).q;
  if (a.q.length !== other.length) return false;
  for (let i = 0; i < other.length; i++) if (a.q[i] !== other[i]) return false;
  return true;
}

/** Whether two states send the same thing (what "unchanged" means on the wire). */
export function sameState(a: EntityState, b: EntityState): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameProperty(a[i]!, b[i]!)) return false;
  return true;
}

/** One synchronizer in a tick to encode. */
export interface SyncEntry {
  /** The sender's path-cache id of the synchronizer, confirmed by every receiver. */
  readonly id: number;
  readonly specs: readonly PropertySpec[];
  /** `captureState(specs, values)` at this tick. */
  readonly state: EntityState;
  /** Its state at `baselineTick` as the receivers hold it, or null: sent absolute. */
  readonly baseline: EntityState | null;
}

export interface SyncTick {
  /** The host tick the state belongs to. */
  readonly tick: number;
  /** A tick every receiver of the group holds (`SentStates.baseline`), older than `tick`; or null. */
  readonly baselineTick: number | null;
  readonly entries: readonly SyncEntry[];
}

/** A growable byte buffer for entry bodies. */
class Sink {
  bytes = new Uint8Array(1024);
  offset = 0;
  /** Empties it for the next encode, giving back memory a huge tick took. */
  reset(): void {
    this.offset = 0;
    if (this.bytes.length > SINK_KEPT_BYTES) this.bytes = new Uint8Array(1024);
  }
  room(size: number): void {
    if (this.offset + size <= this.bytes.length) return;
    const bytes = new Uint8Array(Math.max(this.offset + size, this.bytes.length * 2));
    bytes.set(this.bytes.subarray(0, this.offset));
    this.bytes = bytes;
  }
  byte(value: number): void {
    this.room(1);
    this.bytes[this.offset++] = value;
  }
  varint(value: number): void {
    this.room(8);
    this.offset = writeBigVarint(this.bytes, this.offset, value);
  }
  copy(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.bytes.set(bytes, this.offset);
    this.offset += bytes.length;
  }
}

/** The most a reused Sink keeps between encodes (a tick's bodies usually take a few KiB). */
const SINK_KEPT_BYTES = 64 * 1024;

/**
 * The one Sink every encodeSync writes bodies into (encoding is synchronous and copies them into
 * its packets before it returns): a network tick allocates no buffer to encode.
 */
const sharedSink = new Sink();

/**
 * The entries written into the shared Sink by the encode in progress, one slot each (reused, as
 * the Sink is: no object per entry per tick). Entry i's body is `sink.bytes[bodyStart[i],
 * bodyEnd[i])`.
 */
const bodyId: number[] = [];
const bodyKind: number[] = [];
const bodyStart: number[] = [];
const bodyEnd: number[] = [];

/** The bytes of body i's prefix varint, the entry before it in its packet being `before`. */
function prefixLength(i: number, before: number): number {
  return bigVarintLength((bodyId[i]! - before - 1) * 4 + bodyKind[i]!);
}

export function encodeSync(sync: SyncTick, maxPacketBytes = MAX_SYNC_PACKET_BYTES): Uint8Array[] {
  const { tick, baselineTick } = sync;
  if (!Number.isInteger(tick) || tick < 0 || tick > 0xffffffff) throw new RangeError(`tick ${tick}`);
  const back = baselineTick === null ? 0 : tick - baselineTick;
  if (baselineTick !== null && (!Number.isInteger(baselineTick) || baselineTick < 0 || back < 1))
    throw new RangeError(`baseline tick ${baselineTick} must be older than tick ${tick}`);
  // Usually in order already (ids are handed out as synchronizers are added): no copy to sort.
  const entries = ascendingIds(sync.entries) ? sync.entries : [...sync.entries].sort((a, b) => a.id - b.id);
  const sink = sharedSink;
  sink.reset();
  let count = 0;
  let previous = -1;
  for (const entry of entries) {
    if (!Number.isInteger(entry.id) || entry.id < 0 || entry.id > MAX_SYNC_ID)
      throw new RangeError(`sync id ${entry.id}`);
    if (entry.id === previous) throw new RangeError(`sync id ${entry.id} appears twice`);
    previous = entry.id;
    if (entry.baseline && baselineTick === null)
      throw new RangeError(`sync id ${entry.id} has a baseline state but the tick has no baseline tick`);
    const start = sink.offset;
    const kind = writeBody(sink, entry);
    if (kind < 0) continue;
    bodyId[count] = entry.id;
    bodyKind[count] = kind;
    bodyStart[count] = start;
    bodyEnd[count] = sink.offset;
    count++;
  }

  // Parts are packed with the largest header they can have, so that numbering them never overflows.
  const headerRoom = 1 + varintLength(tick) + varintLength(back) + varintLength(MAX_SYNC_PARTS * 2 - 1);
  if (!Number.isInteger(maxPacketBytes) || maxPacketBytes <= headerRoom)
    throw new RangeError(`a packet limit of ${maxPacketBytes} bytes leaves no room after the header`);
  // Each part is a run of bodies: partEnds[p] is one past its last body.
  const partEnds: number[] = [];
  let size = headerRoom;
  let before = -1;
  for (let i = 0; i < count; i++) {
    const length = bodyEnd[i]! - bodyStart[i]!;
    let entrySize = prefixLength(i, before) + length;
    const partStart = partEnds.length > 0 ? partEnds[partEnds.length - 1]! : 0;
    if (size + entrySize > maxPacketBytes && i > partStart) {
      partEnds.push(i);
      size = headerRoom;
      before = -1;
      entrySize = prefixLength(i, before) + length;
    }
    if (size + entrySize > maxPacketBytes)
      throw new RangeError(
        `the state of sync id ${bodyId[i]} takes ${entrySize} bytes, more than one packet holds (${maxPacketBytes - headerRoom})`,
      );
    size += entrySize;
    before = bodyId[i]!;
  }
  partEnds.push(count);
  if (partEnds.length > MAX_SYNC_PARTS)
    throw new RangeError(`tick ${tick} needs ${partEnds.length} packets, more than ${MAX_SYNC_PARTS}`);

  const packets: Uint8Array[] = [];
  for (let part = 0; part < partEnds.length; part++) {
    const first = part === 0 ? 0 : partEnds[part - 1]!;
    const end = partEnds[part]!;
    const partField = part * 2 + (part === partEnds.length - 1 ? 1 : 0);
    let length = 1 + varintLength(tick) + varintLength(back) + varintLength(partField);
    let at = -1;
    for (let i = first; i < end; i++) {
      length += prefixLength(i, at) + bodyEnd[i]! - bodyStart[i]!;
      at = bodyId[i]!;
    }
    const packet = new Uint8Array(length);
    packet[0] = SYNC_HEAD;
    let offset = writeVarint(packet, 1, tick);
    offset = writeVarint(packet, offset, back);
    offset = writeVarint(packet, offset, partField);
    at = -1;
    for (let i = first; i < end; i++) {
      offset = writeBigVarint(packet, offset, (bodyId[i]! - at - 1) * 4 + bodyKind[i]!);
      packet.set(sink.bytes.subarray(bodyStart[i]!, bodyEnd[i]!), offset);
      offset += bodyEnd[i]! - bodyStart[i]!;
      at = bodyId[i]!;
    }
    packets.push(packet);
  }
  return packets;
}

function ascendingIds(entries: readonly SyncEntry[]): boolean {
  for (let i = 1; i < entries.length; i++) if (entries[i - 1]!.id > entries[i]!.id) return false;
  return true;
}

/**
 * Per property of the entry being written, whether it differs from its baseline (reused: one
 * comparison pass per entry, read again for the mask and the values).
 */
let changedFlags = new Uint8Array(32);

/** Writes an entry's mask and values; returns its kind, or -1 (nothing written) when unchanged. */
function writeBody(sink: Sink, entry: SyncEntry): number {
  const { specs, state, baseline, id } = entry;
  if (state.length !== specs.length || (baseline && baseline.length !== specs.length))
    throw new RangeError(`sync id ${id}: a state does not have its ${specs.length} properties`);
  if (changedFlags.length < specs.length) changedFlags = new Uint8Array(specs.length);
  const flags = changedFlags;
  let absolute = baseline === null;
  let changed = 0;
  for (let i = 0; i < specs.length; i++) {
    const property = state[i]!;
    if ((property.kind === "value") !== (specs[i]!.precision === undefined))
      throw new RangeError(`sync id ${id}: ${describe(specs, i)()} was not captured with these specs`);
    if (!baseline) continue;
    const old = baseline[i]!;
    if (!samePropertyKind(property, old)) absolute = true;
    else if (sameProperty(property, old)) flags[i] = 0;
    else {
      flags[i] = 1;
      changed++;
    }
  }
  if (absolute) {
    for (const property of state) {
      if (property.kind === "value") sink.copy(property.bytes);
      else {
        sink.byte(KINDS.indexOf(property.kind));
        for (const q of property.q) sink.varint(zigzag(q));
      }
    }
    return ABSOLUTE;
  }
  if (changed === 0) return -1;
  const base = baseline!;
  const all = changed === specs.length;
  if (!all) {
    // A bitfield, property i in bit i % 8 of byte i / 8: its length is known from the specs.
    for (let byte = 0; byte < specs.length; byte += 8) {
      let bits = 0;
      for (let i = byte; i < Math.min(byte + 8, specs.length); i++) bits |= flags[i]! << (i - byte);
      sink.byte(bits);
    }
  }
  for (let i = 0; i < specs.length; i++) {
    if (flags[i] === 0) continue;
    const property = state[i]!;
    if (property.kind === "value") sink.copy(property.bytes);
    else {
      const oldQ = (base[i] as { q: readonly number[] }).q;
      for (let c = 0; c < property.q.length; c++) sink.varint(zigzag(property.q[c]! - oldQ[c]!));
    }
  }
  return all ? DELTA_ALL : DELTA_MASKED;
}

/** What the receiver knows: the specs of each confirmed sync id, and its complete past ticks. */
export interface SyncLookup {
  specs(id: number): readonly PropertySpec[] | undefined;
  /** The complete state of every synchronizer at `tick` (ReceivedStates.baseline), if still held. */
  baseline(tick: number): ReadonlyMap<number, EntityState> | undefined;
}

export interface SyncHeader {
  readonly tick: number;
  readonly baselineTick: number | null;
  /** This packet's index among the tick's packets. */
  readonly part: number;
  /** Whether it is the tick's last packet (then the tick has `part + 1` packets). */
  readonly last: boolean;
}

export interface DecodedSync extends SyncHeader {
  /** The synchronizers this packet carries, ids ascending, each with its whole state at `tick`. */
  readonly entries: ReadonlyArray<{ readonly id: number; readonly state: EntityState }>;
}

/**
 * Why a packet was refused. `stale_baseline`: the receiver no longer holds the tick the packet is
 * relative to (or holds it without that synchronizer); it should drop its acknowledgements and let
 * the sender fall back to a full state. `unknown_sync_id`: an id the receiver has no specs for;
 * the rest of the packet cannot be read, so keep a removed synchronizer's specs as long as
 * packets naming it may still be under way.
 */
export type SyncRejectReason = "malformed" | "unknown_sync_id" | "stale_baseline";

export type SyncDecodeResult =
  | { readonly ok: true; readonly sync: DecodedSync }
  | { readonly ok: false; readonly reason: SyncRejectReason; readonly message: string };

const reject = (reason: SyncRejectReason, message: string): SyncDecodeResult => ({
  ok: false,
  reason,
  message,
});

/** The header alone (to drop a stale tick before decoding it), or null when malformed. */
export function readSyncHeader(bytes: Uint8Array): (SyncHeader & { readonly offset: number }) | null {
  if (bytes[0] !== SYNC_HEAD) return null;
  const tick = readVarint(bytes, 1);
  const back = tick && readVarint(bytes, tick[1]);
  const part = back && readVarint(bytes, back[1]);
  if (!tick || !back || !part || back[0] > tick[0] || part[0] >= MAX_SYNC_PARTS * 2) return null;
  return {
    tick: tick[0],
    baselineTick: back[0] === 0 ? null : tick[0] - back[0],
    part: Math.floor(part[0] / 2),
    last: part[0] % 2 === 1,
    offset: part[1],
  };
}

/**
 * Reads a SYNC packet. Never throws on any bytes: a bad packet is a rejection. Memory stays
 * bounded by the packet's length: each entry takes at least a byte, each property of an entry at
 * least a byte, and property counts come from the receiver's own specs.
 */
export function decodeSync(bytes: Uint8Array, lookup: SyncLookup): SyncDecodeResult {
  const header = readSyncHeader(bytes);
  if (!header) return reject("malformed", "bad SYNC header");
  const { baselineTick } = header;
  const baseline = baselineTick === null ? undefined : lookup.baseline(baselineTick);
  if (baselineTick !== null && !baseline)
    return reject("stale_baseline", `baseline tick ${baselineTick} is not held`);
  const cursor = { offset: header.offset };
  const entries: Array<{ id: number; state: EntityState }> = [];
  let previous = -1;
  while (cursor.offset < bytes.length) {
    const prefix = readBigVarint(bytes, cursor);
    if (prefix < 0) return reject("malformed", "bad entry prefix");
    const kind = prefix % 4;
    const id = previous + 1 + Math.floor(prefix / 4);
    if (id > MAX_SYNC_ID) return reject("malformed", `sync id ${id} out of range`);
    previous = id;
    const specs = lookup.specs(id);
    if (!specs) return reject("unknown_sync_id", `no synchronizer with sync id ${id}`);
    let state: EntityState | string;
    if (kind === ABSOLUTE) state = readAbsolute(bytes, cursor, specs);
    else if (kind === DELTA_MASKED || kind === DELTA_ALL) {
      if (!baseline) return reject("malformed", `sync id ${id}: a delta in a packet without baseline`);
      const base = baseline.get(id);
      if (!base || base.length !== specs.length)
        return reject("stale_baseline", `no state of sync id ${id} at baseline tick ${baselineTick}`);
      state = readDelta(bytes, cursor, specs, base, kind === DELTA_ALL);
    } else return reject("malformed", `entry kind ${kind}`);
    if (typeof state === "string") return reject("malformed", `sync id ${id}: ${state}`);
    entries.push({ id, state });
  }
  return { ok: true, sync: { ...withoutOffset(header), entries } };
}

function withoutOffset({ tick, baselineTick, part, last }: SyncHeader): SyncHeader {
  return { tick, baselineTick, part, last };
}

/** Reads `count` zigzag varints added to `base` (zeros for absolute values); a string on error. */
function readComponents(
  bytes: Uint8Array,
  cursor: { offset: number },
  count: number,
  base: readonly number[] | null,
): number[] | string {
  const q: number[] = [];
  for (let c = 0; c < count; c++) {
    const raw = readBigVarint(bytes, cursor);
    if (raw < 0) return "bad number";
    const value = unzigzag(raw) + (base ? base[c]! : 0);
    if (Math.abs(value) > MAX_QUANTIZED) return "number out of range";
    q.push(value + 0);
  }
  return q;
}

function readValue(bytes: Uint8Array, cursor: { offset: number }): PropertyState | string {
  const end = msgpackEnd(bytes, cursor.offset);
  if (end < 0) return "bad msgpack value";
  const slice = bytes.slice(cursor.offset, end);
  cursor.offset = end;
  try {
    decodeValue(slice); // checks it fully: types, keys, depth
  } catch (error) {
    return `bad value: ${(error as Error).message}`;
  }
  return { kind: "value", bytes: slice };
}

function readAbsolute(
  bytes: Uint8Array,
  cursor: { offset: number },
  specs: readonly PropertySpec[],
): EntityState | string {
  const state: PropertyState[] = [];
  for (const spec of specs) {
    if (spec.precision === undefined) {
      const value = readValue(bytes, cursor);
      if (typeof value === "string") return value;
      state.push(value);
      continue;
    }
    const kind = KINDS[bytes[cursor.offset++] ?? -1];
    if (!kind) return "bad type tag";
    const q = readComponents(bytes, cursor, COMPONENTS[kind], null);
    if (typeof q === "string") return q;
    state.push({ kind, q });
  }
  return state;
}

function readDelta(
  bytes: Uint8Array,
  cursor: { offset: number },
  specs: readonly PropertySpec[],
  base: EntityState,
  all: boolean,
): EntityState | string {
  const maskStart = cursor.offset;
  const maskBytes = all ? 0 : Math.ceil(specs.length / 8);
  if (maskStart + maskBytes > bytes.length) return "truncated mask";
  cursor.offset += maskBytes;
  const changed = (i: number) => all || (bytes[maskStart + (i >> 3)]! & (1 << (i & 7))) !== 0;
  if (!all) {
    let any = false;
    for (let i = 0; i < maskBytes * 8; i++) {
      if (!changed(i)) continue;
      if (i >= specs.length) return "mask names a property beyond the last";
      any = true;
    }
    if (!any) return "empty mask"; // an unchanged entry is left out, never sent empty
  }
  const state: PropertyState[] = [];
  for (let i = 0; i < specs.length; i++) {
    const old = base[i]!;
    if (!changed(i)) state.push(old);
    else if (old.kind === "value") {
      if (specs[i]!.precision !== undefined) return "baseline does not fit the specs";
      const value = readValue(bytes, cursor);
      if (typeof value === "string") return value;
      state.push(value);
    } else {
      if (specs[i]!.precision === undefined) return "baseline does not fit the specs";
      const q = readComponents(bytes, cursor, old.q.length, old.q);
      if (typeof q === "string") return q;
      state.push({ kind: old.kind, q });
    }
  }
  return state;
}
