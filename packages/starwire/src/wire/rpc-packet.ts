import {
  COMMAND_MASK,
  Command,
  INLINE_FLAG,
  RELAY_HEADER_BYTES,
  RELAY_PEER_OFFSET,
  SystemCommand,
} from "./commands.js";
import { readVarint, VarintReader, varintLength, writeVarint } from "./varint.js";

/**
 * RPC, RSET and CONFIRM_PATH packets (WIRE.md has the byte layouts and test vectors).
 *
 *   RPC / RSET, cached:  [cmd][cacheId varint][index varint][args…]
 *   RPC / RSET, inline:  [cmd|INLINE_FLAG][cacheId varint][pathLength varint][path utf8][digest u16be][index varint][args…]
 *   CONFIRM_PATH:        [CONFIRM_PATH][cacheId varint]
 */
export const MAX_PATH_BYTES = 1024;

export interface CallPacket {
  command: typeof Command.RPC | typeof Command.RSET;
  cacheId: number;
  /** Present when the sender does not yet know that every receiver cached `cacheId`. */
  inline: { path: string; digest: number } | null;
  index: number;
  args: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeCall(packet: CallPacket): Uint8Array {
  const path = packet.inline ? encoder.encode(packet.inline.path) : null;
  const length =
    1 +
    varintLength(packet.cacheId) +
    (path ? namedPathLength(path) : 0) +
    varintLength(packet.index) +
    packet.args.length;
  const bytes = new Uint8Array(length);
  bytes[0] = packet.command | (path ? INLINE_FLAG : 0);
  let offset = writeVarint(bytes, 1, packet.cacheId);
  if (path && packet.inline) offset = writeNamedPath(bytes, offset, path, packet.inline.digest);
  offset = writeVarint(bytes, offset, packet.index);
  bytes.set(packet.args, offset);
  return bytes;
}

/** Decodes an RPC or RSET packet; a string says what is malformed. Arguments stay encoded. */
export function decodeCall(bytes: Uint8Array): CallPacket | string {
  const command = (bytes[0]! & COMMAND_MASK) as CallPacket["command"];
  if ((bytes[0]! & ~(COMMAND_MASK | INLINE_FLAG)) !== 0) return `unknown flags in command byte ${bytes[0]}`;
  const reader = new VarintReader(bytes, 1);
  const cacheId = reader.next();
  if (cacheId < 0) return "truncated node reference";
  let inline: CallPacket["inline"] = null;
  if (bytes[0]! & INLINE_FLAG) {
    const named = readNamedPath(bytes, reader);
    if (typeof named === "string") return named;
    inline = named;
  }
  const index = reader.next();
  if (index < 0) return "truncated member index";
  return { command, cacheId, inline, index, args: bytes.subarray(reader.offset) };
}

/** `[pathLength varint][path utf-8][digest u16be]`: a node named in full, and its networked names' digest. */
export function readNamedPath(
  bytes: Uint8Array,
  reader: VarintReader,
): { path: string; digest: number } | string {
  const length = reader.next();
  if (length < 0) return "truncated path length";
  if (length > MAX_PATH_BYTES) return `path longer than ${MAX_PATH_BYTES} bytes`;
  const start = reader.offset;
  if (start + length + 2 > bytes.length) return "truncated path";
  let path: string;
  try {
    path = decoder.decode(bytes.subarray(start, start + length));
  } catch {
    return "path is not UTF-8";
  }
  reader.offset = start + length + 2;
  return { path, digest: (bytes[start + length]! << 8) | bytes[start + length + 1]! };
}

/** The bytes `readNamedPath` reads, for `path` already UTF-8 encoded. */
export function namedPathLength(path: Uint8Array): number {
  return varintLength(path.length) + path.length + 2;
}

export function writeNamedPath(bytes: Uint8Array, offset: number, path: Uint8Array, digest: number): number {
  let at = writeVarint(bytes, offset, path.length);
  bytes.set(path, at);
  at += path.length;
  bytes[at++] = digest >> 8;
  bytes[at++] = digest & 0xff;
  return at;
}

export function encodeConfirmPath(cacheId: number): Uint8Array {
  const bytes = new Uint8Array(1 + varintLength(cacheId));
  bytes[0] = Command.CONFIRM_PATH;
  writeVarint(bytes, 1, cacheId);
  return bytes;
}

export function decodeConfirmPath(bytes: Uint8Array): number | string {
  const cache = readVarint(bytes, 1);
  if (!cache || cache[1] !== bytes.length) return "malformed path confirmation";
  return cache[0];
}

/**
 * What an unreliable packet updates, for "newest wins" under load: the same command, node and
 * member (and, for a relay, the same peer) make the same key. Null for anything else.
 */
export function latestKey(packet: Uint8Array): string | null {
  const command = packet[0]! & COMMAND_MASK;
  if (command === Command.SYS && packet[1] === SystemCommand.RELAY && packet.length > RELAY_HEADER_BYTES) {
    const inner = latestKey(packet.subarray(RELAY_HEADER_BYTES));
    return (
      inner &&
      `${new DataView(packet.buffer, packet.byteOffset + RELAY_PEER_OFFSET, 4).getInt32(0, true)}>${inner}`
    );
  }
  if (command !== Command.RPC && command !== Command.RSET) return null;
  const call = decodeCall(packet);
  return typeof call === "string" ? null : `${command}:${call.cacheId}:${call.index}`;
}

/**
 * Whether a `latestKey` names one of `cacheIds` (an RPC or RSET through that node). `relay`: the
 * peer its relay header must name, null for a packet that is not relayed, "any" for either.
 */
export function keyNamesNode(
  key: string,
  cacheIds: ReadonlySet<number>,
  relay: number | null | "any",
): boolean {
  const arrow = key.indexOf(">");
  if (relay === null ? arrow >= 0 : relay !== "any" && (arrow < 0 || key.slice(0, arrow) !== `${relay}`))
    return false;
  const idStart = key.indexOf(":", arrow + 1) + 1;
  const idEnd = key.indexOf(":", idStart);
  return idStart > 0 && idEnd > idStart && cacheIds.has(Number(key.slice(idStart, idEnd)));
}
