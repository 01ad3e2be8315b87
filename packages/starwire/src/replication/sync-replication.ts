import type { NetNode } from "../scene/net-node.js";
import { getOrCreate } from "../util/memo.js";
import type { NodeRef } from "../wire/replication-io.js";
import {
  decodeDelta,
  decodeSync,
  decodeSyncAck,
  encodeDelta,
  encodeSyncAck,
  encodeSyncPackets,
} from "../wire/sync-packet.js";
import type { SyncInterpolator } from "./interpolation-hook.js";
import { readProperty, type SyncProperty, sameValue, snapshot, writeProperty } from "./replication-config.js";
import type { ReplicationContext } from "./replication-context.js";
import { decodeSyncValues, encodeSyncValues, type SyncEntry } from "./sync-values.js";
import { MultiplayerSynchronizer } from "./synchronizer.js";

/**
 * Largest SYNC packet: one tick's entries for a peer are split between entries above it, so an
 * unreliable message stays within a typical path MTU (lost as one datagram, not several).
 */
export const MAX_SYNC_PACKET_BYTES = 1200;

/** How long an announced synchronizer waits for a peer's confirmation before it is announced again. */
const REANNOUNCE_MS = 1000;

/** Float tick times: an interval due "now" must not slip a tick for a rounding error. */
const INTERVAL_SLACK_MS = 0.5;

/** A DELTA entry, with the peers its inline ref teaches once sent. */
type DeltaEntry = { ref: NodeRef; state: Uint8Array; teaches: readonly number[] };

/** What the authority keeps about one synchronizer it sends. */
interface Outbound {
  /** The authority this state belongs to: a change of authority starts over. */
  authority: number;
  /** Peers it is visible to (as last applied). */
  readonly visible: Set<number>;
  /** Peers that got its full on-change state since they last became visible, and when (ms). */
  readonly started: Map<number, number>;
  lastSync: number;
  lastDelta: number;
  /** The last on-change values sent, by property index. */
  readonly watched: Map<number, unknown>;
}

/**
 * The synchronizer half of scene replication: on each network tick, the authority of every
 * synchronizer sends its "always" properties (unreliable SYNC, every `replicationInterval`) and
 * its changed "on_change" ones (reliable DELTA, every `deltaInterval`) to the peers it is visible
 * to; receivers check the sender is the authority, drop stale states and acknowledge the newest.
 */
export class SyncReplication {
  readonly #syncs = new Map<MultiplayerSynchronizer, Outbound>();
  /** Receiver: newest SYNC tick applied, by synchronizer and sender. */
  readonly #inbound = new Map<MultiplayerSynchronizer, Map<number, number>>();
  /** Receiver: newest SYNC tick received from each sender, not yet acknowledged. */
  readonly #toAck = new Map<number, number>();
  /** Sender: newest SYNC tick each peer acknowledged (the baseline the state codec may use). */
  readonly #acked = new Map<number, number>();
  /** SYNC entries dropped as older than the newest applied one, for tests and statistics. */
  staleDropped = 0;
  /** Takes the SYNC values of properties with `interpolate` set; null writes them on arrival. */
  interpolator: SyncInterpolator | null = null;

  constructor(
    readonly context: ReplicationContext,
    /** The spawned node `node` is in, when this peer spawned it (else null). */
    readonly localSpawnOf: (node: NetNode) => NetNode | null,
    readonly isSpawnedAt: (node: NetNode, peer: number) => boolean,
  ) {}

