import msgpack from "msgpack-lite";
import { Color } from "../math/color.js";
import { Vector2 } from "../math/vector2.js";
import { Vector3 } from "../math/vector3.js";

/**
 * RPC arguments on the wire: each argument is one msgpack value, written back to back (the count
 * is implied by the packet's length). Everything is standard msgpack; Starwire only chooses the
 * compact float32 form for numbers it represents exactly, and adds extension types.
 *
 * Decoding yields plain data only: objects (never with `prototype` or a key that shadows a member
 * every object inherits, like `__proto__`, `constructor`, `toString`), arrays, strings, numbers, booleans, null, Uint8Array, and registered extension types.
 */

/** A game class sent as a msgpack extension: `encode` turns it into plain data, `decode` back. */
export interface TypeCodec<T, Data = unknown> {
  /** Extension type code, 16–127 (0–15 are Starwire's own). */
  type: number;
  class: abstract new (...args: never[]) => T;
  encode(value: T): Data;
  decode(data: Data): T;
}

export const BUILTIN_TYPES = { Vector2: 1, Vector3: 2, Color: 3 } as const;
const FIRST_USER_TYPE = 16;
const LAST_TYPE = 127;
/**
 * Keys a decoded object may not have: `prototype`, and every member objects inherit
 * (`__proto__`, `constructor`, `toString`, `valueOf`, `hasOwnProperty`…). An own key shadowing
 * one of those would make ordinary handler code (`String(x)`, `x.hasOwnProperty(k)`) throw.
 */
const FORBIDDEN_KEYS = new Set(["prototype", ...Object.getOwnPropertyNames(Object.prototype)]);

/** Thrown for bytes that do not decode to acceptable data; the message says why. */
export class DecodeError extends Error {
  override name = "DecodeError";
}

const codec = msgpack.createCodec({ usemap: true, uint8array: true, binarraybuffer: true });
const codecOptions = { codec };
const registered = new Map<number, TypeCodec<unknown>>();

// msgpack-lite reads the type as an unsigned byte (negative msgpack types arrive as 128–255).
for (let type = 0; type <= 255; type++) {
  codec.addExtUnpacker(type, () => {
    throw new DecodeError(`unknown extension type ${type}`);
  });
}

function floats(count: number, payload: Uint8Array): number[] {
  if (payload.length !== count * 4) throw new DecodeError(`extension payload of ${payload.length} bytes`);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return Array.from({ length: count }, (_, i) => view.getFloat32(i * 4));
}

function packFloats(values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (const [i, value] of values.entries()) view.setFloat32(i * 4, value);
  return bytes;
}

codec.addExtPacker(BUILTIN_TYPES.Vector2, Vector2, (v) => packFloats([v.x, v.y]));
codec.addExtUnpacker(BUILTIN_TYPES.Vector2, (p) => new Vector2(...(floats(2, p) as [number, number])));
codec.addExtPacker(BUILTIN_TYPES.Vector3, Vector3, (v) => packFloats([v.x, v.y, v.z]));
codec.addExtUnpacker(
  BUILTIN_TYPES.Vector3,
  (p) => new Vector3(...(floats(3, p) as [number, number, number])),
);
codec.addExtPacker(BUILTIN_TYPES.Color, Color, (c) => packFloats([c.r, c.g, c.b, c.a]));
codec.addExtUnpacker(
  BUILTIN_TYPES.Color,
  (p) => new Color(...(floats(4, p) as [number, number, number, number])),
);

/** Registers a game class so it can be an RPC argument; every peer must register it alike. */
export function registerType<T, Data>(typeCodec: TypeCodec<T, Data>): void {
  const { type } = typeCodec;
  if (!Number.isInteger(type) || type < FIRST_USER_TYPE || type > LAST_TYPE) {
    throw new RangeError(
      `extension type must be an integer in ${FIRST_USER_TYPE}..${LAST_TYPE}, got ${type}`,
    );
  }
  const existing = registered.get(type);
  if (existing && existing.class !== typeCodec.class)
    throw new Error(`extension type ${type} is already registered`);
  registered.set(type, typeCodec as TypeCodec<unknown>);
  codec.addExtPacker(type, typeCodec.class, (value) => encodeValue(typeCodec.encode(value)));
  codec.addExtUnpacker(type, (payload) => typeCodec.decode(decodeValue(payload) as Data));
}

/** msgpack of one value; a number that float32 holds exactly takes 5 bytes instead of 9. */
export function encodeValue(value: unknown): Uint8Array {
  return encodeArguments([value]);
}

/**
 * Arguments back to back. Scalars, strings and the built-in extension types are written here
 * directly (the common case, and msgpack-lite allocates a 2 KiB buffer per encode call); arrays,
 * maps, bytes and the game's own types go through msgpack-lite.
 */
export function encodeArguments(args: readonly unknown[]): Uint8Array {
  const writer = new Writer();
  try {
    for (const arg of args) writer.value(arg);
    return writer.finish();
  } finally {
    writer.release();
  }
}

const textEncoder = new TextEncoder();

/** Short ASCII strings are copied byte by byte: cheaper than TextEncoder for the usual RPC string. */
function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return false;
  return true;
}

