import { Emitter } from "../events/emitter.js";
import type { MultiplayerAPI } from "../multiplayer/multiplayer-api.js";
import { declareNetworked } from "../rpc/network-table.js";
import { type MemberOptions, type RpcOptions, type RpcSetting, toRpcConfig } from "../rpc/rpc-config.js";
import { HOST_PEER_ID } from "../signaling/protocol.js";

type AnyMethod = (...args: never[]) => unknown;
/** NetNode's own members, and ES `#private` ones (which TypeScript lists under names with a "#"). */
type BaseMember = keyof NetNode | `${string}#${string}`;

/**
 * Names of a node's own methods (NetNode's are excluded): what `rpc` accepts, checked at compile
 * time. TypeScript `private` and `protected` methods count (they are called by name at runtime),
 * ES `#private` ones do not.
 */
export type RpcMethodName<T> = keyof {
  [K in keyof T as K extends BaseMember
    ? never
    : K extends string
      ? T[K] extends AnyMethod
        ? K
        : never
      : never]: 0;
};

/** The parameter list of method `K` of `T`. */
export type RpcArgs<T, K> = T[K & keyof T] extends (...args: infer A) => unknown ? A : never;

/** Names of a node's own non-method members: what `rset` accepts. */
export type MemberName<T> = keyof {
  [K in keyof T as K extends BaseMember
    ? never
    : K extends string
      ? T[K] extends AnyMethod
        ? never
        : K
      : never]: 0;
};

/**
 * The node a call is made on, as a plain object type. `rpc` and `rset` read the node's type from
 * their `this` parameter, typed `NetNode | NodeShape<T>`: TypeScript infers `T` from the class a
 * call is made on, and inside the class's own methods, where `this` is still generic, from the
 * class too (a bare `this` type leaves the names unknown there: "Argument of type 'string' is not
 * assignable to parameter of type 'RpcMethodName<this>'"). `NetNode |` keeps every node
 * assignable, also a class with TypeScript-private members, which the plain shape lists as public.
 */
type NodeShape<T> = { [K in keyof T]: T[K] };

/** What `rpc` says when the node's type has no methods of its own (e.g. `NetNode` from `getNode`). */
type NoRpcMethods = "(this type has no RPC methods: type the node as its class, e.g. getNode(path) as Chat)";
type NoMembers = "(this type has no members to rset: type the node as its class, e.g. getNode(path) as Chat)";
type MethodParam<T> = [RpcMethodName<T>] extends [never] ? NoRpcMethods : RpcMethodName<T>;
type MemberParam<T> = [MemberName<T>] extends [never] ? NoMembers : MemberName<T>;
type MemberValue<T, K> = T[K & keyof T];

/** A node's events (Godot's `child_entered_tree` / `child_exiting_tree` signals). */
export interface NodeEvents {
  /** A child was added with `addChild`; it is already in place (its parent and path are set). */
  childEnteredTree: [child: NetNode];
  /** A child is being removed with `removeChild`; it is still in place while listeners run. */
  childExitingTree: [child: NetNode];
}

/** @internal What a node needs from the MultiplayerAPI whose tree it is in. */
export interface NodeTree {
  readonly api: MultiplayerAPI;
  call(
    node: NetNode,
    kind: "method" | "member",
    name: string,
    args: unknown[],
    target: number,
    forceUnreliable: boolean,
  ): void;
  /** `node` (with its subtree) is about to leave the tree; it is still in place. */
  exiting?(node: NetNode): void;
}

const trees = new WeakMap<NetNode, NodeTree>();

/** @internal Makes `node` the root of `tree` (MultiplayerAPI does this for `multiplayer.root`). */
export function plantTree(root: NetNode, tree: NodeTree): void {
  trees.set(root, tree);
}

const VALID_NAME = /^[^/\s][^/]{0,127}$/;

/** Bumped by every addChild/removeChild anywhere: lets paths and path lookups be cached safely. */
let treeVersion = 0;

/** @internal */
export function currentTreeVersion(): number {
  return treeVersion;
}

