import type { Rejection } from "../multiplayer/rejection.js";
import type { Subsystem } from "../multiplayer/subsystem.js";
import { reachesAny, targetIncludes, targetPeers } from "../multiplayer/targets.js";
import { currentTreeVersion, type NetNode } from "../scene/net-node.js";
import type { TransferMode } from "../transport/multiplayer-peer.js";
import { getOrCreate } from "../util/memo.js";
import { DecodeError, decodeArguments, encodeArguments } from "../wire/codec.js";
import { COMMAND_MASK, Command } from "../wire/commands.js";
import type { PathCache } from "../wire/path-cache.js";
import {
  type CallPacket,
  decodeCall,
  decodeConfirmPath,
  encodeCall,
  encodeConfirmPath,
} from "../wire/rpc-packet.js";
import { arityOf } from "./arity.js";
import { type NetworkTable, networkTableOf } from "./network-table.js";
import { callAsSender, isAsyncFunction } from "./remote-sender.js";
import type { RpcConfig } from "./rpc-config.js";
import { validateWith } from "./standard-schema.js";

/** What the RPC layer needs from its MultiplayerAPI. */
export interface RpcHost {
  /** Distinguishes MultiplayerAPIs in one process (for remoteSenderId). */
  readonly instanceId: number;
  readonly uniqueId: number;
  readonly root: NetNode;
  /** The API's path cache, shared with whatever else names nodes on the wire. */
  readonly paths: PathCache;
  /** Every peer a target of 0 reaches from here, self excluded. */
  peers(): Iterable<number>;
  /** Sends to a target with the API's fan-out and relay rules. */
  send(packet: Uint8Array, target: number, transfer: TransferMode, channel: number): void;
  reject(rejection: Rejection): void;
  /** Whether calls on `node` may reach `peer` (scene replication hides nodes from peers). */
  rpcVisible?(node: NetNode, peer: number): boolean;
}

type Kind = "method" | "member";

/** Sends and runs RPCs and rsets: encoding, path cache, permissions, validation, dispatch. */
export class RpcInterface implements Subsystem {
  readonly commands = [Command.RPC, Command.RSET, Command.CONFIRM_PATH];
  readonly #host: RpcHost;
  readonly #paths: PathCache;
  /** Nodes found for (sender, cache id), valid while no node was added or removed anywhere. */
  readonly #resolved = new Map<number, Map<number, NetNode>>();
  #resolvedVersion = -1;

  constructor(host: RpcHost) {
    this.#host = host;
    this.#paths = host.paths;
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
        if (!hidden.has(peer)) this.#send(node, table, kind, name, args, peer, self, forceUnreliable, config);
      }
    } else if (reachesOthers) {
      this.#send(node, table, kind, name, args, target, self, forceUnreliable, config);
    } else if (othersRunIt && target > 0 && target !== self) {
      console.warn(`starwire: peer ${target} is not in the game; ${node.getPath()}.${name} dropped`);
    }
    if (local && targetIncludes(target, self)) {
      this.#invoke(node, kind, name, args, self);
    }
  }

  /** The peers `target` reaches that may not see `node`; null when there are none. */
  #hiddenFrom(node: NetNode, target: number, self: number): Set<number> | null {
    const visible = this.#host.rpcVisible;
    if (!visible) return null;
    let hidden: Set<number> | null = null;
    for (const peer of targetPeers(target, this.#host.peers(), self)) {
      if (visible(node, peer)) continue;
      hidden ??= new Set();
      hidden.add(peer);
    }
    return hidden;
  }

  /** Encodes the call once for `target` (the path inline until all its peers confirmed the id) and sends it. */
  #send(
    node: NetNode,
    table: NetworkTable,
    kind: Kind,
    name: string,
    args: unknown[],
    target: number,
    self: number,
    forceUnreliable: boolean,
    config: RpcConfig,
  ): void {
    const path = node.getPath();
    const cacheId = this.#paths.outgoingId(path);
    const cached = this.#allConfirmed(target, cacheId, self);
    const packet = encodeCall({
      command: kind === "method" ? Command.RPC : Command.RSET,
      cacheId,
      inline: cached ? null : { path, digest: table.digest },
      index: (kind === "method" ? table.methodIndex : table.memberIndex).get(name)!,
      args: encodeArguments(args),
    });
    this.#host.send(packet, target, forceUnreliable ? "unreliable" : config.transfer, config.channel);
  }

  /** Handles an RPC, RSET or CONFIRM_PATH packet from `from` (the true sender, relays resolved). */
  receive(from: number, packet: Uint8Array): void {
    this.check(from, packet)?.();
  }

  /**
   * Everything `receive` checks, without running anything: the host's verdict on a relayed packet
   * before it forwards it. Returns what running it would do, or null when it was rejected (and
   * reported). Checking learns an announced node path, as receiving does.
   */
  check(from: number, packet: Uint8Array): (() => void) | null {
    if ((packet[0]! & COMMAND_MASK) === Command.CONFIRM_PATH) {
      const id = decodeConfirmPath(packet);
      if (typeof id === "string") return this.#rejected(from, "malformed", id);
      return () => {
        if (!this.#paths.confirm(from, id))
          this.#reject(from, "malformed", `confirmation of unknown path id ${id}`);
      };
    }
    const call = decodeCall(packet);
    if (typeof call === "string") return this.#rejected(from, "malformed", call);
    const node = this.#resolveNode(from, call);
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

  #resolveNode(from: number, call: CallPacket): NetNode | null {
    if (this.#resolvedVersion !== currentTreeVersion()) {
      this.#resolved.clear();
      this.#resolvedVersion = currentTreeVersion();
    }
    if (!call.inline) {
      const known = this.#resolved.get(from)?.get(call.cacheId);
      if (known) return known;
    }
    const node = this.#lookUpNode(from, call);
    if (node && !call.inline) getOrCreate(this.#resolved, from, () => new Map()).set(call.cacheId, node);
    return node;
  }

  #lookUpNode(from: number, call: CallPacket): NetNode | null {
    const path = call.inline?.path ?? this.#paths.pathOf(from, call.cacheId);
    if (path === undefined) {
      this.#reject(from, "unknown_node", `unknown node cache id ${call.cacheId}`);
      return null;
    }
    const node = this.#host.root.getNode(path);
    if (!node) {
      this.#reject(from, "unknown_node", `no node at ${path}`, path);
      return null;
    }
    if (call.inline) {
      const digest = networkTableOf(node).digest;
      if (call.inline.digest !== digest) {
        const message = `${path} declares different networked members on ${from} (digest ${call.inline.digest}, here ${digest})`;
        this.#reject(from, "config_mismatch", message, path);
        return null;
      }
      const learned = this.#paths.learn(from, call.cacheId, path);
      if (learned === "full") {
        this.#reject(from, "malformed", `peer ${from} announced too many node paths`, path);
        return null;
      }
      if (learned === "new") {
        // The sender may give an id a new path: what the old one resolved to is no longer it.
        this.#resolved.get(from)?.delete(call.cacheId);
        this.#host.send(encodeConfirmPath(call.cacheId), from, "reliable", 0);
      }
    }
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

  /** Whether every peer `target` reaches has confirmed `cacheId`. */
  #allConfirmed(target: number, cacheId: number, self: number): boolean {
    for (const id of targetPeers(target, this.#host.peers(), self)) {
      if (!this.#paths.isConfirmed(id, cacheId)) return false;
    }
    return true;
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
