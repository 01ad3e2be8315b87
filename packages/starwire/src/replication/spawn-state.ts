import { readProperty } from "./replication-config.js";
import { encodeSyncValues, type SyncEntry } from "./sync-values.js";
import type { MultiplayerSynchronizer } from "./synchronizer.js";

/**
 * The on-change properties not sent at spawn, as a DELTA state (null when there are none): what
 * the host relays after a kept SPAWN it hands over, in the client's name (the client sent them to
 * the peer while the node was hidden there, and will not again until they change).
 */
export function changedState(sync: MultiplayerSynchronizer): Uint8Array | null {
  const root = sync.rootNode;
  if (!root) return null;
  const entries: SyncEntry[] = [];
  for (const property of sync.properties) {
    if (property.replicate === "on_change" && !property.spawn) {
      entries.push([property.index, readProperty(root, property)]);
    }
  }
  return entries.length > 0 ? encodeSyncValues(entries) : null;
}

/** The values of the properties marked `spawn`. */
export function spawnState(sync: MultiplayerSynchronizer): Uint8Array {
  const root = sync.rootNode;
  const entries: SyncEntry[] = [];
  if (root)
    for (const property of sync.properties) {
      if (property.spawn) entries.push([property.index, readProperty(root, property)]);
    }
  return encodeSyncValues(entries);
}