/**
 * A named node in a MultiplayerAPI's tree (`/root/...`). Nodes with the same path on different
 * peers are the same network object: RPCs and rsets address them by path.
 *
 * `rpc` and `rset` calls are checked against the class they are made on, inside its own methods
 * too: `class Chat extends NetNode { greet() { this.rpc("say", "hi") } }`. The type parameter is
 * not needed; `extends NetNode<Chat>`, which earlier versions asked for, still compiles.
 */
export class NetNode<_Self = never> {
  readonly name: string;
  #parent: NetNode | null = null;
  readonly #children = new Map<string, NetNode>();
  #authority = HOST_PEER_ID;
  #path = "";
  #pathVersion = -1;
  #events: Emitter<NodeEvents> | null = null;
  /** Set while this node's parent runs childExitingTree listeners for it. */
  #exiting = false;

  constructor(name: string) {
    if (!VALID_NAME.test(name)) throw new TypeError(`invalid node name "${name}": 1-128 characters, no "/"`);
    this.name = name;
  }

  /** `node.events.on("childEnteredTree", (child) => …)`: see `NodeEvents`. A throwing listener is reported, not rethrown. */
  get events(): Emitter<NodeEvents> {
    this.#events ??= new Emitter<NodeEvents>();
    return this.#events;
  }

  get parent(): NetNode | null {
    return this.#parent;
  }

