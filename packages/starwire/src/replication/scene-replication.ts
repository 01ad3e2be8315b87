import { PathSync } from "../multiplayer/path-sync.js";
import type { Delivery, RelayPick, Subsystem } from "../multiplayer/subsystem.js";
import type { NetNode } from "../scene/net-node.js";
import { getOrCreate } from "../util/memo.js";
import { Extended, extendedHead } from "../wire/commands.js";
import type { InterpolationStats } from "./interpolation.js";
import { attachReplication } from "./registry.js";
import { ReplicationContext, type ReplicationHost } from "./replication-context.js";
import { SpawnReplication, synchronizersIn } from "./spawn-replication.js";
import { MultiplayerSpawner } from "./spawner.js";
import { SyncReplication } from "./sync-replication.js";
import { MultiplayerSynchronizer } from "./synchronizer.js";

export type { ReplicationHost };

const NONE: ReadonlySet<MultiplayerSynchronizer> = new Set();

const byRoot = new WeakMap<NetNode, SceneReplication>();

/**
 * @internal The replication subsystem of the API whose root is `root` (`multiplayer.root`): what
 * a synchronizer's `interpolationStats` and tests read, without a public member.
 */
export function sceneReplicationOf(root: NetNode): SceneReplication | null {
  return byRoot.get(root) ?? null;
}

const SPAWN = extendedHead(Extended.SPAWN);
const DESPAWN = extendedHead(Extended.DESPAWN);
const SYNC = extendedHead(Extended.SYNC);
const DELTA = extendedHead(Extended.DELTA);
const SYNC_ACK = extendedHead(Extended.SYNC_ACK);
const SYNC_VISIBILITY = extendedHead(Extended.SYNC_VISIBILITY);

/**
 * Scene replication (Godot 4's SceneReplicationInterface): finds spawners and synchronizers as
 * they enter the API's tree, and owns SPAWN, DESPAWN, SYNC, DELTA, SYNC_ACK and SYNC_VISIBILITY.
 */
export class SceneReplication implements Subsystem {
  readonly commands = [SPAWN, DESPAWN, SYNC, DELTA, SYNC_ACK, SYNC_VISIBILITY];
  readonly #context: ReplicationContext;
  readonly #spawns: SpawnReplication;
  readonly #syncs: SyncReplication;
  /** How to stop listening to each node of the tree. */
  readonly #watching = new Map<NetNode, () => void>();
  /** Synchronizers by the root node they replicate (resolved when they enter or change path). */
  readonly #rooted = new Map<NetNode, Set<MultiplayerSynchronizer>>();
  readonly #rootOf = new Map<MultiplayerSynchronizer, NetNode>();
  /**
   * During a network tick, each filtered synchronizer's visibility per peer: the spawn pass and
   * the sync pass both need it, and its filters (user code) run once per tick, not once for each.
   * Null outside a tick; emptied when visibility is changed or applied (`synchronizerChanged`).
   */
  #tickVisibility: Map<MultiplayerSynchronizer, Map<number, boolean>> | null = null;

