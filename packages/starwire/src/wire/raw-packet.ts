import { Command } from "./commands.js";

/** `[RAW][payload…]`: bytes from `multiplayer.sendBytes`, delivered as `peerPacket`. */
export function encodeRaw(payload: Uint8Array): Uint8Array {
  const packet = new Uint8Array(1 + payload.length);
  packet[0] = Command.RAW;
  packet.set(payload, 1);
  return packet;
}
