import { TransportCommand } from "../../wire/commands.js";
import { readVarint, varintLength, writeVarint } from "../../wire/varint.js";

/**
 * Big reliable messages travel in pieces no larger than one chunk, which every browser's data
 * channel accepts (WIRE.md, "Fragments"). Command value 5 is the transport's own: the first piece
 * is `[5][total length varint][bytes…]`, every further piece `[0x0D][bytes…]`. On an ordered,
 * reliable channel the pieces arrive in order and nothing comes between them.
 */
export const FRAGMENT_CHUNK_BYTES = 16 * 1024;
export const FRAGMENT_FIRST = TransportCommand.FRAGMENT_FIRST;
export const FRAGMENT_MORE = TransportCommand.FRAGMENT_MORE;

export function fragment(data: Uint8Array): Uint8Array[] {
  const header = 1 + varintLength(data.length);
  const pieces: Uint8Array[] = [];
  const first = new Uint8Array(FRAGMENT_CHUNK_BYTES);
  first[0] = FRAGMENT_FIRST;
  writeVarint(first, 1, data.length);
  first.set(data.subarray(0, FRAGMENT_CHUNK_BYTES - header), header);
  pieces.push(first);
  for (let offset = FRAGMENT_CHUNK_BYTES - header; offset < data.length; offset += FRAGMENT_CHUNK_BYTES - 1) {
    const body = data.subarray(offset, offset + FRAGMENT_CHUNK_BYTES - 1);
    const piece = new Uint8Array(1 + body.length);
    piece[0] = FRAGMENT_MORE;
    piece.set(body, 1);
    pieces.push(piece);
  }
  return pieces;
}

/** Puts pieces back together; a violation of the rules is reported as a string (then drop the peer). */
export class Reassembler {
  readonly #maxBytes: number;
  #message: Uint8Array | null = null;
  #filled = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** A whole message, null while one is still being assembled, or a string naming a violation. */
  accept(data: Uint8Array): Uint8Array | null | string {
    const head = data[0];
    if (head === FRAGMENT_FIRST) {
      if (this.#message) return "a new fragmented message began before the last one ended";
      const total = readVarint(data, 1);
      if (!total) return "fragment header is truncated";
      if (total[0] > this.#maxBytes)
        return `message of ${total[0]} bytes exceeds the ${this.#maxBytes}-byte limit`;
      const body = data.subarray(total[1]);
      if (body.length >= total[0]) return "a fragmented message that fits one piece";
      this.#message = new Uint8Array(total[0]);
      this.#message.set(body);
      this.#filled = body.length;
      return null;
    }
    if (head === FRAGMENT_MORE) {
      if (!this.#message) return "a continuation fragment without a first one";
      const body = data.subarray(1);
      if (this.#filled + body.length > this.#message.length) return "fragments exceed the announced length";
      this.#message.set(body, this.#filled);
      this.#filled += body.length;
      if (this.#filled < this.#message.length) return null;
      const whole = this.#message;
      this.#message = null;
      return whole;
    }
    if (this.#message) return "a message arrived in the middle of a fragmented one";
    if (data.length > this.#maxBytes)
      return `message of ${data.length} bytes exceeds the ${this.#maxBytes}-byte limit`;
    return data;
  }
}
