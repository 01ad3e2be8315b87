import type { Rejection } from "../multiplayer/rejection.js";
import type { NetNode } from "../scene/net-node.js";
import type { TransferMode } from "../transport/multiplayer-peer.js";
import { getOrCreate } from "../util/memo.js";
import type { PathCache } from "../wire/path-cache.js";
import type { NodeRef } from "../wire/replication-io.js";
import { encodeConfirmPath } from "../wire/rpc-packet.js";

/** What scene replication needs from its MultiplayerAPI (as RpcHost is for the RPC layer). */
export interface ReplicationHost {
  readonly uniqueId: number;
  readonly root: NetNode;
  /** The API's path cache, shared with the RPC layer. */
  readonly paths: PathCache;
  /** Every peer a target of 0 reaches from here, self excluded. */
  peers(): Iterable<number>;
  /** Sends to a target with the API's fan-out and relay rules. */
  send(packet: Uint8Array, target: number, transfer: TransferMode, channel: number): void;
  reject(rejection: Rejection): void;
  /** The network clock (`multiplayer.clock`): SYNC stamps are host ticks, interpolation runs on its time. */
  readonly clock: { now(): number; readonly synchronized: boolean };
  /** Network ticks per second (`multiplayer.tickRate`). */
  readonly tickRate: number;
}

/**
 * Naming nodes on the wire for replication: the sender's path-cache ids, with the path inline in
 * reliable packets until the receiver has it (reliable packets arrive in order, so one inline
 * copy sent reliably is enough for later reliable ones; unreliable SYNC waits for a confirmation).
 */
export class ReplicationContext {
  /** Ids whose path went inline, reliably, to each peer. */
  readonly #sentInline = new Map<number, Set<number>>();

  constructor(readonly host: ReplicationHost) {}

  get paths(): PathCache {
    return this.host.paths;
  }

  /**
   * A reference to `node` for a reliable packet to `peer`; the path inline on first use, or with
   * `announce` until the peer confirmed it (an announcement again, for a peer that may have
   * skipped the first because it lacked the node).
   */
  refFor(peer: number, node: NetNode, announce = false): NodeRef {
    const path = node.getPath();
    const id = this.paths.outgoingId(path);
    if (announce ? this.paths.isConfirmed(peer, id) : this.knows(peer, id)) return { id, path: null };
    getOrCreate(this.#sentInline, peer, () => new Set<number>()).add(id);
    return { id, path };
  }

  /** Marks ids a reliable packet to `peer` announced by other means (a SPAWN's node and synchronizers). */
  announced(peer: number, id: number): void {
    getOrCreate(this.#sentInline, peer, () => new Set<number>()).add(id);
  }

  knows(peer: number, id: number): boolean {
    return this.paths.isConfirmed(peer, id) || (this.#sentInline.get(peer)?.has(id) ?? false);
  }

  /**
   * The path `from` names with `ref`: inline, or looked up by id (null, rejected, when unknown).
   * An inline path is learned only by `learnRef`, once the packet passed its other checks.
   */
  pathOf(from: number, ref: NodeRef, what: string): string | null {
    if (ref.path !== null) return ref.path;
    const path = this.paths.pathOf(from, ref.id);
    if (path === undefined) return this.rejected(from, "unknown_node", `unknown ${what} id ${ref.id}`);
    return path;
  }

  /** Learns an inline `ref` (see `learn`); true when there was nothing to learn. */
  learnRef(from: number, ref: NodeRef): boolean {
    return ref.path === null || this.learn(from, ref.id, ref.path);
  }

  /** Stores `from`'s id for `path` and confirms it when new; false (rejected) when `from` has too many. */
  learn(from: number, id: number, path: string): boolean {
    const learned = this.paths.learn(from, id, path);
    if (learned === "full") {
      this.reject(from, "malformed", `peer ${from} announced too many node paths`, path);
      return false;
    }
    if (learned === "new") this.host.send(encodeConfirmPath(id), from, "reliable", 0);
    return true;
  }

  /**
   * Sends from a network tick: a packet the API refuses (too big) is reported, not thrown, since
   * the automatic scheduler has no caller to throw to (a throw there would end a Node host).
   */
  send(packet: Uint8Array, peer: number, transfer: TransferMode): void {
    try {
      this.host.send(packet, peer, transfer, 0);
    } catch (error) {
      console.error(`starwire: replication could not send ${packet.length} bytes to peer ${peer}`, error);
    }
  }

  forget(peer: number): void {
    this.#sentInline.delete(peer);
  }

  clear(): void {
    this.#sentInline.clear();
  }

  reject(from: number, reason: Rejection["reason"], message: string, node?: string): void {
    this.host.reject({ from, reason, message, ...(node && { node }) });
  }

  rejected(from: number, reason: Rejection["reason"], message: string, node?: string): null {
    this.reject(from, reason, message, node);
    return null;
  }
}