  constructor(host: ReplicationHost) {
    this.#context = new ReplicationContext(host);
    this.#spawns = new SpawnReplication(
      this.#context,
      (node, peer) => this.#spawnVisible(node, peer),
      (sync, peer) => this.#isVisible(sync, peer),
      (node) => this.#spawnVisibleToEveryone(node),
    );
    this.#syncs = new SyncReplication(
      this.#context,
      // On the host, a client's spawn it relays counts as spawned where the relay let it go: a
      // synchronizer in it is sent (relayed) only to peers that have the node.
      (node) => this.#spawns.localSpawnOf(node) ?? this.#spawns.relayed.relayedSpawnOf(node),
      (node, peer) =>
        this.#spawns.isSpawnedAt(node, peer) || this.#spawns.relayed.relayedAt(node, peer) === true,
      (node) => this.#spawns.spawnedEverywhere(node),
      (sync, peer) => this.#isVisible(sync, peer),
      host.clock,
      () => host.tickRate,
    );
    attachReplication(host.root, {
      customSpawn: (spawner, data, node) =>
        this.#spawns.customSpawn(spawner as MultiplayerSpawner, data, node),
      synchronizerChanged: (sync, peer) => this.#synchronizerChanged(sync as MultiplayerSynchronizer, peer),
      interpolationStats: (sync) => this.#syncs.interpolationStats(sync as MultiplayerSynchronizer),
      pathsChanged: (node) => {
        if (!this.#watching.has(node)) return;
        this.#context.epoch++;
        if (node instanceof MultiplayerSpawner) this.#spawns.addSpawner(node);
        if (node instanceof MultiplayerSynchronizer) this.#indexRoot(node);
      },
    });
    byRoot.set(host.root, this);
    this.#enter(host.root);
  }

  /** SYNC entries dropped as stale (older than the newest state applied). */
  get staleDropped(): number {
    return this.#syncs.staleDropped;
  }

  /** Snapshot interpolation's measurements for a synchronizer this peer receives, or null. */
  interpolationStats(sync: MultiplayerSynchronizer): InterpolationStats | null {
    return this.#syncs.interpolationStats(sync);
  }

  /**
   * Whether RPCs on `node` reach `peer` (Godot's `is_rpc_visible`): nodes without synchronizers
   * rooted at them always; a node this peer spawned only where it is spawned (where one of them
   * is visible, #spawnVisible), and so (on the host) a client's spawn it relays: only where the
   * relay let its SPAWN go; otherwise where one of its synchronizers is visible.
   */
  isRpcVisible(node: NetNode, peer: number): boolean {
    const rooted = this.#rootedAt(node);
    if (rooted.size === 0) return true;
    if (this.#spawns.isLocalSpawn(node)) return this.#spawns.isSpawnedAt(node, peer);
    const relayed = this.#spawns.relayed.relayedAt(node, peer);
    if (relayed !== null) return relayed;
    for (const sync of rooted) if (sync.isVisibleTo(peer)) return true;
    return false;
  }

  /**
   * Host: whether `peer` may learn that the node at `path` exists: not when the host's copy of it,
   * or of a node above it, is hidden from the peer (a synchronizer it does not send there, a node
   * whose synchronizers are all hidden, a spawned node not spawned there).
   */
  mayLearn(path: string, peer: number): boolean {
    for (let node = this.#context.host.root.getNode(path); node; node = node.parent) {
      if (node instanceof MultiplayerSynchronizer && !this.#syncs.sendsTo(node, peer)) return false;
      if (!this.isRpcVisible(node, peer)) return false;
    }
    return true;
  }

  check(from: number, packet: Uint8Array, delivery: Delivery): (() => void) | null {
    // Ids are learned only from packets that may teach them (WIRE.md, "Path ids").
    const teaches = PathSync.teaches(delivery);
    switch (packet[0]) {
      case SPAWN:
        return this.#spawns.checkSpawn(from, packet, teaches);
      case DESPAWN:
        return this.#spawns.checkDespawn(from, packet);
      case SYNC:
        return this.#syncs.checkSync(from, packet);
      case DELTA:
        return this.#syncs.checkDelta(from, packet, teaches);
      case SYNC_VISIBILITY:
        return this.#syncs.checkVisibility(from, packet);
      default:
        return this.#syncs.checkAck(from, packet);
    }
  }

  /**
   * Host: what each recipient of a client's relayed replication packet gets. A client may be a
   * synchronizer's (or spawner's) authority, but the host decides who sees what: nothing about
   * a node the host's copy hides from a peer reaches that peer through the relay.
   */
  relayFor(from: number, packet: Uint8Array): RelayPick | null {
    switch (packet[0]) {
      case SPAWN:
        return this.#spawns.relayed.relaySpawn(from, packet);
      case DESPAWN:
        return this.#spawns.relayed.relayDespawn(from, packet);
      case SYNC:
        return this.#syncs.relayed.relaySync(from, packet);
      case DELTA:
        return this.#syncs.relayed.relayDelta(from, packet);
      default:
        return null;
    }
  }

  /**
   * Host: client `from` released its id `id` (its PATH_FORGET ran here): what the relay kept by
   * that id is about a node gone from the client, and must never apply to the node it names next.
   */
  released(from: number, id: number): void {
    this.#spawns.relayed.released(from, id);
    this.#syncs.relayed.released(from, id);
  }

  /** Host: the (client, recipient) pairs the relay kept SPAWNs between. */
  keptPairs(): [from: number, to: number][] {
    return this.#spawns.relayed.keptPairs();
  }

  /**
   * Host: the clients' spawns peers have and may see no more, taken back (a DESPAWN in the
   * client's name for each: RelayedSpawns.withdrawHidden); `knows`: the peer learned the id.
   */
  withdrawHidden(
    knows: (from: number, to: number, id: number) => boolean,
  ): { from: number; to: number; packet: Uint8Array }[] {
    return this.#spawns.relayed.withdrawHidden(knows);
  }

  /** Host: the kept SPAWNs from client `from` that `to` may see now (RelayedSpawns.releaseKept). */
  releaseKept(from: number, to: number): { spawns: Uint8Array[]; after: Uint8Array[] } {
    return this.#spawns.relayed.releaseKept(from, to);
  }

  /** A late joiner gets every spawned node it may see at once; synchronizers follow on the next tick. */
  peerAdded(id: number): void {
    this.#context.epoch++;
    this.#spawns.reconcile([id]);
  }

  peerRemoved(id: number): void {
    this.#context.epoch++;
    this.#spawns.peerRemoved(id);
    this.#syncs.peerRemoved(id);
  }

  reset(): void {
    this.#context.epoch++;
    this.#spawns.reset();
    this.#syncs.reset();
  }

  poll(now: number, tick: number | null): void {
    // Every poll (every frame when the game polls): interpolated properties move on.
    this.#syncs.sample();
    if (tick === null) return;
    const peers = [...this.#context.host.peers()];
    if (peers.length === 0) return;
    this.#tickVisibility = new Map();
    try {
      // Spawns first, so that a node exists on a peer before its state is sent there.
      this.#spawns.reconcile(peers, true);
      this.#syncs.send(now, tick, peers);
    } finally {
      this.#tickVisibility = null;
    }
  }

  /** `sync.isVisibleTo(peer)`, its filters run once per tick (see #tickVisibility). */
  #isVisible(sync: MultiplayerSynchronizer, peer: number): boolean {
    const memo = this.#tickVisibility;
    if (memo === null || !sync.hasVisibilityFilters) return sync.isVisibleTo(peer);
    const byPeer = getOrCreate(memo, sync, () => new Map<number, boolean>());
    let visible = byPeer.get(peer);
    if (visible === undefined) {
      visible = sync.isVisibleTo(peer);
      byPeer.set(peer, visible);
    }
    return visible;
  }

  #synchronizerChanged(sync: MultiplayerSynchronizer, peer: number): void {
    if (!this.#watching.has(sync)) return;
    // Visibility was changed, or is asked to be applied now: filters are asked again, and what
    // was settled as visible everywhere is decided again.
    this.#tickVisibility?.clear();
    this.#context.epoch++;
    const peers = [...this.#context.host.peers()];
    this.#spawns.reconcile(peer === 0 ? peers : peers.filter((id) => id === peer), peer === 0);
    this.#syncs.updateVisibility(sync, peers, peer);
  }

  /**
   * A spawned node is visible to a peer when any synchronizer rooted at it is, or none is rooted
   * at it (Godot's `_update_spawn_visibility`: "composed using OR"), so that a node with a public
   * synchronizer and an owner-only one is spawned everywhere. Each synchronizer still reaches only
   * the peers it is visible to. Godot counts only the synchronizers the spawner's authority owns
   * (it holds no one else's filters); here the spawning peer judges its copy of every one (the
   * host decides for those clients own, see README "Visibility").
   */
  #spawnVisible(node: NetNode, peer: number): boolean {
    const rooted = this.#rootedAt(node);
    if (rooted.size === 0) return true;
    for (const sync of rooted) if (this.#isVisible(sync, peer)) return true;
    return false;
  }

  /** #spawnVisible for every peer, known without running anything: one of them public, unfiltered. */
  #spawnVisibleToEveryone(node: NetNode): boolean {
    const rooted = this.#rootedAt(node);
    if (rooted.size === 0) return true;
    for (const sync of rooted) if (sync.visibleToEveryone) return true;
    return false;
  }

  #rootedAt(node: NetNode): ReadonlySet<MultiplayerSynchronizer> {
    return this.#rooted.get(node) ?? NONE;
  }

  /** Files `sync` under its root node (none while its root path leads nowhere). */
  #indexRoot(sync: MultiplayerSynchronizer): void {
    this.#unindexRoot(sync);
    const root = sync.rootNode;
    if (!root) return;
    this.#rootOf.set(sync, root);
    getOrCreate(this.#rooted, root, () => new Set()).add(sync);
  }

  #unindexRoot(sync: MultiplayerSynchronizer): void {
    const root = this.#rootOf.get(sync);
    if (!root) return;
    this.#rootOf.delete(sync);
    const set = this.#rooted.get(root);
    set?.delete(sync);
    if (set?.size === 0) this.#rooted.delete(root);
  }

  /** Starts listening to `node` and its subtree, registering spawners and synchronizers. */
  #enter(node: NetNode): void {
    const offEnter = node.events.on("childEnteredTree", (child) => {
      this.#enter(child);
      this.#spawns.resolvePending();
    });
    const offExit = node.events.on("childExitingTree", (child) => this.#exit(child));
    this.#watching.set(node, () => {
      offEnter();
      offExit();
    });
    if (node instanceof MultiplayerSpawner) this.#spawns.addSpawner(node);
    if (node instanceof MultiplayerSynchronizer) {
      this.#syncs.add(node);
      this.#indexRoot(node);
    }
    for (const child of node.children) this.#enter(child);
  }

  /** `node` and its subtree leave the tree (still in place): every node of it, whoever was removed. */
  #exit(node: NetNode): void {
    for (const child of node.children) this.#exit(child);
    this.#watching.get(node)?.();
    this.#watching.delete(node);
    this.#spawns.nodeExiting(node);
    if (node instanceof MultiplayerSpawner) this.#spawns.removeSpawner(node);
    if (node instanceof MultiplayerSynchronizer) {
      this.#syncs.remove(node);
      this.#unindexRoot(node);
    }
  }
}

export { synchronizersIn };
