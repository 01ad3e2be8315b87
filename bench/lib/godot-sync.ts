/**
 * The bytes Godot 4 sends for one MultiplayerSynchronizer sync interval, computed from its wire
 * format (godotengine/godot, modules/multiplayer/scene_replication_interface.cpp,
 * `SceneReplicationInterface::_send_sync`, the same from 4.0 to 4.4):
 *
 *   - one packet per peer: `[NETWORK_COMMAND_SYNC][sync net time u16]`, 3 bytes;
 *   - per synchronizer whose interval is due (every interval, whether or not anything changed:
 *     `MultiplayerSynchronizer::update_outbound_sync_time` in multiplayer_synchronizer.cpp only
 *     checks time): `[net id u32][size u32]` then the sync properties through
 *     `MultiplayerAPI::encode_and_compress_variants` (scene/main/multiplayer_api.cpp: each value
 *     back to back, no count), whose sizes lib/godot-wire.ts computes from `encode_variant`;
 *   - a packet is sent and a new one started when the next synchronizer would pass `sync_mtu`
 *     (1350 by default, scene_replication_interface.h: `ofs + 4 + 4 + size > sync_mtu`); a single
 *     state above it is not sent at all.
 *
 * So a 2D transform (a Vector2 position, 4 + 2 × 4 bytes, and a rotation, a float that float32
 * holds since Node2D stores it as real_t, 4 + 4 bytes) costs 4 + 4 + 12 + 8 = 28 bytes per
 * entity, plus 3 bytes per packet of at most 48 entities.
 */
import { compressedVariantSize, type GodotValue } from "./godot-wire.js";

export const GODOT_SYNC_MTU = 1350;
const PACKET_HEADER = 1 + 2;
const ENTRY_HEADER = 4 + 4;

/** A synchronizer's entry: net id, size, its properties' variants (typed as Godot holds them). */
export function godotSyncEntrySize(values: readonly GodotValue[]): number {
  return ENTRY_HEADER + values.reduce((sum, value) => sum + compressedVariantSize(value), 0);
}

/** A Node2D's position and rotation as Godot's variants: rotation is a real_t, so float32-exact. */
export function godotTransform2D(x: number, y: number, rotation: number): GodotValue[] {
  return [
    { type: "Vector2", x, y },
    { type: "float", value: Math.fround(rotation) },
  ];
}

/** Every packet `_send_sync` sends one peer for these synchronizers' states, in bytes. */
export function godotSyncTickBytes(
  states: ReadonlyArray<readonly GodotValue[]>,
  mtu = GODOT_SYNC_MTU,
): number {
  let total = 0;
  let offset = PACKET_HEADER;
  for (const values of states) {
    const size = godotSyncEntrySize(values);
    if (size - ENTRY_HEADER > mtu) continue; // "Node states bigger than MTU will not be sent"
    if (offset + size > mtu) {
      total += offset;
      offset = PACKET_HEADER;
    }
    offset += size;
  }
  return total + (offset > PACKET_HEADER ? offset : 0);
}