  add(sync: MultiplayerSynchronizer): void {
    if (!this.#syncs.has(sync)) this.#syncs.set(sync, outbound(sync.getMultiplayerAuthority()));
  }

  remove(sync: MultiplayerSynchronizer): void {
    this.#syncs.delete(sync);
    this.#inbound.delete(sync);
    this.interpolator?.forget(sync);
  }

  synchronizers(): IterableIterator<MultiplayerSynchronizer> {
    return this.#syncs.keys();
  }

  /** The newest SYNC tick `peer` acknowledged from this peer, if any. */
  ackedTick(peer: number): number | undefined {
    return this.#acked.get(peer);
  }

  /** Whether the authority sends `sync` to `peer`: visible, and its spawned node exists there. */
  sendsTo(sync: MultiplayerSynchronizer, peer: number): boolean {
    if (!sync.isVisibleTo(peer)) return false;
    const spawned = this.localSpawnOf(sync);
    return !spawned || this.isSpawnedAt(spawned, peer);
  }

  /**
   * Applies visibility for `sync` (for `only`, 0 = every peer): peers it became visible to get
   * its full on-change state at the next send, peers it became hidden from get nothing more.
   */
  updateVisibility(sync: MultiplayerSynchronizer, peers: readonly number[], only = 0): void {
    const state = this.#stateOf(sync);
    if (!state) return;
    for (const peer of peers) {
      if (only !== 0 && peer !== only) continue;
      const visible = this.sendsTo(sync, peer);
      if (visible === state.visible.has(peer)) continue;
      if (visible) state.visible.add(peer);
      else {
        state.visible.delete(peer);
        state.started.delete(peer);
      }
      sync.emitReplication("visibilityChanged", peer);
    }
  }

  /** One network tick: SYNC and DELTA for every synchronizer this peer is the authority of. */
  send(now: number, tick: number, peers: readonly number[]): void {
    const syncs = new Map<number, { id: number; state: Uint8Array }[]>();
    const deltas = new Map<number, DeltaEntry[]>();
    for (const sync of this.#syncs.keys()) {
      const state = this.#stateOf(sync);
      const root = sync.rootNode;
      if (!state || !root || sync.properties.length === 0) continue;
      this.updateVisibility(sync, peers);
      this.#collectDelta(sync, state, root, now, deltas);
      this.#collectSync(sync, state, root, now, syncs);
    }
    const { context } = this;
    for (const [peer, entries] of deltas) {
      if (!context.send(encodeDelta({ tick, entries }), peer, "reliable")) continue;
      for (const { ref, teaches } of entries) context.taught(ref.id, teaches);
    }
    for (const [peer, entries] of syncs) {
      for (const packet of encodeSyncPackets({ tick, entries }, MAX_SYNC_PACKET_BYTES)) {
        context.send(packet, peer, "unreliable");
      }
    }
    for (const [peer, received] of this.#toAck) context.send(encodeSyncAck(received), peer, "unreliable");
    this.#toAck.clear();
  }

  /** The authority's state for `sync`, or null when this peer is not its authority. */
  #stateOf(sync: MultiplayerSynchronizer): Outbound | null {
    let state = this.#syncs.get(sync);
    if (!state) return null;
    const authority = sync.getMultiplayerAuthority();
    if (state.authority !== authority) {
      // A new authority starts from scratch: every peer gets its full state again.
      state = outbound(authority);
      this.#syncs.set(sync, state);
      this.interpolator?.forget(sync);
    }
    return authority === this.context.host.uniqueId ? state : null;
  }

  #collectDelta(
    sync: MultiplayerSynchronizer,
    state: Outbound,
    root: NetNode,
    now: number,
    out: Map<number, DeltaEntry[]>,
  ): void {
    const fresh = [...state.visible].filter((peer) => !state.started.has(peer));
    const due = now - state.lastDelta >= sync.deltaInterval * 1000 - INTERVAL_SLACK_MS;
    if (!due && fresh.length === 0) return;
    const watch = sync.properties.filter((property) => property.replicate === "on_change");
    const all: SyncEntry[] = [];
    const changed: SyncEntry[] = [];
    for (const property of watch) {
      const value = readProperty(root, property);
      all.push([property.index, value]);
      if (
        due &&
        (!state.watched.has(property.index) || !sameValue(state.watched.get(property.index), value))
      ) {
        changed.push([property.index, value]);
        state.watched.set(property.index, snapshot(value));
      }
    }
    if (due) state.lastDelta = now;
    // Newly visible peers get everything (which also announces the synchronizer's id to them).
    if (fresh.length > 0) {
      const full = encodeSyncValues(all);
      for (const peer of fresh) {
        getOrCreate(out, peer, () => []).push({ ...this.context.refFor(peer, sync, true), state: full });
        state.started.set(peer, now);
      }
    }
    if (changed.length === 0) return;
    const bytes = encodeSyncValues(changed);
    for (const peer of state.started.keys()) {
      if (fresh.includes(peer)) continue;
      getOrCreate(out, peer, () => []).push({ ...this.context.refFor(peer, sync), state: bytes });
    }
  }

