/**
 * Quantization and the signed varints of SYNC packets (WIRE.md, "Scene replication: SYNC").
 *
 * A number with a declared `precision` travels as the integer `q = round(value / precision)`; the
 * receiver reads `q * precision`. Rounding to the nearest integer keeps the decoded value within
 * `precision / 2` of the true one (plus float64's own rounding of the product: at most half an
 * ulp of the value, which is below `precision / 8` over the whole range).
 *
 * The range is `|q| ≤ 2^50` (`|value| ≤ precision × 2^50`, about 1.1e13 at 0.01), so that the
 * difference of two quantized values (`|d| ≤ 2^51`) and its zigzag form (`≤ 2^52`) stay exact in a
 * float64. The 32-bit varints of wire/varint.ts cannot hold them, hence the 53-bit LEB128 here:
 * the same encoding, at most 8 bytes. A value outside the range, NaN or an infinity is refused at
 * the sender with a RangeError: sending a clamped or garbage number would desynchronize silently.
 */

/** The largest |q| a quantized number may have. */
export const MAX_QUANTIZED = 2 ** 50;

/** LEB128 bytes needed for 53 bits (7 per byte). */
const MAX_VARINT_BYTES = 8;

/** `round(value / precision)`, checked; `-0` becomes 0 so that equal states compare equal. */
export function quantize(value: number, precision: number, what: () => string): number {
  if (!Number.isFinite(value)) throw new RangeError(`${what()} is ${value}: only finite numbers can be sent`);
  const q = Math.round(value / precision) + 0;
  if (Math.abs(q) > MAX_QUANTIZED) {
    throw new RangeError(
      `${what()} is ${value}, beyond the range of its precision ${precision} (|value| ≤ ${precision} × 2^50)`,
    );
  }
  return q;
}

export function dequantize(q: number, precision: number): number {
  return q * precision;
}

/** Signed to unsigned, small magnitudes first: 0, -1, 1, -2 … → 0, 1, 2, 3 … (exact up to 2^52). */
export function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

export function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

export function bigVarintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    length++;
  }
  return length;
}

/** Unsigned LEB128 of an integer up to 2^53 − 1 (arithmetic, not bitwise: bitwise is 32-bit). */
export function writeBigVarint(bytes: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    bytes[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  bytes[offset++] = value;
  return offset;
}

/**
 * Reads a LEB128 of at most 8 bytes and 53 bits; returns the value and moves `cursor.offset`, or
 * -1 when the bytes end early or the number is too long or too large.
 */
export function readBigVarint(bytes: Uint8Array, cursor: { offset: number }): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const byte = bytes[cursor.offset++];
    if (byte === undefined) return -1;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return value > Number.MAX_SAFE_INTEGER ? -1 : value;
    scale *= 128;
  }
  return -1;
}
