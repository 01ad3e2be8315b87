import type { NetNode } from "../scene/net-node.js";
import { DecodeError, decodeValue, encodeValue } from "../wire/codec.js";
import {
  decodeDespawn,
  decodeSpawn,
  encodeDespawn,
  encodeSpawn,
  type SpawnPacket,
} from "../wire/spawn-packet.js";
import { RelayedSpawns } from "./relayed-spawns.js";
import { kindMismatch, writeProperty } from "./replication-config.js";
import type { ReplicationContext } from "./replication-context.js";
import { spawnState } from "./spawn-state.js";
import { MultiplayerSpawner } from "./spawner.js";
import { decodeSyncValues, type SyncEntry } from "./sync-values.js";
import { MultiplayerSynchronizer } from "./synchronizer.js";

const VALID_NAME = /^[^/\s][^/]{0,127}$/;

/** A node this peer spawned as its spawner's authority. */
interface LocalSpawn {
  readonly spawner: MultiplayerSpawner;
  /** Null for a custom spawn. */
  readonly className: string | null;
  readonly data: Uint8Array | null;
  /** Peers it is spawned on. */
  readonly peers: Set<number>;
  /** The context epoch at which it was found visible to and spawned on every peer; -1: not. */
  settled: number;
}

/** A node another peer spawned here. */
interface RemoteSpawn {
  readonly from: number;
  readonly spawner: MultiplayerSpawner;
}

/**
 * The spawner half of scene replication: watches each spawner's spawn node on its authority,
 * sends SPAWN and DESPAWN to the peers that may see the node, and runs the ones it receives.
 */
export class SpawnReplication {
  /**
   * Spawners in the tree, the spawn node each one watches (null while its spawn path leads
   * nowhere: resolved again when nodes enter the tree) and how to stop watching it.
   */
  readonly #spawners = new Map<MultiplayerSpawner, { node: NetNode | null; off: () => void }>();
  /** In spawn order, so a late joiner gets parents before nested spawns. */
  readonly #local = new Map<NetNode, LocalSpawn>();
  readonly #remote = new Map<NetNode, RemoteSpawn>();
  /** Host: its clients' spawns, as its relay passes, keeps back and hands over their SPAWNs. */
  readonly relayed: RelayedSpawns;
  /** Set while a received spawn adds its node, so the spawner does not take it for its own. */
  #receiving = false;
  #custom: { spawner: MultiplayerSpawner; data: Uint8Array; node: NetNode } | null = null;

  constructor(
    readonly context: ReplicationContext,
    /** Whether `peer` may see `node` (a synchronizer rooted at it is visible to `peer`, or none is rooted there). */
    readonly visibleTo: (node: NetNode, peer: number) => boolean,
    /**
     * Whether `sync` is visible to `peer`: a SPAWN there carries (names, and gives the spawn state
     * of) only those; one hidden reaches the peer later by its first DELTA, when shown.
     */
    readonly syncVisibleTo: (sync: MultiplayerSynchronizer, peer: number) => boolean,
    /** Whether every peer may see `node` without a filter to run (visibleTo is then true for all). */
    readonly visibleToEveryone: (node: NetNode) => boolean = () => false,
  ) {
    this.relayed = new RelayedSpawns(
      context,
      visibleTo,
      syncVisibleTo,
      visibleToEveryone,
      (node) => this.#remote.get(node)?.from,
    );
  }

