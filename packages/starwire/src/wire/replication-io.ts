import { readVarint, varintLength, writeVarint } from "./varint.js";

/**
 * Small readers and writers shared by the scene replication packets (spawn-packet.ts,
 * sync-packet.ts): varints, length-prefixed bytes and strings, and node references.
 */
export const MAX_REPLICATION_PATH_BYTES = 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * A node named by the sender's path-cache id; `path` is inline until the sender knows the
 * receiver learned the id (on the wire a path length of 0 means "no path": paths are never empty).
 */
export interface NodeRef {
  id: number;
  path: string | null;
}

/** Collects the parts of a packet, then writes them in one buffer. */
export class PacketWriter {
  readonly #parts: (number | Uint8Array)[] = [];
  #length = 0;

  constructor(head: number) {
    this.byte(head);
  }

  byte(value: number): this {
    this.#parts.push(-1 - value);
    this.#length++;
    return this;
  }

  varint(value: number): this {
    this.#parts.push(value);
    this.#length += varintLength(value);
    return this;
  }

  /** Bytes with their length in front. */
  bytes(bytes: Uint8Array): this {
    this.varint(bytes.length);
    return this.raw(bytes);
  }

  raw(bytes: Uint8Array): this {
    this.#parts.push(bytes);
    this.#length += bytes.length;
    return this;
  }

  string(text: string): this {
    return this.bytes(encoder.encode(text));
  }

  ref(ref: NodeRef): this {
    this.varint(ref.id);
    return ref.path === null ? this.varint(0) : this.string(ref.path);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const part of this.#parts) {
      if (part instanceof Uint8Array) {
        out.set(part, offset);
        offset += part.length;
      } else if (part < 0) {
        out[offset++] = -1 - part;
      } else {
        offset = writeVarint(out, offset, part);
      }
    }
    return out;
  }
}

/** Thrown by PacketReader on malformed input; decoders turn it into their string result. */
export class Malformed extends Error {}

export class PacketReader {
  offset = 1;
  constructor(readonly data: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.data.length;
  }

  varint(what: string): number {
    const read = readVarint(this.data, this.offset);
    if (!read) throw new Malformed(`truncated ${what}`);
    this.offset = read[1];
    return read[0];
  }

  bytes(what: string, max = Number.POSITIVE_INFINITY): Uint8Array {
    const length = this.varint(`${what} length`);
    if (length > max) throw new Malformed(`${what} longer than ${max} bytes`);
    if (this.offset + length > this.data.length) throw new Malformed(`truncated ${what}`);
    const bytes = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }

  string(what: string, max = MAX_REPLICATION_PATH_BYTES): string {
    const bytes = this.bytes(what, max);
    try {
      return decoder.decode(bytes);
    } catch {
      throw new Malformed(`${what} is not UTF-8`);
    }
  }

  ref(what: string): NodeRef {
    const id = this.varint(`${what} id`);
    const path = this.string(`${what} path`);
    return { id, path: path === "" ? null : path };
  }

  end(): void {
    if (!this.done) throw new Malformed("trailing bytes");
  }
}

/** Runs a decoder, turning a Malformed throw into its message. */
export function decodeWith<T>(read: () => T): T | string {
  try {
    return read();
  } catch (error) {
    if (error instanceof Malformed) return error.message;
    throw error;
  }
}