  #collectSync(
    sync: MultiplayerSynchronizer,
    state: Outbound,
    root: NetNode,
    now: number,
    out: Map<number, { id: number; state: Uint8Array }[]>,
  ): void {
    if (now - state.lastSync < sync.replicationInterval * 1000 - INTERVAL_SLACK_MS) return;
    const always = sync.properties.filter((property) => property.replicate === "always");
    if (always.length === 0) return;
    state.lastSync = now;
    const id = this.context.paths.outgoingId(sync.getPath());
    let bytes: Uint8Array | null = null;
    for (const [peer, since] of state.started) {
      // Unreliable: only once the peer confirmed the id (its DELTA announcement may still travel).
      if (!this.context.paths.isConfirmed(peer, id)) {
        // No confirmation for a while: the peer did not have the node (another peer spawns it, or
        // the peer had not built that part of its tree yet). Announce it again on the next tick.
        if (now - since >= REANNOUNCE_MS) state.started.delete(peer);
        continue;
      }
      // Encoded once per tick for every peer (the state codec will group by acknowledged baseline).
      bytes ??= encodeSyncValues(always.map((property) => [property.index, readProperty(root, property)]));
      getOrCreate(out, peer, () => []).push({ id, state: bytes });
    }
  }

  checkSync(from: number, bytes: Uint8Array): (() => void) | null {
    const { context } = this;
    const packet = decodeSync(bytes);
    if (typeof packet === "string") return context.rejected(from, "malformed", `SYNC: ${packet}`);
    const apply: [MultiplayerSynchronizer, SyncEntry[]][] = [];
    for (const entry of packet.entries) {
      const path = context.cachedPathOf(from, entry.id);
      if (path === undefined) return context.rejected(from, "unknown_node", `SYNC of unknown id ${entry.id}`);
      const sync = this.#target(from, path, entry.state, "always");
      if (sync === null) return null;
      if (sync) apply.push(sync);
    }
    return () => {
      for (const [sync, values] of apply) {
        const ticks = getOrCreate(this.#inbound, sync, () => new Map<number, number>());
        const newest = ticks.get(from);
        if (newest !== undefined && packet.tick <= newest) {
          this.staleDropped++;
          continue;
        }
        ticks.set(from, packet.tick);
        const root = sync.rootNode;
        if (!root) continue;
        for (const [index, value] of values) {
          const property = sync.properties[index]!;
          // The interpolation hook: interpolated properties are written by the interpolator.
          if (property.interpolate && this.interpolator) {
            this.interpolator.receive(sync, property, packet.tick, value);
          } else writeProperty(root, property, value);
        }
        sync.emitReplication("synchronized");
      }
      if (packet.entries.length > 0 && packet.tick > (this.#toAck.get(from) ?? -1)) {
        this.#toAck.set(from, packet.tick);
      }
    };
  }

  checkDelta(from: number, bytes: Uint8Array, teaches: boolean): (() => void) | null {
    const { context } = this;
    const packet = decodeDelta(bytes);
    if (typeof packet === "string") return context.rejected(from, "malformed", `DELTA: ${packet}`);
    const apply: [MultiplayerSynchronizer, SyncEntry[]][] = [];
    for (const entry of packet.entries) {
      const path = context.pathOf(from, entry.ref, "synchronizer");
      if (path === null) return null;
      // A packet that teaches (direct: WIRE.md, "Path ids") binds an inline ref whatever its entry
      // holds, or notes it refused when its node is missing, as an RPC's inline path: the sender
      // counts this peer as taught and will ask it to forget the id.
      if (!context.learnRef(from, entry.ref, teaches)) return null;
      const sync = this.#target(from, path, entry.state, "on_change");
      if (sync === null) return null;
      if (sync) apply.push(sync);
    }
    return () => {
      for (const [sync, values] of apply) {
        const root = sync.rootNode;
        if (!root) continue;
        for (const [index, value] of values) writeProperty(root, sync.properties[index]!, value);
        sync.emitReplication("deltaSynchronized");
      }
    };
  }

  checkAck(from: number, bytes: Uint8Array): (() => void) | null {
    const tick = decodeSyncAck(bytes);
    if (typeof tick === "string") return this.context.rejected(from, "malformed", `SYNC_ACK: ${tick}`);
    return () => {
      if (tick > (this.#acked.get(from) ?? -1)) this.#acked.set(from, tick);
    };
  }

  /**
   * The synchronizer at `path` and the decoded entry, when `from` is its authority and the entry
   * sets only `kind` properties; false to skip it (the node is gone: a despawn crossed it); null
   * when rejected.
   */
  #target(
    from: number,
    path: string,
    state: Uint8Array,
    kind: SyncProperty["replicate"],
  ): [MultiplayerSynchronizer, SyncEntry[]] | false | null {
    const { context } = this;
    const node = context.host.root.getNode(path);
    if (!node) return false;
    if (!(node instanceof MultiplayerSynchronizer)) {
      return context.rejected(from, "unknown_node", `${path} is not a synchronizer`, path);
    }
    if (from !== node.getMultiplayerAuthority()) {
      const message = `${path} is synchronized by its authority ${node.getMultiplayerAuthority()}, not ${from}`;
      return context.rejected(from, "forbidden", message, path);
    }
    const values = decodeSyncValues(state, node.properties.length);
    if (typeof values === "string") return context.rejected(from, "malformed", `${path}: ${values}`, path);
    if (values.some(([index]) => node.properties[index]!.replicate !== kind)) {
      return context.rejected(
        from,
        "forbidden",
        `${path}: state sets a property that is not "${kind}"`,
        path,
      );
    }
    return [node, values];
  }

  peerRemoved(id: number): void {
    for (const state of this.#syncs.values()) {
      state.visible.delete(id);
      state.started.delete(id);
    }
    for (const ticks of this.#inbound.values()) ticks.delete(id);
    this.#toAck.delete(id);
    this.#acked.delete(id);
  }

  reset(): void {
    for (const sync of this.#syncs.keys()) this.#syncs.set(sync, outbound(sync.getMultiplayerAuthority()));
    this.#inbound.clear();
    this.#toAck.clear();
    this.#acked.clear();
  }
}

function outbound(authority: number): Outbound {
  return {
    authority,
    visible: new Set(),
    started: new Map(),
    lastSync: Number.NEGATIVE_INFINITY,
    lastDelta: Number.NEGATIVE_INFINITY,
    watched: new Map(),
  };
}
