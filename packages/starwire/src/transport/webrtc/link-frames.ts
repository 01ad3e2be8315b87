import { readVarint, varintLength, writeVarint } from "../../wire/varint.js";

/**
 * The transport's own frames between two ends of a connection (WIRE.md, "Link frames"): command
 * value 6 belongs to the transport, like the fragments' 5, and never reaches the MultiplayerAPI.
 *
 * `counts` are, per reliable lane, how many whole messages this side has received from the other
 * over the whole session (all its connections). HELLO opens every connection with them, so the
 * other side resends exactly what is missing; HEARTBEAT repeats them as an acknowledgement.
 */
export const LINK_FRAME = 0x06;

export const LinkFrameKind = {
  /** Unreliable, every heartbeat interval: "I am here, and I have received this much". */
  HEARTBEAT: 0,
  /** First message on a new connection's reliable channel: "resend what comes after this". */
  HELLO: 1,
  /** Reliable: "I am leaving on purpose; do not wait for me". */
  BYE: 2,
} as const;

export type LinkFrame =
  | { kind: typeof LinkFrameKind.HEARTBEAT | typeof LinkFrameKind.HELLO; counts: number[] }
  | { kind: typeof LinkFrameKind.BYE };

export function encodeLinkFrame(frame: LinkFrame): Uint8Array {
  const counts = frame.kind === LinkFrameKind.BYE ? [] : frame.counts;
  let length = 2;
  for (const count of counts) length += varintLength(count);
  const bytes = new Uint8Array(length);
  bytes[0] = LINK_FRAME;
  bytes[1] = frame.kind;
  let offset = 2;
  for (const count of counts) offset = writeVarint(bytes, offset, count);
  return bytes;
}

/** The frame, or a string naming what is wrong with it (the peer is then dropped). */
export function decodeLinkFrame(bytes: Uint8Array, reliableLanes: number): LinkFrame | string {
  const kind = bytes[1];
  if (kind === LinkFrameKind.BYE) return bytes.length === 2 ? { kind } : "BYE frame has trailing bytes";
  if (kind !== LinkFrameKind.HEARTBEAT && kind !== LinkFrameKind.HELLO) {
    return `unknown link frame kind ${kind}`;
  }
  const counts: number[] = [];
  let offset = 2;
  for (let lane = 0; lane < reliableLanes; lane++) {
    const read = readVarint(bytes, offset);
    if (!read) return "link frame counts are truncated";
    counts.push(read[0]);
    offset = read[1];
  }
  if (offset !== bytes.length) return "link frame has trailing bytes";
  return { kind, counts };
}
