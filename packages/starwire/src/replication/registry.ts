import type { NetNode } from "../scene/net-node.js";
import type { InterpolationStats } from "./interpolation.js";

/**
 * How a spawner or synchronizer reaches the replication subsystem of the tree it is in, without
 * importing it (the subsystem imports them): the subsystem registers itself by its tree's root.
 */
export interface ReplicationHooks {
  /** `spawner.spawn(data)`: the node made by the spawn function is added with its data. */
  customSpawn(spawner: NetNode, data: unknown, node: NetNode): void;
  /** A synchronizer's visibility or configuration changed: reconsider it now (for `peer`, 0 = all). */
  synchronizerChanged(synchronizer: NetNode, peer: number): void;
  /** Snapshot interpolation's measurements for a synchronizer this peer receives, or null. */
  interpolationStats(synchronizer: NetNode): InterpolationStats | null;
  /** A spawner's spawn path, or a synchronizer's root path, changed. */
  pathsChanged(node: NetNode): void;
}

const byRoot = new WeakMap<NetNode, ReplicationHooks>();

export function attachReplication(root: NetNode, hooks: ReplicationHooks): void {
  byRoot.set(root, hooks);
}

/** The replication subsystem of the tree `node` is in, or null when it is in none. */
export function replicationOf(node: NetNode): ReplicationHooks | null {
  let top = node;
  while (top.parent) top = top.parent;
  return byRoot.get(top) ?? null;
}