class Writer {
  #bytes: Uint8Array;
  #view: DataView;
  #offset = 0;
  readonly #ownsScratch: boolean;

  constructor() {
    // A game type's encoder can encode again while this writer is busy: that one gets its own buffer.
    this.#ownsScratch = !scratchInUse;
    scratchInUse = true;
    this.#bytes = this.#ownsScratch ? scratch : new Uint8Array(256);
    this.#view = this.#ownsScratch ? scratchView : new DataView(this.#bytes.buffer);
  }

  release(): void {
    if (this.#ownsScratch) scratchInUse = false;
  }

  value(value: unknown): void {
    if (value === null || value === undefined) return this.#byte(0xc0);
    switch (typeof value) {
      case "boolean":
        return this.#byte(value ? 0xc3 : 0xc2);
      case "number":
        return this.#number(value);
      case "string":
        return this.#string(value);
    }
    if (value instanceof Vector2) return this.#floats(0xd7, -1, BUILTIN_TYPES.Vector2, [value.x, value.y]);
    if (value instanceof Vector3)
      return this.#floats(0xc7, 12, BUILTIN_TYPES.Vector3, [value.x, value.y, value.z]);
    if (value instanceof Color)
      return this.#floats(0xd8, -1, BUILTIN_TYPES.Color, [value.r, value.g, value.b, value.a]);
    if (Array.isArray(value) && this.#depth < MAX_DEPTH) return this.#array(value);
    if (Object.getPrototypeOf(value) === Object.prototype && this.#depth < MAX_DEPTH) {
      return this.#map(value as Record<string, unknown>);
    }
    this.#raw(msgpack.encode(binaryAsArrayBuffer(value, 0), codecOptions));
  }

  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#offset);
  }

  #depth = 0;

  #array(values: readonly unknown[]): void {
    this.#header(values.length, 0x90, 0xdc, 0xdd);
    this.#depth++;
    for (const value of values) this.value(value);
    this.#depth--;
  }

  /** Like msgpack-lite: own enumerable string keys; undefined values are written as nil. */
  #map(object: Record<string, unknown>): void {
    const keys = Object.keys(object);
    this.#header(keys.length, 0x80, 0xde, 0xdf);
    this.#depth++;
    for (const key of keys) {
      this.#string(key);
      this.value(object[key]);
    }
    this.#depth--;
  }

  /** fixarray/fixmap below 16 entries, else the 16- or 32-bit form. */
  #header(count: number, fixed: number, head16: number, head32: number): void {
    if (count < 16) return this.#byte(fixed | count);
    if (count <= 0xffff) return this.#put("setUint16", 3, head16, count);
    this.#put("setUint32", 5, head32, count);
  }

  #number(value: number): void {
    if (Number.isInteger(value) && value >= -0x80000000 && value <= 0xffffffff) {
      if (value >= 0) {
        if (value < 0x80) return this.#byte(value);
        if (value <= 0xff) return this.#byte(0xcc, value);
        if (value <= 0xffff) return this.#put("setUint16", 3, 0xcd, value);
        return this.#put("setUint32", 5, 0xce, value);
      }
      if (value >= -32) return this.#byte(value & 0xff);
      if (value >= -0x80) return this.#byte(0xd0, value & 0xff);
      if (value >= -0x8000) return this.#put("setInt16", 3, 0xd1, value);
      return this.#put("setInt32", 5, 0xd2, value);
    }
    if (Math.fround(value) === value || Number.isNaN(value)) return this.#put("setFloat32", 5, 0xca, value);
    this.#put("setFloat64", 9, 0xcb, value);
  }

  #string(value: string): void {
    const encoded = value.length < 64 && isAscii(value) ? null : textEncoder.encode(value);
    const length = encoded ? encoded.length : value.length;
    if (length < 32) this.#byte(0xa0 | length);
    else if (length <= 0xff) this.#byte(0xd9, length);
    else if (length <= 0xffff) this.#put("setUint16", 3, 0xda, length);
    else this.#put("setUint32", 5, 0xdb, length);
    const at = this.#reserve(length, -1);
    if (encoded) this.#bytes.set(encoded, at);
    else for (let i = 0; i < length; i++) this.#bytes[at + i] = value.charCodeAt(i);
  }

  /** fixext 8 / fixext 16 (`length` -1), or ext 8 with an explicit length byte. */
  #floats(head: number, length: number, type: number, values: number[]): void {
    if (length < 0) this.#byte(head, type);
    else this.#byte(head, length, type);
    for (const value of values) this.#put("setFloat32", 4, -1, value);
  }

  #raw(bytes: Uint8Array): void {
    const at = this.#reserve(bytes.length, -1); // first: reserving may replace #bytes
    this.#bytes.set(bytes, at);
  }

  /** Writes a head byte (or none, -1) and a number through the DataView, after reserving room. */
  #put(
    method: "setUint16" | "setUint32" | "setInt16" | "setInt32" | "setFloat32" | "setFloat64",
    size: number,
    head: number,
    value: number,
  ): void {
    const at = this.#reserve(size, head); // first: reserving may replace #view
    this.#view[method](at, value);
  }

  /** One to three header bytes (no rest array: this runs for every value written). */
  #byte(first: number, second = -1, third = -1): void {
    const count = third >= 0 ? 3 : second >= 0 ? 2 : 1;
    const at = this.#reserve(count, -1);
    this.#bytes[at] = first;
    if (count > 1) this.#bytes[at + 1] = second;
    if (count > 2) this.#bytes[at + 2] = third;
  }

  /** Makes room for `size` bytes (the first one `head` unless -1); returns where the rest goes. */
  #reserve(size: number, head: number): number {
    if (this.#offset + size > this.#bytes.length) this.#grow(this.#offset + size);
    const at = this.#offset;
    this.#offset += size;
    if (head < 0) return at;
    this.#bytes[at] = head;
    return at + 1;
  }

  #grow(needed: number): void {
    const bytes = new Uint8Array(Math.max(needed, this.#bytes.length * 2));
    bytes.set(this.#bytes.subarray(0, this.#offset));
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer);
  }
}