  get children(): NetNode[] {
    return [...this.#children.values()];
  }

  addChild<T extends NetNode>(child: T): T {
    if (child.#parent) throw new Error(`${child.name} already has a parent (${child.#parent.getPath()})`);
    if (this.#children.has(child.name))
      throw new Error(`${this.getPath()} already has a child named "${child.name}"`);
    for (let node: NetNode | null = this; node; node = node.#parent) {
      if (node === child) throw new Error("a node cannot be its own descendant");
    }
    this.#children.set(child.name, child);
    child.#parent = this;
    treeVersion++;
    this.#events?.emit("childEnteredTree", child);
    return child;
  }

  removeChild(child: NetNode): void {
    if (child.#parent !== this) throw new Error(`${child.name} is not a child of ${this.getPath()}`);
    if (this.#events && !child.#exiting) {
      child.#exiting = true;
      try {
        this.#events.emit("childExitingTree", child);
      } finally {
        child.#exiting = false;
      }
      // A listener may have removed the child itself meanwhile.
      if (child.#parent !== this) return;
    }
    trees.get(this.#root())?.exiting?.(child);
    this.#children.delete(child.name);
    child.#parent = null;
    treeVersion++;
  }

  getChild(name: string): NetNode | null {
    return this.#children.get(name) ?? null;
  }

  /** A descendant by relative path ("a/b"), or any node of the tree by absolute path ("/root/a/b"). */
  getNode(path: string): NetNode | null {
    // A synchronizer's default root, looked up for every synchronizer on every network tick.
    if (path === "..") return this.#parent;
    if (path.startsWith("/")) {
      const [, rootName, ...rest] = path.split("/");
      const root = this.#root();
      return rootName === root.name ? root.getNode(rest.join("/")) : null;
    }
    let node: NetNode | null = this;
    for (const name of path.split("/")) {
      if (name === "" || !node) continue;
      node = name === ".." ? node.#parent : (node.#children.get(name) ?? null);
    }
    return node;
  }

  /** "/root/lobby/chat": the network identity of this node. */
  getPath(): string {
    if (this.#pathVersion !== treeVersion) {
      this.#path = this.#parent ? `${this.#parent.getPath()}/${this.name}` : `/${this.name}`;
      this.#pathVersion = treeVersion;
    }
    return this.#path;
  }

  isInsideTree(): boolean {
    return trees.has(this.#root());
  }

  /** The MultiplayerAPI whose tree this node is in. */
  get multiplayer(): MultiplayerAPI {
    return this.#tree().api;
  }

  /** Which peer may call this node's "authority" RPCs (default 1, the host). */
  setMultiplayerAuthority(id: number, recursive = true): void {
    if (!Number.isInteger(id) || id < 1) throw new RangeError(`authority must be a peer id, got ${id}`);
    this.#authority = id;
    if (recursive) for (const child of this.#children.values()) child.setMultiplayerAuthority(id, true);
  }

  getMultiplayerAuthority(): number {
    return this.#authority;
  }

  isMultiplayerAuthority(): boolean {
    return this.multiplayer.uniqueId === this.#authority;
  }

  /**
   * Godot's `rpc_config`: declares one of this node's methods an RPC, or one of its fields a
   * `@networked` member, without decorators (call it in the constructor, identically on every peer).
   * Takes what `@rpc` takes: `rpcConfig("say", ["any_peer", "call_local"])`, an options object, or
   * one setting as Godot 3's `rpc_config(method, mode)` did: `rpcConfig("registerPlayer", "remote")`.
   */
  rpcConfig(name: string, config: RpcOptions | MemberOptions | RpcSetting | readonly RpcSetting[]): void {
    const value = (this as unknown as Record<string, unknown>)[name];
    if (!(name in this)) throw new TypeError(`${this.constructor.name} has no member "${name}" to configure`);
    const kind = typeof value === "function" ? "method" : "member";
    const settings: readonly (RpcSetting | RpcOptions | MemberOptions)[] = Array.isArray(config)
      ? config
      : [config as RpcSetting | RpcOptions];
    declareNetworked(this, kind, name, toRpcConfig(settings));
  }

  /** Calls `method` on this node on every peer (target 0), as configured by its `@rpc`. */
  rpc<T, K extends MethodParam<T>>(this: NetNode | NodeShape<T>, method: K, ...args: RpcArgs<T, K>): void {
    (this as NetNode).#call("method", method as string, args, 0, false);
  }

  /** Calls `method` on one peer; a negative id calls it on everyone but that peer. */
  rpcId<T, K extends MethodParam<T>>(
    this: NetNode | NodeShape<T>,
    peer: number,
    method: K,
    ...args: RpcArgs<T, K>
  ): void {
    (this as NetNode).#call("method", method as string, args, peer, false);
  }

  /** As `rpc`, forced over the unreliable channel. */
  rpcUnreliable<T, K extends MethodParam<T>>(
    this: NetNode | NodeShape<T>,
    method: K,
    ...args: RpcArgs<T, K>
  ): void {
    (this as NetNode).#call("method", method as string, args, 0, true);
  }

  rpcUnreliableId<T, K extends MethodParam<T>>(
    this: NetNode | NodeShape<T>,
    peer: number,
    method: K,
    ...args: RpcArgs<T, K>
  ): void {
    (this as NetNode).#call("method", method as string, args, peer, true);
  }

  /** Sets a `@networked` member on every peer. */
  rset<T, K extends MemberParam<T>>(this: NetNode | NodeShape<T>, member: K, value: MemberValue<T, K>): void {
    (this as NetNode).#call("member", member as string, [value], 0, false);
  }

  rsetId<T, K extends MemberParam<T>>(
    this: NetNode | NodeShape<T>,
    peer: number,
    member: K,
    value: MemberValue<T, K>,
  ): void {
    (this as NetNode).#call("member", member as string, [value], peer, false);
  }

  rsetUnreliable<T, K extends MemberParam<T>>(
    this: NetNode | NodeShape<T>,
    member: K,
    value: MemberValue<T, K>,
  ): void {
    (this as NetNode).#call("member", member as string, [value], 0, true);
  }

  rsetUnreliableId<T, K extends MemberParam<T>>(
    this: NetNode | NodeShape<T>,
    peer: number,
    member: K,
    value: MemberValue<T, K>,
  ): void {
    (this as NetNode).#call("member", member as string, [value], peer, true);
  }

  #call(kind: "method" | "member", name: string, args: unknown[], target: number, unreliable: boolean): void {
    this.#tree().call(this, kind, name, args, target, unreliable);
  }

  #root(): NetNode {
    let node: NetNode = this;
    while (node.#parent) node = node.#parent;
    return node;
  }

  #tree(): NodeTree {
    const tree = trees.get(this.#root());
    if (!tree)
      throw new Error(`${this.getPath()} is not in a multiplayer tree; add it under multiplayer.root`);
    return tree;
  }
}
