import { PathSync } from "../multiplayer/path-sync.js";
import type { Rejection } from "../multiplayer/rejection.js";
import type { Delivery, RelayPick, Subsystem, SubsystemHost } from "../multiplayer/subsystem.js";
import { reachesAny, targetIncludes, targetPeers } from "../multiplayer/targets.js";
import { currentTreeVersion, type NetNode } from "../scene/net-node.js";
import { getOrCreate } from "../util/memo.js";
import { DecodeError, decodeArguments, encodeArguments } from "../wire/codec.js";
import { Command } from "../wire/commands.js";
import { MAX_PATHS_PER_SENDER } from "../wire/path-cache.js";
import { type CallPacket, decodeCall, encodeCall } from "../wire/rpc-packet.js";
import { arityOf } from "./arity.js";
import { type NetworkTable, networkTableOf } from "./network-table.js";
import { callAsSender, isAsyncFunction } from "./remote-sender.js";
import type { RpcConfig } from "./rpc-config.js";
import { validateWith } from "./standard-schema.js";

/** What the RPC layer needs from its MultiplayerAPI. */
export interface RpcHost extends SubsystemHost {
  /** Distinguishes MultiplayerAPIs in one process (for remoteSenderId). */
  readonly instanceId: number;
  /** The path cache's protocol: how packets name nodes, and what teaches an id. */
  readonly pathSync: PathSync;
  /** Whether calls on `node` may reach `peer` (scene replication hides nodes from peers). */
  rpcVisible?(node: NetNode, peer: number): boolean;
}

type Kind = "method" | "member";

/** Sends and runs RPCs and rsets: encoding, path cache, permissions, validation, dispatch. */
export class RpcInterface implements Subsystem {
  readonly commands = [Command.RPC, Command.RSET];
  readonly #host: RpcHost;
  readonly #pathSync: PathSync;
  /**
   * Nodes found for (sender, cache id), valid while no node was added or removed anywhere and
   * no id changed meaning.
   */
  readonly #resolved = new Map<number, Map<number, NetNode>>();
  #resolvedVersion = -1;
  #resolvedPathsVersion = -1;

  constructor(host: RpcHost) {
    this.#host = host;
    this.#pathSync = host.pathSync;
  }

  peerAdded(_id: number): void {}

  /** The path cache itself is the API's: it forgets the peer there. */
  peerRemoved(id: number): void {
    this.#resolved.delete(id);
  }

  /** Forgets every resolved node (the API clears the path cache). */
  reset(): void {
    this.#resolved.clear();
    this.#resolvedVersion = -1;
  }

