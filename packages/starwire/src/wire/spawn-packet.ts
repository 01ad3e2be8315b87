import { Extended, extendedHead } from "./commands.js";
import { decodeWith, type NodeRef, PacketReader, PacketWriter } from "./replication-io.js";

/**
 * SPAWN and DESPAWN (WIRE.md, "Scene replication"): a spawner's authority tells a peer that a
 * node appeared under the spawner's spawn path, or went away.
 *
 *   SPAWN:   [0x07][spawner ref][node id][name][class][data?][sync count]{[sync id][relative path][state]}…
 *   DESPAWN: [0x0F][node id]
 *
 * A ref is [id varint][path length varint][path utf8] (length 0: the id is already known); strings
 * and byte runs are length-prefixed by a varint. `class` empty means a custom spawn: `data` (the
 * msgpack of `spawn(data)`'s argument) follows only then.
 */
export interface SpawnPacket {
  spawner: NodeRef;
  /** The sender's path-cache id for the spawned node's path (DESPAWN names it). */
  nodeId: number;
  name: string;
  /** The registered spawnable name; null for a custom spawn. */
  className: string | null;
  /** Custom spawns only: msgpack of the spawn data. */
  data: Uint8Array | null;
  /** The spawned subtree's synchronizers: their ids, paths relative to the node, spawn state. */
  syncs: { id: number; path: string; state: Uint8Array }[];
}

export const MAX_SPAWN_SYNCS = 64;

export function encodeSpawn(packet: SpawnPacket): Uint8Array {
  const writer = new PacketWriter(extendedHead(Extended.SPAWN))
    .ref(packet.spawner)
    .varint(packet.nodeId)
    .string(packet.name)
    .string(packet.className ?? "");
  if (packet.className === null) writer.bytes(packet.data ?? new Uint8Array());
  writer.varint(packet.syncs.length);
  for (const sync of packet.syncs) writer.varint(sync.id).string(sync.path).bytes(sync.state);
  return writer.finish();
}

export function decodeSpawn(bytes: Uint8Array): SpawnPacket | string {
  return decodeWith(() => {
    const reader = new PacketReader(bytes);
    const spawner = reader.ref("spawner");
    const nodeId = reader.varint("node id");
    const name = reader.string("node name", 512);
    const className = reader.string("class name", 512) || null;
    const data = className === null ? reader.bytes("spawn data") : null;
    const count = reader.varint("synchronizer count");
    if (count > MAX_SPAWN_SYNCS) return `more than ${MAX_SPAWN_SYNCS} synchronizers in one spawn`;
    const syncs: SpawnPacket["syncs"] = [];
    for (let i = 0; i < count; i++) {
      const id = reader.varint("synchronizer id");
      const path = reader.string("synchronizer path");
      syncs.push({ id, path, state: reader.bytes("spawn state") });
    }
    reader.end();
    return { spawner, nodeId, name, className, data, syncs };
  });
}

export function encodeDespawn(nodeId: number): Uint8Array {
  return new PacketWriter(extendedHead(Extended.DESPAWN)).varint(nodeId).finish();
}

export function decodeDespawn(bytes: Uint8Array): number | string {
  return decodeWith(() => {
    const reader = new PacketReader(bytes);
    const id = reader.varint("node id");
    reader.end();
    return id;
  });
}
