import type { NetNode } from "../scene/net-node.js";
import { MAX_SYNC_PROPERTIES } from "./sync-values.js";

/**
 * A synchronizer's replication config (Godot's SceneReplicationConfig): which properties of its
 * root node (or of a node under it) are replicated, and how.
 */
export interface PropertyConfig {
  /**
   * "always": in every unreliable SYNC (Godot's "sync"); "on_change": in a reliable DELTA when it
   * changed (Godot's "watch"); "never": only in the spawn state, if `spawn` is set.
   */
  replicate: "always" | "on_change" | "never";
  /** Sent with the node's spawn, so it is set before the node enters the receiver's tree (default false). */
  spawn?: boolean;
  /** Numbers: the step they are quantized to on the wire (used by the state codec). */
  precision?: number;
  /** Receivers interpolate between states (for the interpolator; "angle" takes the short way round). */
  interpolate?: boolean | "angle";
}

/** `{ "x": { replicate: "always" }, "sprite:color": { replicate: "on_change" } }` */
export type ReplicationConfig = Readonly<Record<string, PropertyConfig>>;

/** One config entry, parsed: the node path relative to the root and the property name. */
export interface SyncProperty extends PropertyConfig {
  readonly key: string;
  readonly index: number;
  readonly nodePath: string;
  readonly property: string;
}

const REPLICATE = new Set(["always", "on_change", "never"]);

/** Parses and validates a config; throws a TypeError on a mistake (a programming error). */
export function parseReplicationConfig(config: ReplicationConfig): SyncProperty[] {
  const keys = Object.keys(config);
  if (keys.length > MAX_SYNC_PROPERTIES) {
    throw new TypeError(`a synchronizer replicates at most ${MAX_SYNC_PROPERTIES} properties`);
  }
  return keys.map((key, index) => {
    const entry = config[key]!;
    if (!REPLICATE.has(entry.replicate)) {
      throw new TypeError(`"${key}": replicate must be "always", "on_change" or "never"`);
    }
    if (entry.precision !== undefined && !(entry.precision > 0)) {
      throw new TypeError(`"${key}": precision must be a positive number`);
    }
    const colon = key.lastIndexOf(":");
    const nodePath = colon < 0 ? "" : key.slice(0, colon);
    const property = colon < 0 ? key : key.slice(colon + 1);
    if (property === "" || property === "__proto__" || property === "constructor") {
      throw new TypeError(`"${key}" does not name a property`);
    }
    return { ...entry, key, index, nodePath, property };
  });
}

function targetOf(root: NetNode, property: SyncProperty): Record<string, unknown> | null {
  const node = property.nodePath === "" ? root : root.getNode(property.nodePath);
  return node as unknown as Record<string, unknown> | null;
}

export function readProperty(root: NetNode, property: SyncProperty): unknown {
  return targetOf(root, property)?.[property.property];
}

/**
 * The first property of `properties` that `values` would change to another kind of value (a
 * number to a string, a Color to a plain object), or null when every one keeps its kind: what a
 * game's code reads from a synchronized member must stay what it wrote there. A member that is
 * unset (undefined or null) takes any value.
 */
export function kindMismatch(
  root: NetNode,
  properties: readonly SyncProperty[],
  values: Iterable<readonly [index: number, value: unknown]>,
): SyncProperty | null {
  for (const [index, value] of values) {
    const property = properties[index]!;
    if (!sameKind(readProperty(root, property), value)) return property;
  }
  return null;
}

function sameKind(current: unknown, value: unknown): boolean {
  if (current === undefined || current === null) return true;
  if (typeof current !== typeof value) return false;
  if (typeof current !== "object") return true;
  return value !== null && (current as object).constructor === (value as object).constructor;
}

export function writeProperty(root: NetNode, property: SyncProperty, value: unknown): void {
  const target = targetOf(root, property);
  // Only members the node has: a packet must not add fields (or reach a prototype).
  if (target && property.property in target) target[property.property] = value;
}

/** Structural equality of two decoded-or-live values, for on-change detection. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (a.constructor !== b.constructor) return false;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) =>
    sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

/** A copy that later mutation of the live value does not change (Godot's `duplicate(true)`). */
export function snapshot(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Uint8Array) return value.slice();
  if (Array.isArray(value)) return value.map(snapshot);
  const copy = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  for (const [key, entry] of Object.entries(value)) copy[key] = snapshot(entry);
  return copy;
}
