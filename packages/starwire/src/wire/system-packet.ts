import { Command, RELAY_HEADER_BYTES, RELAY_PEER_OFFSET, SystemCommand } from "./commands.js";

/**
 * System messages: the host telling clients who else is in the game, and relaying packets
 * between clients (a client is connected to the host only).
 *
 *   [SYS, ADD_PEER, id:u32le]              host → client: peer `id` is in the game
 *   [SYS, DEL_PEER, id:u32le]              host → client: peer `id` left
 *   [SYS, RELAY, target:i32le, ...packet]  client → host: deliver `packet` to target (0 all, -n all but n)
 *   [SYS, RELAY, source:u32le, ...packet]  host → client: `packet` comes from peer `source`
 *   [SYS, AUTH, 0, ...data]                 either way, before admission: authentication data
 *   [SYS, AUTH, 1]                          either way, before admission: "I completed authentication"
 *   [SYS, PEER_RECONNECTING, id:u32le]     host → client: peer `id` lost its connection and is coming back
 *   [SYS, PEER_RECONNECTED, id:u32le]      host → client: peer `id` is back
 *   [SYS, TICK_RATE, rate:u32le]           host → client, first after admission: the game's tick rate
 *
 * The subcommand values are in commands.ts.
 */

/** What the host announces about one peer. */
export type PeerNoticeKind = "addPeer" | "delPeer" | "peerReconnecting" | "peerReconnected";

const NOTICE_COMMANDS: Record<PeerNoticeKind, number> = {
  addPeer: SystemCommand.ADD_PEER,
  delPeer: SystemCommand.DEL_PEER,
  peerReconnecting: SystemCommand.PEER_RECONNECTING,
  peerReconnected: SystemCommand.PEER_RECONNECTED,
};
const NOTICE_KINDS = new Map(
  Object.entries(NOTICE_COMMANDS).map(([kind, command]) => [command, kind as PeerNoticeKind]),
);

export type SystemMessage =
  | { kind: PeerNoticeKind; id: number }
  | { kind: "tickRate"; rate: number }
  | { kind: "relay"; peer: number; packet: Uint8Array }
  | { kind: "auth"; complete: boolean; data: Uint8Array };

export function encodeAuth(complete: boolean, data: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(3 + data.length);
  bytes[0] = Command.SYS;
  bytes[1] = SystemCommand.AUTH;
  bytes[2] = complete ? 1 : 0;
  bytes.set(data, 3);
  return bytes;
}

const HEADER = RELAY_PEER_OFFSET;
const ID_BYTES = RELAY_HEADER_BYTES - RELAY_PEER_OFFSET;

export function encodePeerNotice(kind: PeerNoticeKind, id: number): Uint8Array {
  const bytes = new Uint8Array(HEADER + ID_BYTES);
  bytes[0] = Command.SYS;
  bytes[1] = NOTICE_COMMANDS[kind];
  new DataView(bytes.buffer).setUint32(HEADER, id, true);
  return bytes;
}

/** The rate is any u32 on the wire: the receiver judges whether it is a tick rate. */
export function encodeTickRate(rate: number): Uint8Array {
  const bytes = new Uint8Array(HEADER + ID_BYTES);
  bytes[0] = Command.SYS;
  bytes[1] = SystemCommand.TICK_RATE;
  new DataView(bytes.buffer).setUint32(HEADER, rate, true);
  return bytes;
}

/** `peer` is the target when a client sends, the true source when the host forwards. */
export function encodeRelay(peer: number, packet: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(HEADER + ID_BYTES + packet.length);
  bytes[0] = Command.SYS;
  bytes[1] = SystemCommand.RELAY;
  new DataView(bytes.buffer).setInt32(HEADER, peer, true);
  bytes.set(packet, HEADER + ID_BYTES);
  return bytes;
}

/** Decodes a packet whose first byte is SYS; a string names what is wrong with a malformed one. */
export function decodeSystemMessage(bytes: Uint8Array): SystemMessage | string {
  if (bytes[1] === SystemCommand.AUTH) {
    if (bytes.length < 3 || bytes[2]! > 1) return "malformed auth message";
    if (bytes[2] === 1 && bytes.length !== 3) return "auth completion carries data";
    return { kind: "auth", complete: bytes[2] === 1, data: bytes.subarray(3) };
  }
  if (bytes.length < HEADER + ID_BYTES) return `system message too short (${bytes.length} bytes)`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const notice = NOTICE_KINDS.get(bytes[1]!);
  if (notice !== undefined) {
    if (bytes.length !== HEADER + ID_BYTES) return "peer notice has trailing bytes";
    return { kind: notice, id: view.getUint32(HEADER, true) };
  }
  switch (bytes[1]) {
    case SystemCommand.TICK_RATE:
      if (bytes.length !== HEADER + ID_BYTES) return "tick rate has trailing bytes";
      return { kind: "tickRate", rate: view.getUint32(HEADER, true) };
    case SystemCommand.RELAY:
      if (bytes.length === HEADER + ID_BYTES) return "relay carries no packet";
      return { kind: "relay", peer: view.getInt32(HEADER, true), packet: bytes.subarray(HEADER + ID_BYTES) };
    default:
      return `unknown system command ${bytes[1]}`;
  }
}
