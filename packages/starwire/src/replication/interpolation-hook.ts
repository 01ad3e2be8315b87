import type { SyncProperty } from "./replication-config.js";
import type { MultiplayerSynchronizer } from "./synchronizer.js";

/**
 * Where snapshot interpolation plugs in (the interpolator is built separately): a received SYNC
 * value of a property with `interpolate` set goes to `receive` instead of being written at once;
 * the interpolator writes the property itself as frames go by. Without an interpolator set
 * (SceneReplication.interpolator), every value is written on arrival.
 */
export interface SyncInterpolator {
  /** A state for `property` of `synchronizer`'s root, stamped with the sender's tick. */
  receive(synchronizer: MultiplayerSynchronizer, property: SyncProperty, tick: number, value: unknown): void;
  /** The synchronizer left the tree, or its authority changed: drop what is buffered for it. */
  forget(synchronizer: MultiplayerSynchronizer): void;
}
