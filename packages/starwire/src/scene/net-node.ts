import type { MultiplayerAPI } from "../multiplayer/multiplayer-api.js";
import { declareNetworked } from "../rpc/network-table.js";
import { type MemberOptions, type RpcOptions, type RpcSetting, toRpcConfig } from "../rpc/rpc-config.js";
import { HOST_PEER_ID } from "../signaling/protocol.js";

type AnyMethod = (...args: never[]) => unknown;
type BaseMember = keyof NetNode<never>;

/**
 * The class whose members `rpc` and `rset` check: `Self` when a node names itself
 * (`class Arena extends NetNode<Arena>`), which lets calls inside its own methods be checked too;
 * otherwise the type of the node the call is made on.
 */
export type NodeType<Self, This> = [Self] extends [never] ? This : Self;

/** Names of a node's own methods (NetNode's are excluded): what `rpc` accepts, checked at compile time. */
export type RpcMethodName<T> = {
  [K in keyof T]-?: K extends BaseMember
    ? never
    : K extends string
      ? T[K] extends AnyMethod
        ? K
        : never
      : never;
}[keyof T];

/** The parameter list of method `K` of `T`. */
export type RpcArgs<T, K extends keyof T> = T[K] extends (...args: infer A) => unknown ? A : never;

/** Names of a node's own non-method members: what `rset` accepts. */
export type MemberName<T> = {
  [K in keyof T]-?: K extends BaseMember
    ? never
    : K extends string
      ? T[K] extends AnyMethod
        ? never
        : K
      : never;
}[keyof T];

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
 */
export class NetNode<Self = never> {
  readonly name: string;
  #parent: NetNode<never> | null = null;
  readonly #children = new Map<string, NetNode<never>>();
  #authority = HOST_PEER_ID;
  #path = "";
  #pathVersion = -1;

  constructor(name: string) {
    if (!VALID_NAME.test(name)) throw new TypeError(`invalid node name "${name}": 1-128 characters, no "/"`);
    this.name = name;
  }

  get parent(): NetNode | null {
    return this.#parent;
  }

  get children(): NetNode[] {
    return [...this.#children.values()];
  }

  addChild<T extends NetNode<never>>(child: T): T {
    if (child.#parent) throw new Error(`${child.name} already has a parent (${child.#parent.getPath()})`);
    if (this.#children.has(child.name))
      throw new Error(`${this.getPath()} already has a child named "${child.name}"`);
    for (let node: NetNode | null = this; node; node = node.#parent) {
      if (node === child) throw new Error("a node cannot be its own descendant");
    }
    this.#children.set(child.name, child);
    child.#parent = this;
    treeVersion++;
    return child;
  }

  removeChild(child: NetNode): void {
    if (child.#parent !== this) throw new Error(`${child.name} is not a child of ${this.getPath()}`);
    this.#children.delete(child.name);
    child.#parent = null;
    treeVersion++;
  }

  getChild(name: string): NetNode | null {
    return this.#children.get(name) ?? null;
  }

  /** A descendant by relative path ("a/b"), or any node of the tree by absolute path ("/root/a/b"). */
  getNode(path: string): NetNode | null {
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
   */
  rpcConfig(name: string, config: RpcOptions | MemberOptions | readonly RpcSetting[]): void {
    const value = (this as unknown as Record<string, unknown>)[name];
    if (!(name in this)) throw new TypeError(`${this.constructor.name} has no member "${name}" to configure`);
    const kind = typeof value === "function" ? "method" : "member";
    declareNetworked(this, kind, name, toRpcConfig(Array.isArray(config) ? config : [config as RpcOptions]));
  }

  /** Calls `method` on this node on every peer (target 0), as configured by its `@rpc`. */
  rpc<K extends RpcMethodName<NodeType<Self, this>>>(
    method: K,
    ...args: RpcArgs<NodeType<Self, this>, K>
  ): void {
    this.#tree().call(this, "method", method, args, 0, false);
  }

  /** Calls `method` on one peer; a negative id calls it on everyone but that peer. */
  rpcId<K extends RpcMethodName<NodeType<Self, this>>>(
    peer: number,
    method: K,
    ...args: RpcArgs<NodeType<Self, this>, K>
  ): void {
    this.#tree().call(this, "method", method, args, peer, false);
  }

  /** As `rpc`, forced over the unreliable channel. */
  rpcUnreliable<K extends RpcMethodName<NodeType<Self, this>>>(
    method: K,
    ...args: RpcArgs<NodeType<Self, this>, K>
  ): void {
    this.#tree().call(this, "method", method, args, 0, true);
  }

  rpcUnreliableId<K extends RpcMethodName<NodeType<Self, this>>>(
    peer: number,
    method: K,
    ...args: RpcArgs<NodeType<Self, this>, K>
  ): void {
    this.#tree().call(this, "method", method, args, peer, true);
  }

  /** Sets a `@networked` member on every peer. */
  rset<K extends MemberName<NodeType<Self, this>>>(member: K, value: NodeType<Self, this>[K]): void {
    this.#tree().call(this, "member", member, [value], 0, false);
  }

  rsetId<K extends MemberName<NodeType<Self, this>>>(
    peer: number,
    member: K,
    value: NodeType<Self, this>[K],
  ): void {
    this.#tree().call(this, "member", member, [value], peer, false);
  }

  rsetUnreliable<K extends MemberName<NodeType<Self, this>>>(
    member: K,
    value: NodeType<Self, this>[K],
  ): void {
    this.#tree().call(this, "member", member, [value], 0, true);
  }

  rsetUnreliableId<K extends MemberName<NodeType<Self, this>>>(
    peer: number,
    member: K,
    value: NodeType<Self, this>[K],
  ): void {
    this.#tree().call(this, "member", member, [value], peer, true);
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
