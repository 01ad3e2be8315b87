import type { SyncProperty } from "./replication-config.js";
import type { PropertySpec } from "./state-codec.js";
import type { MultiplayerSynchronizer } from "./synchronizer.js";

/**
 * A synchronizer's SYNC properties ("always"), in config order, and their state-codec specs; and
 * its DELTA properties ("on_change"), in config order.
 */
export interface SyncSpecs {
  readonly always: readonly SyncProperty[];
  readonly watch: readonly SyncProperty[];
  readonly specs: readonly PropertySpec[];
}

/** Cached by the parsed config (a new config is a new array), so a tick does not rebuild them. */
const cache = new WeakMap<readonly SyncProperty[], SyncSpecs>();

export function syncSpecsOf(sync: MultiplayerSynchronizer): SyncSpecs {
  const properties = sync.properties;
  let specs = cache.get(properties);
  if (!specs) {
    const always = properties.filter((property) => property.replicate === "always");
    specs = {
      always,
      watch: properties.filter((property) => property.replicate === "on_change"),
      specs: always.map((property) =>
        property.precision === undefined
          ? { name: property.key }
          : { name: property.key, precision: property.precision },
      ),
    };
    cache.set(properties, specs);
  }
  return specs;
}
