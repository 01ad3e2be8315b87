import { Command } from "../wire/commands.js";

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
 */
export const SystemCommand = { ADD_PEER: 0, DEL_PEER: 1, RELAY: 2, AUTH: 3 } as const;

export type SystemMessage =
  | { kind: "addPeer"; id: number }
  | { kind: "delPeer"; id: number }
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

const HEADER = 2;
const ID_BYTES = 4;

export function encodePeerNotice(kind: "addPeer" | "delPeer", id: number): Uint8Array {
  const bytes = new Uint8Array(HEADER + ID_BYTES);
  bytes[0] = Command.SYS;
  bytes[1] = kind === "addPeer" ? SystemCommand.ADD_PEER : SystemCommand.DEL_PEER;
  new DataView(bytes.buffer).setUint32(HEADER, id, true);
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
  switch (bytes[1]) {
    case SystemCommand.ADD_PEER:
    case SystemCommand.DEL_PEER:
      if (bytes.length !== HEADER + ID_BYTES) return "peer notice has trailing bytes";
      return {
        kind: bytes[1] === SystemCommand.ADD_PEER ? "addPeer" : "delPeer",
        id: view.getUint32(HEADER, true),
      };
    case SystemCommand.RELAY:
      if (bytes.length === HEADER + ID_BYTES) return "relay carries no packet";
      return { kind: "relay", peer: view.getInt32(HEADER, true), packet: bytes.subarray(HEADER + ID_BYTES) };
    default:
      return `unknown system command ${bytes[1]}`;
  }
}
