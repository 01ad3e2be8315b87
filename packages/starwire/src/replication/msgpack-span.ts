/**
 * Where one msgpack value that starts at `offset` ends, without decoding it: SYNC packets write
 * unquantized values back to back without a length (a byte saved per value), so the decoder must
 * find each value's end before handing exactly those bytes to the codec (wire/codec.ts), which
 * then checks them fully.
 *
 * Hostile-input safe: no recursion (containers add to a count of values still to skip), and that
 * count may never exceed the bytes left, since every value takes at least one byte.
 */

/** The offset just past the value, or -1 when the bytes end early or hold no valid msgpack head. */
export function msgpackEnd(bytes: Uint8Array, offset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pending = 1;
  while (pending > 0) {
    if (pending > bytes.length - offset) return -1;
    const head = bytes[offset++]!;
    pending--;
    let skip = 0; // bytes after the head
    let lengthBytes = 0; // a length field of 1, 2 or 4 bytes precedes a payload of that many bytes
    if (head <= 0x7f || head >= 0xe0 || head === 0xc0 || head === 0xc2 || head === 0xc3) skip = 0;
    else if (head <= 0x8f) pending += 2 * (head & 0x0f);
    else if (head <= 0x9f) pending += head & 0x0f;
    else if (head <= 0xbf) skip = head & 0x1f;
    else {
      switch (head) {
        case 0xc4: // bin 8/16/32
        case 0xd9: // str 8/16/32
          lengthBytes = 1;
          break;
        case 0xc5:
        case 0xda:
          lengthBytes = 2;
          break;
        case 0xc6:
        case 0xdb:
          lengthBytes = 4;
          break;
        case 0xc7: // ext 8/16/32: length, then a type byte, then the payload
          lengthBytes = 1;
          skip = 1;
          break;
        case 0xc8:
          lengthBytes = 2;
          skip = 1;
          break;
        case 0xc9:
          lengthBytes = 4;
          skip = 1;
          break;
        case 0xca:
          skip = 4;
          break;
        case 0xcb:
          skip = 8;
          break;
        case 0xcc:
        case 0xd0:
          skip = 1;
          break;
        case 0xcd:
        case 0xd1:
          skip = 2;
          break;
        case 0xce:
        case 0xd2:
          skip = 4;
          break;
        case 0xcf:
        case 0xd3:
          skip = 8;
          break;
        case 0xd4: // fixext 1/2/4/8/16: a type byte and the payload
          skip = 2;
          break;
        case 0xd5:
          skip = 3;
          break;
        case 0xd6:
          skip = 5;
          break;
        case 0xd7:
          skip = 9;
          break;
        case 0xd8:
          skip = 17;
          break;
        case 0xdc: // array 16/32, map 16/32: a count of values
        case 0xde: {
          if (offset + 2 > bytes.length) return -1;
          pending += view.getUint16(offset) * (head === 0xde ? 2 : 1);
          offset += 2;
          break;
        }
        case 0xdd:
        case 0xdf: {
          if (offset + 4 > bytes.length) return -1;
          pending += view.getUint32(offset) * (head === 0xdf ? 2 : 1);
          offset += 4;
          break;
        }
        default: // 0xc1 is never used
          return -1;
      }
    }
    if (lengthBytes > 0) {
      if (offset + lengthBytes > bytes.length) return -1;
      skip +=
        lengthBytes === 1
          ? bytes[offset]!
          : lengthBytes === 2
            ? view.getUint16(offset)
            : view.getUint32(offset);
      offset += lengthBytes;
    }
    if (skip > bytes.length - offset) return -1;
    offset += skip;
  }
  return offset;
}