  call(
    node: NetNode,
    kind: Kind,
    name: string,
    args: unknown[],
    target: number,
    forceUnreliable: boolean,
  ): void {
    if (!Number.isInteger(target)) throw new RangeError(`invalid target peer id ${target}`);
    const table = networkTableOf(node);
    const config = configOf(table, kind, name);
    if (!config) {
      throw new TypeError(
        `"${name}" is not ${kind === "method" ? "an @rpc method" : "a @networked member"} of ${node.getPath()}`,
      );
    }
    const self = this.#host.uniqueId;
    const runsHere = runsOn(config, node, self);
    // Godot 3's master and puppet run wherever their role matches, the caller included.
    const local = config.sync === "call_local" || (config.runsOn !== "anywhere" && runsHere);
    if (target === self && !local) {
      throw new RangeError(
        runsHere
          ? `cannot call "${name}" on yourself without "call_local"`
          : `"${name}" does not run here: it runs only ${config.runsOn === "authority" ? "on" : "off"} the node's authority (peer ${node.getMultiplayerAuthority()})`,
      );
    }
    // Godot 3: a master function called on the master runs there and goes nowhere else.
    const othersRunIt = !(config.runsOn === "authority" && runsHere);
    const reachesOthers = othersRunIt && reachesAny(target, this.#host.peers(), self);
    const hidden = reachesOthers ? this.#hiddenFrom(node, target, self) : null;
    if (hidden) {
      // Some peers may not see this node: the call goes to each of the others alone.
      for (const peer of targetPeers(target, this.#host.peers(), self)) {
        if (!hidden.has(peer)) this.#send(node, table, kind, name, args, peer, forceUnreliable, config);
      }
    } else if (reachesOthers) {
      this.#send(node, table, kind, name, args, target, forceUnreliable, config);
    } else if (othersRunIt && target > 0 && target !== self) {
      console.warn(`starwire: peer ${target} is not in the game; ${node.getPath()}.${name} dropped`);
    }
    if (local && targetIncludes(target, self)) {
      this.#invoke(node, kind, name, args, self);
    }
  }

  /**
   * The peers `target` reaches that may not see `node` or a node above it (its path alone would
   * name what is hidden there); null when there are none.
   */
  #hiddenFrom(node: NetNode, target: number, self: number): Set<number> | null {
    const visible = this.#host.rpcVisible;
    if (!visible) return null;
    let hidden: Set<number> | null = null;
    for (const peer of targetPeers(target, this.#host.peers(), self)) {
      if (visibleWithAncestors(node, peer, visible)) continue;
      hidden ??= new Set();
      hidden.add(peer);
    }
    return hidden;
  }

  /** Encodes the call once for `target` (named as the path protocol says: path-sync.ts) and sends it. */
  #send(
    node: NetNode,
    table: NetworkTable,
    kind: Kind,
    name: string,
    args: unknown[],
    target: number,
    forceUnreliable: boolean,
    config: RpcConfig,
  ): void {
    const transfer = forceUnreliable ? "unreliable" : config.transfer;
    const { cacheId, inline, teaches } = this.#pathSync.name(node, target, transfer, config.channel);
    const packet = encodeCall({
      command: kind === "method" ? Command.RPC : Command.RSET,
      cacheId,
      inline,
      index: (kind === "method" ? table.methodIndex : table.memberIndex).get(name)!,
      args: encodeArguments(args),
    });
    this.#host.send(packet, target, transfer, config.channel);
    this.#pathSync.taught(cacheId, teaches);
  }

  /**
   * Host, relaying a client's call: RPCs follow visibility (Godot's `is_rpc_visible`) as the
   * host's own do, judged by the host's copy: a recipient the node, or a node above it, is hidden
   * from does not get the call (its inline path alone would name the node there). The client
   * judged with its own copy, which knows nothing of the host's filters or of what its relay keeps.
   */
  relayFor(from: number, packet: Uint8Array): RelayPick | null {
    const visible = this.#host.rpcVisible;
    if (!visible) return null;
    const call = decodeCall(packet);
    if (typeof call === "string") return null;
    const path = call.inline?.path ?? this.#host.paths.cachedPathOf(from, call.cacheId);
    const node = path === undefined ? null : this.#host.root.getNode(path);
    if (!node) return null;
    return (to) => (visibleWithAncestors(node, to, visible) ? packet : null);
  }

  /**
   * Everything `receive` checks, without running anything: the host's verdict on a relayed packet
   * before it forwards it. Returns what running it would do, or null when it was rejected (and
   * reported). Checking learns an announced node path, as receiving does.
   */
  check(from: number, packet: Uint8Array, delivery: Delivery): (() => void) | null {
    const call = decodeCall(packet);
    if (typeof call === "string") return this.#rejected(from, "malformed", call);
    if (call.cacheId >= MAX_PATHS_PER_SENDER) {
      return this.#rejected(from, "malformed", `node cache id ${call.cacheId} out of range`);
    }
    const node = this.#resolveNode(from, call, delivery);
    if (!node) return null;
    const table = networkTableOf(node);
    const kind: Kind = call.command === Command.RPC ? "method" : "member";
    const name = (kind === "method" ? table.methods : table.members)[call.index];
    const path = node.getPath();
    if (name === undefined) {
      return this.#rejected(from, "unknown_method", `${path} has no networked ${kind} #${call.index}`, path);
    }
    const config = configOf(table, kind, name)!;
    if (config.mode === "authority" && from !== node.getMultiplayerAuthority()) {
      return this.#rejected(
        from,
        "forbidden",
        `${path}.${name} is authority-only (authority ${node.getMultiplayerAuthority()}, caller ${from})`,
        path,
        name,
      );
    }
    const args = this.#decodeArgs(from, node, kind, name, config, call.args);
    if (!args) return null;
    return () => {
      // Godot 3's master / puppet: accepted, but run only where the node's role matches (a
      // broadcast reaches everyone; relays are checked by the host, which may not run it itself).
      if (runsOn(config, node, this.#host.uniqueId)) this.#invoke(node, kind, name, args, from);
    };
  }

  #resolveNode(from: number, call: CallPacket, delivery: Delivery): NetNode | null {
    if (call.inline) {
      // Only a packet that arrives directly, reliable on channel 0, teaches its id (path-sync.ts).
      return this.#pathSync.resolveNamed(from, call.cacheId, call.inline, PathSync.teaches(delivery));
    }
    if (
      this.#resolvedVersion !== currentTreeVersion() ||
      this.#resolvedPathsVersion !== this.#pathSync.version
    ) {
      this.#resolved.clear();
      this.#resolvedVersion = currentTreeVersion();
      this.#resolvedPathsVersion = this.#pathSync.version;
    }
    const known = this.#resolved.get(from)?.get(call.cacheId);
    if (known) return known;
    const node = this.#pathSync.resolveCached(from, call.cacheId);
    if (node) getOrCreate(this.#resolved, from, () => new Map()).set(call.cacheId, node);
    return node;
  }

  #decodeArgs(from: number, node: NetNode, kind: Kind, name: string, config: RpcConfig, bytes: Uint8Array) {
    const path = node.getPath();
    const fail = (message: string) => {
      this.#reject(from, "invalid_arguments", `${path}.${name}: ${message}`, path, name);
      return null;
    };
    let args: unknown[];
    try {
      args = decodeArguments(bytes);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.#reject(from, "malformed", `${path}.${name}: ${error.message}`, path, name);
      return null;
    }
    if (kind === "member") {
      if (args.length !== 1) return fail(`rset carries ${args.length} values`);
    } else {
      const method = (node as unknown as Record<string, unknown>)[name];
      if (typeof method !== "function") return fail("is not a method on this peer");
      const { min, max } = arityOf(method as (...a: never[]) => unknown);
      if (args.length < min || args.length > max) {
        return fail(`takes ${min === max ? min : `${min}..${max}`} arguments, got ${args.length}`);
      }
    }
    const schemas = config.schemas;
    if (!schemas) return args;
    if (args.length > schemas.length)
      return fail(`takes at most ${schemas.length} arguments, got ${args.length}`);
    const validated: unknown[] = [];
    for (let i = 0; i < schemas.length; i++) {
      const result = validateWith(schemas[i]!, args[i]);
      if ("error" in result) return fail(`argument ${i}: ${result.error}`);
      if (i < args.length || result.value !== undefined) validated.push(result.value);
    }
    return validated;
  }

  #invoke(node: NetNode, kind: Kind, name: string, args: unknown[], sender: number): void {
    const target = node as unknown as Record<string, unknown>;
    const method = kind === "method" ? (target[name] as (...a: unknown[]) => unknown) : null;
    try {
      const result = callAsSender(this.#host.instanceId, sender, isAsyncFunction(method), () => {
        if (method) return method.apply(node, args);
        target[name] = args[0];
      });
      if (result instanceof Promise) result.catch((error: unknown) => reportHandlerError(node, name, error));
    } catch (error) {
      reportHandlerError(node, name, error);
    }
  }

  #reject(from: number, reason: Rejection["reason"], message: string, node?: string, method?: string): void {
    this.#host.reject({ from, reason, message, ...(node && { node }), ...(method && { method }) });
  }

  #rejected(
    from: number,
    reason: Rejection["reason"],
    message: string,
    node?: string,
    method?: string,
  ): null {
    this.#reject(from, reason, message, node, method);
    return null;
  }
}

/** Whether a call configured by `config` runs on peer `self` (Godot 3's master and puppet run on one side only). */
function runsOn(config: RpcConfig, node: NetNode, self: number): boolean {
  if (config.runsOn === "anywhere") return true;
  return (node.getMultiplayerAuthority() === self) === (config.runsOn === "authority");
}

function configOf(table: NetworkTable, kind: Kind, name: string): RpcConfig | undefined {
  return (kind === "method" ? table.methodConfigs : table.memberConfigs).get(name);
}

function reportHandlerError(node: NetNode, name: string, error: unknown): void {
  // A bug in one game handler must not take the network layer (or a Node host) down with it.
  console.error(`starwire: ${node.getPath()}.${name} threw`, error);
}

function visibleWithAncestors(
  node: NetNode,
  peer: number,
  visible: (node: NetNode, peer: number) => boolean,
): boolean {
  for (let at: NetNode | null = node; at; at = at.parent) if (!visible(at, peer)) return false;
  return true;
}