/** Shared scratch space: encoding is synchronous, and finish() copies out. */
const scratch = new Uint8Array(64 * 1024);
const scratchView = new DataView(scratch.buffer);
let scratchInUse = false;

/**
 * msgpack-lite writes `bin` only for ArrayBuffer (Node's Buffer aside), so byte arrays are handed
 * to it as ArrayBuffers; values without any are passed through untouched, uncopied.
 */
function binaryAsArrayBuffer(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
  if (value instanceof Uint8Array) return value.slice().buffer;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (const [i, entry] of value.entries()) {
      const converted = binaryAsArrayBuffer(entry, depth + 1);
      if (converted === entry) continue;
      copy ??= [...value];
      copy[i] = converted;
    }
    return copy ?? value;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  let copy: Record<string, unknown> | null = null;
  for (const [key, entry] of Object.entries(value)) {
    const converted = binaryAsArrayBuffer(entry, depth + 1);
    if (converted === entry) continue;
    copy ??= { ...value };
    copy[key] = converted;
  }
  return copy ?? value;
}

/** Decodes back-to-back msgpack values; throws DecodeError for anything truncated or unacceptable. */
export function decodeArguments(bytes: Uint8Array): unknown[] {
  if (bytes.length === 0) return [];
  // One decoder serves every call (making msgpack-lite's is costly); a game type's decoder that
  // decodes again while it is busy gets a fresh one, and its values a fresh list.
  const outer = decodedValues;
  const decoder = outer ? new msgpack.Decoder(codecOptions) : sharedDecoder;
  if (outer) decoder.on("data", collect);
  const values: unknown[] = [];
  decodedValues = values;
  decoder.buffer = undefined;
  decoder.offset = 0;
  try {
    decoder.decode(bytes);
  } catch (error) {
    throw error instanceof DecodeError ? error : new DecodeError(`not msgpack: ${(error as Error).message}`);
  } finally {
    decodedValues = outer;
  }
  const leftover = (decoder as { buffer: Uint8Array | undefined }).buffer;
  if (leftover && decoder.offset < leftover.length) throw new DecodeError("truncated arguments");
  for (let i = 0; i < values.length; i++) values[i] = toPlainData(values[i], 0);
  return values;
}

let decodedValues: unknown[] | null = null;
const collect = (value: unknown) => decodedValues?.push(value);
const sharedDecoder = new msgpack.Decoder(codecOptions);
sharedDecoder.on("data", collect);

export function decodeValue(bytes: Uint8Array): unknown {
  const values = decodeArguments(bytes);
  if (values.length !== 1) throw new DecodeError(`expected one value, got ${values.length}`);
  return values[0];
}

const MAX_DEPTH = 64;

/** Maps become plain objects with safe keys; binary becomes a plain Uint8Array. */
function toPlainData(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== "object") return value;
  if (depth > MAX_DEPTH) throw new DecodeError(`nested deeper than ${MAX_DEPTH}`);
  if (value instanceof Map) {
    const object: Record<string, unknown> = {};
    for (const [key, entry] of value) {
      if (typeof key !== "string" && typeof key !== "number")
        throw new DecodeError(`map key of type ${typeof key}`);
      const name = String(key);
      if (FORBIDDEN_KEYS.has(name)) throw new DecodeError(`forbidden key "${name}"`);
      object[name] = toPlainData(entry, depth + 1);
    }
    return object;
  }
  if (Array.isArray(value)) return value.map((entry) => toPlainData(entry, depth + 1));
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (value instanceof Uint8Array) {
    return value.constructor === Uint8Array
      ? value
      : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (isRegisteredInstance(value)) return value;
  throw new DecodeError(`unexpected ${(value as object).constructor?.name ?? "object"} in decoded data`);
}

/** Only instances made by Starwire's or the game's registered extension decoders pass through. */
function isRegisteredInstance(value: object): boolean {
  if (value instanceof Vector2 || value instanceof Vector3 || value instanceof Color) return true;
  for (const typeCodec of registered.values()) if (value instanceof typeCodec.class) return true;
  return false;
}