  /** Watches `spawner`'s spawn node (again, when its spawn path changed). */
  addSpawner(spawner: MultiplayerSpawner): void {
    this.#unwatch(spawner);
    const node = spawner.spawnNode;
    const off = node
      ? node.events.on("childEnteredTree", (child) => this.#childEntered(spawner, child))
      : () => {};
    this.#spawners.set(spawner, { node, off });
  }

  /**
   * Some nodes entered the tree: a spawner whose spawn node was missing (added before it, or
   * removed and rebuilt since) finds it now, as Godot's spawner does when its spawn path resolves.
   */
  resolvePending(): void {
    for (const [spawner, watch] of this.#spawners) {
      if (watch.node === null && spawner.spawnNode !== null) this.addSpawner(spawner);
    }
  }

  /**
   * The spawner left the tree: Godot forgets what it tracked and despawns it everywhere. Its
   * spawned nodes stay here, as ordinary nodes (a spawner out of the tree has no authority to ask).
   */
  removeSpawner(spawner: MultiplayerSpawner): void {
    this.#unwatch(spawner);
    this.#spawners.delete(spawner);
    for (const [node, spawn] of [...this.#local]) if (spawn.spawner === spawner) this.#despawn(node, spawn);
  }

  /**
   * `node` is leaving the tree (itself removed, or an ancestor: a level change), still in place:
   * a node this peer spawned is despawned on every peer that has it (Godot despawns whenever a
   * tracked node exits the tree), one spawned here is forgotten, a spawn node is watched no more.
   */
  nodeExiting(node: NetNode): void {
    const spawn = this.#local.get(node);
    if (spawn) this.#despawn(node, spawn);
    this.#remote.delete(node);
    this.relayed.nodeExiting(node);
    for (const [spawner, watch] of this.#spawners) {
      if (watch.node !== node) continue;
      watch.off();
      this.#spawners.set(spawner, { node: null, off: () => {} });
    }
  }

  #unwatch(spawner: MultiplayerSpawner): void {
    this.#spawners.get(spawner)?.off();
  }

  #despawn(node: NetNode, spawn: LocalSpawn): void {
    this.#local.delete(node);
    const packet = encodeDespawn(this.#nodeId(node));
    for (const peer of spawn.peers) this.context.send(packet, peer, "reliable");
  }

  customSpawn(spawner: MultiplayerSpawner, data: unknown, node: NetNode): void {
    const parent = spawner.spawnNode;
    if (!parent) throw new Error(`${spawner.getPath()} has no node at its spawn path "${spawner.spawnPath}"`);
    this.#checkLimit(spawner);
    this.#custom = { spawner, data: encodeValue(data), node };
    try {
      parent.addChild(node);
    } finally {
      this.#custom = null;
    }
  }

  /** The spawned node `node` is (or is inside) and that this peer spawned, if any. */
  localSpawnOf(node: NetNode): NetNode | null {
    for (let at: NetNode | null = node; at; at = at.parent) if (this.#local.has(at)) return at;
    return null;
  }

  isSpawnedAt(node: NetNode, peer: number): boolean {
    return this.#local.get(node)?.peers.has(peer) ?? false;
  }

  isLocalSpawn(node: NetNode): boolean {
    return this.#local.has(node);
  }

  /** Whether `node` (spawned here) is spawned on every peer, as settled this epoch (see reconcile). */
  spawnedEverywhere(node: NetNode): boolean {
    return this.#local.get(node)?.settled === this.context.epoch;
  }

  /**
   * Spawns and despawns so that each peer has exactly the spawned nodes it may see. `everyone`:
   * `peers` are all the peers in the game. A node found visible to and spawned on all of them is
   * settled for the context's epoch: while no filter is to run, it is skipped without a per-peer
   * pass until the peers or a visibility setting change (the epoch moves on) or it despawns.
   */
  reconcile(peers: Iterable<number>, everyone = false): void {
    const list = [...peers];
    for (const [node, spawn] of this.#local) {
      // Compared by id: isMultiplayerAuthority() throws for a node out of the tree.
      if (spawn.spawner.getMultiplayerAuthority() !== this.context.host.uniqueId) continue;
      const epoch = this.context.epoch;
      if (spawn.settled === epoch && this.visibleToEveryone(node)) continue;
      let hidden = false;
      for (const peer of list) {
        const visible = this.visibleTo(node, peer);
        if (!visible) hidden = true;
        if (visible && !spawn.peers.has(peer)) this.#sendSpawn(node, spawn, peer);
        else if (!visible && spawn.peers.has(peer)) {
          spawn.peers.delete(peer);
          this.context.send(encodeDespawn(this.#nodeId(node)), peer, "reliable");
        }
      }
      // At the epoch the pass started at: a change made meanwhile (by a listener) moved it on.
      if (hidden) spawn.settled = -1;
      else if (everyone) spawn.settled = epoch;
    }
  }

  /** Godot: the nodes a leaving peer spawned here are freed. */
  peerRemoved(id: number): void {
    this.relayed.peerRemoved(id);
    for (const spawn of this.#local.values()) spawn.peers.delete(id);
    for (const [node, remote] of [...this.#remote]) if (remote.from === id) this.#free(node, remote);
  }

  reset(): void {
    this.relayed.reset();
    for (const spawn of this.#local.values()) spawn.peers.clear();
    for (const [node, remote] of [...this.#remote]) this.#free(node, remote);
  }

  #childEntered(spawner: MultiplayerSpawner, child: NetNode): void {
    if (this.#receiving || spawner.getMultiplayerAuthority() !== this.context.host.uniqueId) return;
    const custom = this.#custom?.node === child ? this.#custom : null;
    const className = custom ? null : spawner.spawnableNameOf(child);
    if (!custom && className === null) return;
    if (!custom && spawner.spawnLimit > 0 && this.#countOf(spawner) >= spawner.spawnLimit) {
      console.warn(`starwire: ${spawner.getPath()} reached its spawn limit; ${child.name} stays local`);
      return;
    }
    const spawn: LocalSpawn = {
      spawner,
      className,
      data: custom?.data ?? null,
      peers: new Set(),
      settled: -1,
    };
    this.#local.set(child, spawn);
    for (const peer of this.context.host.peers()) {
      if (this.visibleTo(child, peer)) this.#sendSpawn(child, spawn, peer);
    }
  }

  #checkLimit(spawner: MultiplayerSpawner): void {
    if (spawner.spawnLimit > 0 && this.#countOf(spawner) >= spawner.spawnLimit) {
      throw new RangeError(`${spawner.getPath()} reached its spawn limit (${spawner.spawnLimit})`);
    }
  }

  #countOf(spawner: MultiplayerSpawner): number {
    let count = 0;
    for (const spawn of this.#local.values()) if (spawn.spawner === spawner) count++;
    for (const remote of this.#remote.values()) if (remote.spawner === spawner) count++;
    return count;
  }

  #nodeId(node: NetNode): number {
    return this.context.paths.outgoingId(node.getPath());
  }

  #sendSpawn(node: NetNode, spawn: LocalSpawn, peer: number): void {
    const { context } = this;
    const syncs: SpawnPacket["syncs"] = [];
    const synchronizers = [...synchronizersIn(node)].filter((sync) => this.syncVisibleTo(sync, peer));
    for (const sync of synchronizers) {
      const id = context.paths.outgoingId(sync.getPath());
      syncs.push({ id, path: relativePath(node, sync), state: spawnState(sync) });
    }
    const nodeId = this.#nodeId(node);
    const spawner = context.refFor(peer, spawn.spawner);
    const packet = encodeSpawn({
      spawner: spawner.ref,
      nodeId,
      name: node.name,
      className: spawn.className,
      data: spawn.data,
      syncs,
    });
    spawn.peers.add(peer);
    if (!context.send(packet, peer, "reliable")) return;
    context.taught(spawner.ref.id, spawner.teaches);
    if (context.isDirect(peer)) {
      // A direct SPAWN teaches the ids it carries (WIRE.md, "Path ids"): the peer is told to
      // forget them when the node leaves the tree here.
      context.taught(nodeId, [peer]);
      for (const { id } of syncs) context.taught(id, [peer]);
    } else {
      // A relayed SPAWN teaches nothing: announcements follow it on the same ordered stream,
      // once the peer has the node they name (and before any DESPAWN or DELTA naming them).
      context.announce(node, peer);
      for (const sync of synchronizers) context.announce(sync, peer);
    }
  }

  /**
   * SPAWN: every test, then what running it does. A SPAWN that teaches (direct) leaves each id it
   * carries bound, or refused when the spawn does not happen here: its sender counts this peer as
   * taught them all and will ask it to forget them (WIRE.md, "Path ids").
   */
  checkSpawn(from: number, bytes: Uint8Array, teaches: boolean): (() => void) | null {
    const { context } = this;
    const packet = decodeSpawn(bytes);
    if (typeof packet === "string") return context.rejected(from, "malformed", `SPAWN: ${packet}`);
    if (!context.learnRef(from, packet.spawner, teaches)) return null;
    const run = this.#checkSpawn(from, packet, teaches);
    if (!teaches) return run;
    if (!run) return this.#refuseIds(from, packet);
    return () => {
      if (!run()) this.#refuseIds(from, packet);
    };
  }

  #refuseIds(from: number, packet: SpawnPacket): null {
    this.context.refuse(from, packet.nodeId);
    for (const { id } of packet.syncs) this.context.refuse(from, id);
    return null;
  }

  #checkSpawn(from: number, packet: SpawnPacket, teaches: boolean): (() => boolean) | null {
    const { context } = this;
    const spawnerPath = context.pathOf(from, packet.spawner, "spawner");
    if (spawnerPath === null) return null;
    const spawner = context.host.root.getNode(spawnerPath);
    if (!(spawner instanceof MultiplayerSpawner)) {
      return context.rejected(from, "unknown_node", `no spawner at ${spawnerPath}`, spawnerPath);
    }
    if (from !== spawner.getMultiplayerAuthority()) {
      const message = `${spawnerPath} spawns only from its authority ${spawner.getMultiplayerAuthority()}, not ${from}`;
      return context.rejected(from, "forbidden", message, spawnerPath);
    }
    const parent = spawner.spawnNode;
    if (!parent)
      return context.rejected(from, "unknown_node", `${spawnerPath} has no spawn node`, spawnerPath);
    const refuse = (why: string) =>
      context.rejected(from, "spawn_refused", `${spawnerPath}: ${why}`, spawnerPath);
    if (!VALID_NAME.test(packet.name)) return refuse(`invalid node name "${packet.name}"`);
    const existing = parent.getChild(packet.name);
    if (existing) {
      // The host checks a client's spawn for another client after running its own copy: the same
      // spawn again is no news, anything else under that name is a clash.
      if (this.#remote.get(existing)?.from === from) return () => true;
      return refuse(`${parent.getPath()} already has a child "${packet.name}"`);
    }
    if (spawner.spawnLimit > 0 && this.#countOf(spawner) >= spawner.spawnLimit) {
      return refuse(`spawn limit ${spawner.spawnLimit} reached`);
    }
    let make: () => NetNode;
    if (packet.className !== null) {
      const spawnable = spawner.spawnableClass(packet.className);
      if (!spawnable) return refuse(`unknown spawnable "${packet.className}"`);
      make = () => new spawnable(packet.name);
    } else {
      const spawnFunction = spawner.spawnFunction;
      if (!spawnFunction) return refuse("custom spawn without a spawnFunction");
      let data: unknown;
      try {
        data = decodeValue(packet.data ?? new Uint8Array());
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        return context.rejected(
          from,
          "malformed",
          `${spawnerPath}: spawn data: ${error.message}`,
          spawnerPath,
        );
      }
      make = () => spawnFunction(data);
    }
    return () => this.#receiveSpawn(from, spawner, parent, packet, make, teaches);
  }

  #receiveSpawn(
    from: number,
    spawner: MultiplayerSpawner,
    parent: NetNode,
    packet: SpawnPacket,
    make: () => NetNode,
    teaches: boolean,
  ): boolean {
    const { context } = this;
    const refuse = (why: string) => {
      context.reject(from, "spawn_refused", `${spawner.getPath()}: ${why}`, spawner.getPath());
      return false;
    };
    let node: NetNode;
    try {
      node = make();
    } catch (error) {
      console.error(`starwire: spawning ${packet.name} under ${parent.getPath()} threw`, error);
      return refuse(`the spawn of ${packet.name} threw`);
    }
    if (node.name !== packet.name)
      return refuse(`spawnFunction named the node "${node.name}", not "${packet.name}"`);
    const states: [MultiplayerSynchronizer, SyncEntry[], number, string][] = [];
    for (const entry of packet.syncs) {
      const sync = node.getNode(entry.path);
      if (!(sync instanceof MultiplayerSynchronizer))
        return refuse(`${packet.name} has no synchronizer at ${entry.path}`);
      const values = decodeSyncValues(entry.state, sync.properties.length);
      if (typeof values === "string") {
        context.reject(from, "malformed", `spawn state: ${values}`);
        return false;
      }
      if (values.some(([index]) => !sync.properties[index]!.spawn)) {
        context.reject(from, "forbidden", `spawn state of ${entry.path} sets a property without spawn`);
        return false;
      }
      const root = sync.rootNode;
      const mismatch = root && kindMismatch(root, sync.properties, values);
      if (mismatch) return refuse(`spawn state of ${entry.path}: ${mismatch.key} would change its kind`);
      states.push([sync, values, entry.id, entry.path]);
    }
    for (const [sync, values] of states) {
      const root = sync.rootNode;
      if (root) for (const [index, value] of values) writeProperty(root, sync.properties[index]!, value);
    }
    this.#receiving = true;
    try {
      parent.addChild(node);
    } finally {
      this.#receiving = false;
    }
    this.#remote.set(node, { from, spawner });
    const path = node.getPath();
    // A relayed SPAWN (client to client) teaches nothing: its sender announces the ids after it.
    if (teaches) {
      // A clash (the id still held for another node) was rejected; the node is here all the same.
      if (!context.learn(from, packet.nodeId, path)) return true;
      for (const [, , id, relative] of states)
        context.learn(from, id, relative ? `${path}/${relative}` : path);
    }
    spawner.emitReplication("spawned", node);
    return true;
  }

  /** DESPAWN: only the peer that spawned a node here removes it. */
  checkDespawn(from: number, bytes: Uint8Array): (() => void) | null {
    const { context } = this;
    const id = decodeDespawn(bytes);
    if (typeof id === "string") return context.rejected(from, "malformed", `DESPAWN: ${id}`);
    const path = context.cachedPathOf(from, id);
    if (path === undefined) return context.rejected(from, "unknown_node", `DESPAWN of unknown id ${id}`);
    const node = context.host.root.getNode(path);
    // Gone already (removed here): nothing to do.
    if (!node) return () => {};
    const remote = this.#remote.get(node);
    if (!remote || remote.from !== from) {
      return context.rejected(from, "forbidden", `${path} was not spawned here by ${from}`, path);
    }
    return () => this.#free(node, remote);
  }

  #free(node: NetNode, remote: RemoteSpawn): void {
    this.#remote.delete(node);
    node.parent?.removeChild(node);
    remote.spawner.emitReplication("despawned", node);
  }
}

/** The synchronizers in `node`'s subtree, `node` included, in tree order. */
export function* synchronizersIn(node: NetNode): Generator<MultiplayerSynchronizer> {
  if (node instanceof MultiplayerSynchronizer) yield node;
  for (const child of node.children) yield* synchronizersIn(child);
}

function relativePath(ancestor: NetNode, node: NetNode): string {
  return node.getPath().slice(ancestor.getPath().length + 1);
}
