import { DecodeError, decodeArguments, encodeArguments } from "../wire/codec.js";
import { readVarint, varintLength, writeVarint } from "../wire/varint.js";

/**
 * The state bytes inside SPAWN, SYNC and DELTA entries: which of a synchronizer's properties are
 * present, then their values. Interim encoding, kept behind this one pair of functions so the
 * quantizing delta codec (the state codec of issue 15) replaces it in one place:
 *
 *   [mask varint: bit i = property i present][msgpack value of each present property, in order]
 *
 * Property indexes are positions in the synchronizer's replication config (at most 32).
 */
export const MAX_SYNC_PROPERTIES = 32;

/** One property's value, by its index in the replication config. */
export type SyncEntry = readonly [index: number, value: unknown];

export function encodeSyncValues(entries: readonly SyncEntry[]): Uint8Array {
  let mask = 0;
  const sorted = [...entries].sort((a, b) => a[0] - b[0]);
  for (const [index] of sorted) mask += 2 ** index;
  const values = encodeArguments(sorted.map((entry) => entry[1]));
  const bytes = new Uint8Array(varintLength(mask) + values.length);
  bytes.set(values, writeVarint(bytes, 0, mask));
  return bytes;
}

/** The entries in `bytes` for a synchronizer with `count` properties; a string says what is wrong. */
export function decodeSyncValues(bytes: Uint8Array, count: number): SyncEntry[] | string {
  const read = readVarint(bytes, 0);
  if (!read) return "truncated property mask";
  const [mask, offset] = read;
  if (count < MAX_SYNC_PROPERTIES && mask >= 2 ** count)
    return `property mask ${mask} names unknown properties`;
  let values: unknown[];
  try {
    values = decodeArguments(bytes.subarray(offset));
  } catch (error) {
    if (error instanceof DecodeError) return error.message;
    throw error;
  }
  const entries: SyncEntry[] = [];
  for (let index = 0; index < count; index++) {
    if (Math.floor(mask / 2 ** index) % 2 === 1) entries.push([index, values[entries.length]]);
  }
  if (entries.length !== values.length) return `${values.length} values for ${entries.length} properties`;
  return entries;
}
