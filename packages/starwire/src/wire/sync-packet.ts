import { Extended, extendedHead } from "./commands.js";
import { decodeWith, Malformed, type NodeRef, PacketReader, PacketWriter } from "./replication-io.js";

/**
 * DELTA and SYNC_ACK (WIRE.md, "Scene replication"). SYNC itself is the state codec's
 * (replication/state-codec.ts, WIRE.md "Scene replication: SYNC").
 *
 *   DELTA:    [0x1F][tick varint]{[sync ref][state length varint][state]}…   reliable
 *   SYNC_ACK: [0x27][tick varint]                                          unreliable
 *   SYNC_ACK: [0x27]                                                       unreliable: "I hold no baseline of yours"
 *   SYNC_VISIBILITY: [0x57][peer varint][visible varint 0|1][synchronizer path string]   reliable, host → owner
 *
 * DELTA, being reliable and ordered, may carry a path inline (that is how a synchronizer's id is
 * announced); its state bytes are msgpack (replication/sync-values.ts).
 */
export interface DeltaPacket {
  tick: number;
  entries: { ref: NodeRef; state: Uint8Array }[];
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

/**
 * A receiver's acknowledgement of the newest SYNC tick it holds complete from the sender; null:
 * the reset form, sent after a `stale_baseline` rejection, so the sender forgets this receiver's
 * acknowledgements and sends absolute states.
 */
export function encodeSyncAck(tick: number | null): Uint8Array {
  const writer = new PacketWriter(extendedHead(Extended.SYNC_ACK));
  return (tick === null ? writer : writer.varint(tick)).finish();
}

export function decodeSyncAck(bytes: Uint8Array): number | null | string {
  return decodeWith(() => {
    const reader = new PacketReader(bytes);
    if (reader.done) return null;
    const tick = reader.varint("tick");
    reader.end();
    return tick;
  });
}

/** The host's visibility decision for one peer of a synchronizer a client owns. */
export interface SyncVisibilityPacket {
  /** The synchronizer's absolute path (the same on the host and its owner). */
  path: string;
  /** A client other than the owner (ids 0 and 1 are never one). */
  peer: number;
  visible: boolean;
}

/**
 * Named by path, not by a path-cache id: the host has no ids of its own for a client's
 * synchronizer, and the owner's ids are recycled while a notice may still be on its way.
 */
export function encodeSyncVisibility(packet: SyncVisibilityPacket): Uint8Array {
  return new PacketWriter(extendedHead(Extended.SYNC_VISIBILITY))
    .varint(packet.peer)
    .varint(packet.visible ? 1 : 0)
    .string(packet.path)
    .finish();
}

export function decodeSyncVisibility(bytes: Uint8Array): SyncVisibilityPacket | string {
  return decodeWith(() => {
    const reader = new PacketReader(bytes);
    const peer = reader.varint("peer");
    if (peer < 2 || peer > 0x7fffffff) throw new Malformed(`peer ${peer} is not a client`);
    const visible = reader.varint("visible");
    if (visible > 1) throw new Malformed(`visible is ${visible}, not 0 or 1`);
    const path = reader.string("synchronizer path");
    if (path === "") throw new Malformed("empty synchronizer path");
    reader.end();
    return { path, peer, visible: visible === 1 };
  });
}
