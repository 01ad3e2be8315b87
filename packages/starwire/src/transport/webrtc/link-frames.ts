import { TransportCommand } from "../../wire/commands.js";
import { readVarint, varintLength, writeVarint } from "../../wire/varint.js";

/**
 * The transport's own frames between two ends of a connection (WIRE.md, "Link frames"): command
 * value 6 belongs to the transport, like the fragments' 5, and never reaches the MultiplayerAPI.
 *
 * `counts` are, per reliable lane, how many whole messages this side has received from the other
 * over the whole session (all its connections). HELLO opens every connection with them, so the
 * other side resends exactly what is missing; HEARTBEAT repeats them as an acknowledgement, and
 * carries what the connection statistics need (`HeartbeatProbe`).
 */
export const LINK_FRAME = TransportCommand.LINK_FRAME;

export const LinkFrameKind = {
  /** Unreliable, every heartbeat interval: "I am here, and I have received this much". */
  HEARTBEAT: 0,
  /** First message on a new connection's reliable channel: "resend what comes after this". */
  HELLO: 1,
  /** Reliable: "I am leaving on purpose; do not wait for me". */
  BYE: 2,
} as const;

/**
 * A heartbeat's measurements, all about the current connection (WIRE.md, "Link frames"). Clocks are
 * each side's own, in microseconds modulo 2³²; message counts are modulo 2³² too.
 */
export interface HeartbeatProbe {
  /** The sender's clock when it sent this heartbeat; never 0. */
  stamp: number;
  /** The `stamp` of the newest heartbeat the sender has received on this connection; 0 before any. */
  echo: number;
  /** Microseconds between that heartbeat's arrival and this one's sending (0 before any). */
  held: number;
  /** Unreliable messages the sender has sent on this connection, this heartbeat included. */
  sent: number;
  /** Unreliable messages the sender had received on this connection when the echoed heartbeat arrived (it included). */
  echoReceived: number;
}

export type LinkFrame =
  | ({ kind: typeof LinkFrameKind.HEARTBEAT; counts: number[] } & HeartbeatProbe)
  | { kind: typeof LinkFrameKind.HELLO; counts: number[] }
  | { kind: typeof LinkFrameKind.BYE };

export function encodeLinkFrame(frame: LinkFrame): Uint8Array {
  const counts = frame.kind === LinkFrameKind.BYE ? [] : frame.counts;
  let length = 2;
  for (const count of counts) length += varintLength(count);
  if (frame.kind === LinkFrameKind.HEARTBEAT) {
    length += 8 + varintLength(frame.held) + varintLength(frame.sent) + varintLength(frame.echoReceived);
  }
  const bytes = new Uint8Array(length);
  bytes[0] = LINK_FRAME;
  bytes[1] = frame.kind;
  let offset = 2;
  for (const count of counts) offset = writeVarint(bytes, offset, count);
  if (frame.kind === LinkFrameKind.HEARTBEAT) {
    const view = new DataView(bytes.buffer);
    view.setUint32(offset, frame.stamp, true);
    view.setUint32(offset + 4, frame.echo, true);
    offset = writeVarint(bytes, offset + 8, frame.held);
    offset = writeVarint(bytes, offset, frame.sent);
    writeVarint(bytes, offset, frame.echoReceived);
  }
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
  if (kind === LinkFrameKind.HELLO) {
    return offset === bytes.length ? { kind, counts } : "link frame has trailing bytes";
  }
  if (offset + 8 > bytes.length) return "heartbeat is truncated";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stamp = view.getUint32(offset, true);
  const echo = view.getUint32(offset + 4, true);
  offset += 8;
  const fields: number[] = [];
  for (let i = 0; i < 3; i++) {
    const read = readVarint(bytes, offset);
    if (!read) return "heartbeat is truncated";
    fields.push(read[0]);
    offset = read[1];
  }
  if (offset !== bytes.length) return "link frame has trailing bytes";
  if (stamp === 0) return "heartbeat stamp is 0";
  const [held, sent, echoReceived] = fields as [number, number, number];
  return { kind, counts, stamp, echo, held, sent, echoReceived };
}
