import type { NetNode } from "../scene/net-node.js";
import type { SyncProperty } from "./replication-config.js";
import type { PropertySpec } from "./state-codec.js";
import type { MultiplayerSynchronizer } from "./synchronizer.js";

/**
 * A synchronizer's SYNC properties ("always"), in config order, and their state-codec specs; and
 * its DELTA properties ("on_change"), in config order; with a reader for each list.
 */
export interface SyncSpecs {
  readonly always: readonly SyncProperty[];
  readonly watch: readonly SyncProperty[];
  readonly specs: readonly PropertySpec[];
  readonly readAlways: PropertyReader;
  readonly readWatch: PropertyReader;
}

/**
 * Reads a list of properties from a synchronizer's root, as readProperty does one by one, for the
 * authority's every network tick: the config's keys are split once (not per read) and a node
 * below the root is looked up once per read for all its properties.
 */
export class PropertyReader {
  /** Property names, in list order. */
  readonly #names: readonly string[];
  /** Per property, the index in #paths of the node under the root it is on, or -1: on the root. */
  readonly #nodeOf: readonly number[];
  /** The distinct node paths below the root. */
  readonly #paths: readonly string[];
  /** What `readScratch` returns. */
  readonly #scratch: unknown[];

  constructor(properties: readonly SyncProperty[]) {
    const paths: string[] = [];
    this.#names = properties.map((property) => property.property);
    this.#nodeOf = properties.map((property) => {
      if (property.nodePath === "") return -1;
      const at = paths.indexOf(property.nodePath);
      return at >= 0 ? at : paths.push(property.nodePath) - 1;
    });
    this.#paths = paths;
    this.#scratch = properties.map(() => undefined);
  }

  /** The values of the properties of `root` (undefined where the node or member is missing), into `out`. */
  read(root: NetNode, out: unknown[] = new Array<unknown>(this.#names.length)): unknown[] {
    const names = this.#names;
    const target = root as unknown as Record<string, unknown>;
    if (this.#paths.length === 0) {
      for (let i = 0; i < names.length; i++) out[i] = target[names[i]!];
      return out;
    }
    const nodes = this.#paths.map((path) => root.getNode(path) as unknown as Record<string, unknown> | null);
    for (let i = 0; i < names.length; i++) {
      const at = this.#nodeOf[i]!;
      out[i] = at < 0 ? target[names[i]!] : nodes[at]?.[names[i]!];
    }
    return out;
  }

  /** `read` into one array kept by this reader: valid until its next read (for values used at once). */
  readScratch(root: NetNode): unknown[] {
    return this.read(root, this.#scratch);
  }
}

/** Cached by the parsed config (a new config is a new array), so a tick does not rebuild them. */
const cache = new WeakMap<readonly SyncProperty[], SyncSpecs>();

/**
 * The same specs for every synchronizer with an equal config (usually every instance of a
 * spawnable scene): a network tick reads them for each synchronizer, and one shared copy stays
 * in the CPU's cache where hundreds of copies would not. Bounded: a game that makes more distinct
 * configs than this gets its own specs per synchronizer beyond it.
 */
const shared = new Map<string, SyncSpecs>();
const MAX_SHARED = 256;

export function syncSpecsOf(sync: MultiplayerSynchronizer): SyncSpecs {
  const properties = sync.properties;
  let specs = cache.get(properties);
  if (!specs) {
    const key = properties.map(contentKey).join(",");
    specs = shared.get(key) ?? build(properties);
    if (shared.size < MAX_SHARED) shared.set(key, specs);
    cache.set(properties, specs);
  }
  return specs;
}

/** Every field of a parsed property the specs depend on (String keeps distinct numbers distinct). */
function contentKey(p: SyncProperty): string {
  return `${JSON.stringify(p.key)}|${p.replicate}|${String(p.spawn)}|${String(p.precision)}|${String(p.interpolate)}`;
}

function build(properties: readonly SyncProperty[]): SyncSpecs {
  const always = properties.filter((property) => property.replicate === "always");
  const watch = properties.filter((property) => property.replicate === "on_change");
  return {
    always,
    watch,
    specs: always.map((property) =>
      property.precision === undefined
        ? { name: property.key }
        : { name: property.key, precision: property.precision },
    ),
    readAlways: new PropertyReader(always),
    readWatch: new PropertyReader(watch),
  };
}
