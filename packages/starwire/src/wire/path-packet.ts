import { Command, Extended, extendedHead, RELAY_HEADER_BYTES, SystemCommand } from "./commands.js";
import { namedPathLength, readNamedPath, writeNamedPath } from "./rpc-packet.js";
import { VarintReader, varintLength, writeVarint } from "./varint.js";

/**
 * The path cache's own packets (WIRE.md, "Path ids"), reliable on channel 0 like every packet
 * that teaches an id, so each is ordered after every packet that taught or used its id:
 *
 *   PATH_ANNOUNCE:  [0x3F][id varint][pathLength varint][path utf-8][digest u16be]
 *   PATH_FORGET:    [0x47][id varint]
 *   PATH_FORGOTTEN: [0x4F][id varint]
 */
export type PathPacket =
  | { kind: "announce"; id: number; path: string; digest: number }
  | { kind: "forget"; id: number }
  | { kind: "forgotten"; id: number };

const HEADS = {
  announce: extendedHead(Extended.PATH_ANNOUNCE),
  forget: extendedHead(Extended.PATH_FORGET),
  forgotten: extendedHead(Extended.PATH_FORGOTTEN),
} as const;

/** The first bytes of the path cache's extended packets (what a subsystem dispatches by). */
export const PATH_PACKET_HEADS: readonly number[] = Object.values(HEADS);

/** Longest PATH_FORGET or PATH_FORGOTTEN inside a relay: the relay header, the head, a 2-byte id. */
const MAX_RELEASE_BYTES = RELAY_HEADER_BYTES + 3;

/**
 * Whether `bytes` is a PATH_FORGET or PATH_FORGOTTEN, as it is or inside a client's relay: the
 * packets that free an id on both ends, which the host's rate limits let through (a lost one
 * would hold the id until a peer leaves). Read without decoding: the host asks before any.
 */
export function isPathRelease(bytes: Uint8Array): boolean {
  if (bytes.length > MAX_RELEASE_BYTES) return false;
  const relayed = bytes[0] === Command.SYS && bytes[1] === SystemCommand.RELAY;
  const head = relayed ? bytes[RELAY_HEADER_BYTES] : bytes[0];
  return head === HEADS.forget || head === HEADS.forgotten;
}

const encoder = new TextEncoder();

export function encodePathPacket(packet: PathPacket): Uint8Array {
  const path = packet.kind === "announce" ? encoder.encode(packet.path) : null;
  const bytes = new Uint8Array(1 + varintLength(packet.id) + (path ? namedPathLength(path) : 0));
  bytes[0] = HEADS[packet.kind];
  const offset = writeVarint(bytes, 1, packet.id);
  if (path && packet.kind === "announce") writeNamedPath(bytes, offset, path, packet.digest);
  return bytes;
}

/** Decodes a path cache packet; a string says what is malformed. */
export function decodePathPacket(bytes: Uint8Array): PathPacket | string {
  const kind = (Object.keys(HEADS) as Array<keyof typeof HEADS>).find((k) => HEADS[k] === bytes[0]);
  if (!kind) return `not a path cache packet (${bytes[0]})`;
  const reader = new VarintReader(bytes, 1);
  const id = reader.next();
  if (id < 0) return "truncated path id";
  if (kind !== "announce") {
    return reader.offset === bytes.length ? { kind, id } : "path packet has trailing bytes";
  }
  const named = readNamedPath(bytes, reader);
  if (typeof named === "string") return named;
  if (reader.offset !== bytes.length) return "path announcement has trailing bytes";
  return { kind, id, ...named };
}
