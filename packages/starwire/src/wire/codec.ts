import msgpack from "msgpack-lite";
import { Color } from "../math/color.js";
import { Vector2 } from "../math/vector2.js";
import { Vector3 } from "../math/vector3.js";

/**
 * RPC arguments on the wire: each argument is one msgpack value, written back to back (the count
 * is implied by the packet's length). Everything is standard msgpack; Starwire only chooses the
 * compact float32 form for numbers it represents exactly, and adds extension types.
 *
 * Decoding yields plain data only: objects (never with `__proto__`, `constructor` or `prototype`
 * keys), arrays, strings, numbers, booleans, null, Uint8Array, and registered extension types.
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
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Thrown for bytes that do not decode to acceptable data; the message says why. */
export class DecodeError extends Error {
  override name = "DecodeError";
}

const codec = msgpack.createCodec({ usemap: true, uint8array: true, binarraybuffer: true });
const codecOptions = { codec };
const registered = new Map<number, TypeCodec<unknown>>();

for (let type = 0; type <= LAST_TYPE; type++) {
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
  if (typeof value === "number" && !Number.isInteger(value) && Math.fround(value) === value) {
    const bytes = new Uint8Array(5);
    bytes[0] = 0xca;
    new DataView(bytes.buffer).setFloat32(1, value);
    return bytes;
  }
  return msgpack.encode(binaryAsArrayBuffer(value, 0), codecOptions);
}

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

export function encodeArguments(args: readonly unknown[]): Uint8Array {
  if (args.length === 1) return encodeValue(args[0]);
  const parts = args.map(encodeValue);
  const bytes = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/** Decodes back-to-back msgpack values; throws DecodeError for anything truncated or unacceptable. */
export function decodeArguments(bytes: Uint8Array): unknown[] {
  if (bytes.length === 0) return [];
  const decoder = new msgpack.Decoder(codecOptions);
  const values: unknown[] = [];
  decoder.on("data", (value) => values.push(value));
  try {
    decoder.decode(bytes);
  } catch (error) {
    throw error instanceof DecodeError ? error : new DecodeError(`not msgpack: ${(error as Error).message}`);
  }
  if (decoder.offset < decoder.buffer.length) throw new DecodeError("truncated arguments");
  return values.map((value) => toPlainData(value, 0));
}

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
  return value; // an instance made by a registered extension decoder
}
