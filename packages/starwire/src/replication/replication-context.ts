import type { PathSync } from "../multiplayer/path-sync.js";
import type { Rejection } from "../multiplayer/rejection.js";
import type { SubsystemHost } from "../multiplayer/subsystem.js";
import type { NetNode } from "../scene/net-node.js";
import type { TransferMode } from "../transport/multiplayer-peer.js";
import type { PathCache } from "../wire/path-cache.js";
import type { NodeRef } from "../wire/replication-io.js";

/** What scene replication needs from its MultiplayerAPI (as RpcHost is for the RPC layer). */
export interface ReplicationHost extends SubsystemHost {
  /** The path cache's protocol: what teaches an id, announcements. */
  readonly pathSync: PathSync;
  /** The network clock (`multiplayer.clock`): SYNC stamps are host ticks, interpolation runs on its time. */
  readonly clock: { now(): number; readonly synchronized: boolean };
  /** Network ticks per second (`multiplayer.tickRate`). */
  readonly tickRate: number;
  /**
   * A SYNC from `from` was relative to a tick this peer no longer holds (it lost its history):
   * dropped, and the sender asked for absolute states. Honest, so not a rejection.
   */
  baselineLost(from: number): void;
}

/**
 * Naming nodes on the wire for replication: the sender's path-cache ids, taught as the path
 * protocol says (multiplayer/path-sync.ts, WIRE.md "Path ids"): a ref's inline path teaches only
 * in a packet that goes directly (host ⇄ client, reliable, channel 0); between clients a
 * PATH_ANNOUNCE teaches it. Reliable packets arrive in order, so once a peer was taught an id,
 * later reliable ones name it by id alone; unreliable SYNC waits for a confirmation. Ids are
 * recycled: what was taught is the path cache's to remember (a released id is taught afresh).
 */
export class ReplicationContext {
  /**
   * Moves on whenever the peers in the game change or a synchronizer's visibility is set or
   * applied: "visible and spawned on every peer", settled at an older epoch, is decided again
   * peer by peer (a tick skips that pass for what is settled at the current one).
   */
  epoch = 0;

  constructor(readonly host: ReplicationHost) {}

  get paths(): PathCache {
    return this.host.paths;
  }

  /**
   * A reference to `node` for a reliable packet to `peer`: the path inline until the peer was
   * taught the id, or with `again` until it confirmed it (an announcement again, for a peer that
   * may have skipped the first because it lacked the node). Returns the ids the packet teaches:
   * pass them to `taught` once it was sent.
   */
  refFor(peer: number, node: NetNode, again = false): { ref: NodeRef; teaches: readonly number[] } {
    const { cacheId, inline, teaches } = this.host.pathSync.nameFor(node, peer, again);
    return { ref: { id: cacheId, path: inline?.path ?? null }, teaches };
  }

  /** A packet that teaches `id` (a direct SPAWN's node and synchronizers, or an inline ref) reached `peers`. */
  taught(id: number, peers: readonly number[]): void {
    this.host.pathSync.taught(id, peers);
  }

  /** Announces `node`'s id to `peer` with a PATH_ANNOUNCE (relayed: the host learns it too). */
  announce(node: NetNode, peer: number): void {
    this.host.pathSync.announce(node, peer);
  }

  /** Whether a packet from here to `peer` arrives directly, so that it can teach ids. */
  isDirect(peer: number): boolean {
    return this.host.pathSync.isDirect(peer);
  }

  /** The path `from` names with cached `id`; a released id still names its path for late packets. */
  cachedPathOf(from: number, id: number): string | undefined {
    return this.paths.cachedPathOf(from, id);
  }

  /**
   * The path `from` names with `ref`: inline, or looked up by id (null, rejected, when unknown).
   * An inline path is learned only by `learnRef`, once the packet passed its other checks.
   */
  pathOf(from: number, ref: NodeRef, what: string): string | null {
    if (ref.path !== null) return ref.path;
    const path = this.cachedPathOf(from, ref.id);
    if (path === undefined) return this.rejected(from, "unknown_node", `unknown ${what} id ${ref.id}`);
    return path;
  }

  /**
   * What a packet that teaches does with an inline `ref` (WIRE.md, "Path ids"): binds it when
   * its node is here, else records it refused (the sender counts this peer as taught, and will
   * ask it to forget the id). True when there was nothing to learn; false when rejected.
   */
  learnRef(from: number, ref: NodeRef, teaches: boolean): boolean {
    if (ref.path === null || !teaches) return true;
    return this.learn(from, ref.id, ref.path, this.host.root.getNode(ref.path) !== null);
  }

  /** `from` taught `id` in a packet whose node is not here (a spawn refused): noted, so its forget is answered. */
  refuse(from: number, id: number): void {
    this.host.pathSync.refuse(from, id);
  }

  /** Stores `from`'s id for `path` (confirmed when new) or, not `present`, refuses it; false when rejected. */
  learn(from: number, id: number, path: string, present = true): boolean {
    return this.host.pathSync.learn(from, id, path, present);
  }

  /**
   * Sends from a network tick: a packet the API refuses (too big) is reported, not thrown, since
   * the automatic scheduler has no caller to throw to (a throw there would end a Node host).
   * False when it was not sent (then it taught nobody).
   */
  send(packet: Uint8Array, peer: number, transfer: TransferMode): boolean {
    try {
      this.host.send(packet, peer, transfer, 0);
      return true;
    } catch (error) {
      console.error(`starwire: replication could not send ${packet.length} bytes to peer ${peer}`, error);
      return false;
    }
  }

  reject(from: number, reason: Rejection["reason"], message: string, node?: string): void {
    this.host.reject({ from, reason, message, ...(node && { node }) });
  }

  rejected(from: number, reason: Rejection["reason"], message: string, node?: string): null {
    this.reject(from, reason, message, node);
    return null;
  }
}
