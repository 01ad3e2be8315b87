import { Extended, extendedHead } from "./commands.js";
import { decodeWith, type NodeRef, PacketReader, PacketWriter } from "./replication-io.js";
import { varintLength } from "./varint.js";

/**
 * SYNC, DELTA and SYNC_ACK (WIRE.md, "Scene replication"): synchronized state from a
 * synchronizer's authority, and the receiver's acknowledgement.
 *
 *   SYNC:     [0x17][tick varint]{[sync id varint][state length varint][state]}…   unreliable
 *   DELTA:    [0x1F][tick varint]{[sync ref][state length varint][state]}…         reliable
 *   SYNC_ACK: [0x27][tick varint]                                                  unreliable
 *
 * SYNC names synchronizers by ids the receiver confirmed; DELTA, being reliable and ordered, may
 * carry a path inline (that is how a synchronizer's id is announced). The state bytes are the
 * state codec's (replication/sync-values.ts).
 */
export interface SyncPacket {
  tick: number;
  entries: { id: number; state: Uint8Array }[];
}

export interface DeltaPacket {
  tick: number;
  entries: { ref: NodeRef; state: Uint8Array }[];
}

export function encodeSync(packet: SyncPacket): Uint8Array {
  const writer = new PacketWriter(extendedHead(Extended.SYNC)).varint(packet.tick);
  for (const entry of packet.entries) writer.varint(entry.id).bytes(entry.state);
  return writer.finish();
}

/**
 * A tick's SYNC for one peer as packets of at most `maxBytes` each, split between entries (an
 * entry is never cut; one bigger than `maxBytes` goes alone): nothing is dropped for its size.
 */
export function encodeSyncPackets(packet: SyncPacket, maxBytes: number): Uint8Array[] {
  const header = 1 + varintLength(packet.tick);
  const packets: Uint8Array[] = [];
  let entries: SyncPacket["entries"] = [];
  let size = header;
  for (const entry of packet.entries) {
    const bytes = varintLength(entry.id) + varintLength(entry.state.length) + entry.state.length;
    if (entries.length > 0 && size + bytes > maxBytes) {
      packets.push(encodeSync({ tick: packet.tick, entries }));
      entries = [];
      size = header;
    }
    entries.push(entry);
    size += bytes;
  }
  if (entries.length > 0) packets.push(encodeSync({ tick: packet.tick, entries }));
  return packets;
}

export function decodeSync(bytes: Uint8Array): SyncPacket | string {
  return decodeWith(() => {
    const reader = new PacketReader(bytes);
    const tick = reader.varint("tick");
    const entries: SyncPacket["entries"] = [];
    while (!reader.done) entries.push({ id: reader.varint("synchronizer id"), state: reader.bytes("state") });
    return { tick, entries };
  });
}

export function encodeDelta(packet: DeltaPacket): Uint8Array {
  const writer = new PacketWriter(extendedHead(Extended.DELTA)).varint(packet.tick);
  for (const entry of packet.entries) writer.ref(entry.ref).bytes(entry.state);
  return writer.finish();
}

export function decodeDelta(bytes: Uint8Array): DeltaPacket | string {
  return decodeWith(() => {
    const reader = new PacketReader(bytes);
    const tick = reader.varint("tick");
    const entries: DeltaPacket["entries"] = [];
    while (!reader.done) entries.push({ ref: reader.ref("synchronizer"), state: reader.bytes("state") });
    return { tick, entries };
  });
}

export function encodeSyncAck(tick: number): Uint8Array {
  return new PacketWriter(extendedHead(Extended.SYNC_ACK)).varint(tick).finish();
}

export function decodeSyncAck(bytes: Uint8Array): number | string {
  return decodeWith(() => {
    const reader = new PacketReader(bytes);
    const tick = reader.varint("tick");
    reader.end();
    return tick;
  });
}
