/** Unsigned LEB128: 7 bits a byte, low bits first; one byte below 128. At most 32 bits. */
export function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    length++;
  }
  return length;
}

export function writeVarint(bytes: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    bytes[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  bytes[offset++] = value;
  return offset;
}

/** Returns [value, next offset], or null when the bytes end early or the number exceeds 32 bits. */
export function readVarint(bytes: Uint8Array, offset: number): [number, number] | null {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    const byte = bytes[offset++];
    if (byte === undefined) return null;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return value > 0xffffffff ? null : [value, offset];
  }
  return null;
}

/** Reads varints one after another without allocating; `offset` advances past each one. */
export class VarintReader {
  constructor(
    readonly bytes: Uint8Array,
    public offset: number,
  ) {}

  /** The next varint, or -1 when the bytes end early or it exceeds 32 bits. */
  next(): number {
    const first = this.bytes[this.offset];
    if (first !== undefined && first < 0x80) {
      this.offset++;
      return first;
    }
    const read = readVarint(this.bytes, this.offset);
    if (!read) return -1;
    this.offset = read[1];
    return read[0];
  }
}
