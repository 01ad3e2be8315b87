import { getOrCreate } from "../util/memo.js";
import type { RpcConfig } from "./rpc-config.js";

/**
 * Which members of a node are networked: its @rpc methods and its rset members, each sorted by
 * name so that every peer numbers them alike (packets carry the index, never the name).
 */
export interface NetworkTable {
  readonly methods: readonly string[];
  readonly members: readonly string[];
  readonly methodIndex: ReadonlyMap<string, number>;
  readonly memberIndex: ReadonlyMap<string, number>;
  readonly methodConfigs: ReadonlyMap<string, RpcConfig>;
  readonly memberConfigs: ReadonlyMap<string, RpcConfig>;
  /** 16-bit digest of both name lists; a peer with different code is told apart by it. */
  readonly digest: number;
}

type Kind = "method" | "member";

const decoratedMethods = new WeakMap<object, RpcConfig>();
const declarations = new WeakMap<object, Map<string, { kind: Kind; config: RpcConfig }>>();
const tables = new WeakMap<object, NetworkTable>();

/** Names that may never be networked: everything Object.prototype has, and the prototype chain's handles. */
const RESERVED = new Set([...Object.getOwnPropertyNames(Object.prototype), "prototype", "constructor"]);

export function assertNetworkableName(name: string | symbol): asserts name is string {
  if (typeof name !== "string" || RESERVED.has(name)) {
    throw new TypeError(`"${String(name)}" cannot be networked`);
  }
}

/** Marks a method function (what @rpc does); every class that has it as a method calls it an RPC. */
export function markRpcMethod(method: object, config: RpcConfig): void {
  decoratedMethods.set(method, config);
}

/** Declares a networked method or member on a prototype (class-wide) or on one instance. */
export function declareNetworked(target: object, kind: Kind, name: string, config: RpcConfig): void {
  assertNetworkableName(name);
  getOrCreate(declarations, target, () => new Map()).set(name, { kind, config });
  tables.delete(target);
}

export function networkTableOf(node: object): NetworkTable {
  return getOrCreate(tables, node, () => buildTable(node));
}

function buildTable(node: object): NetworkTable {
  const methodConfigs = new Map<string, RpcConfig>();
  const memberConfigs = new Map<string, RpcConfig>();
  // The most derived declaration of a name wins, as with any override.
  for (
    let level: object | null = node;
    level && level !== Object.prototype;
    level = Object.getPrototypeOf(level)
  ) {
    for (const [name, { kind, config }] of declarations.get(level) ?? []) {
      const configs = kind === "method" ? methodConfigs : memberConfigs;
      if (!configs.has(name)) configs.set(name, config);
    }
    for (const name of Object.getOwnPropertyNames(level)) {
      const descriptor = Object.getOwnPropertyDescriptor(level, name);
      const config =
        typeof descriptor?.value === "function" ? decoratedMethods.get(descriptor.value) : undefined;
      if (config && !RESERVED.has(name) && !methodConfigs.has(name)) methodConfigs.set(name, config);
    }
  }
  const methods = [...methodConfigs.keys()].sort();
  const members = [...memberConfigs.keys()].sort();
  const indexOf = (names: string[]) => new Map(names.map((name, index) => [name, index]));
  return {
    methods,
    members,
    methodIndex: indexOf(methods),
    memberIndex: indexOf(members),
    methodConfigs,
    memberConfigs,
    digest: digestOf(methods, members),
  };
}

/** FNV-1a over the name lists, folded to 16 bits. */
function digestOf(methods: readonly string[], members: readonly string[]): number {
  let hash = 0x811c9dc5;
  for (const char of `${methods.join(",")};${members.join(",")}`) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return (hash ^ (hash >>> 16)) & 0xffff;
}
