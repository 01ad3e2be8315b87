import type { RelayPick } from "../multiplayer/subsystem.js";
import type { NetNode } from "../scene/net-node.js";
import { getOrCreate } from "../util/memo.js";
import { DecodeError, decodeValue, encodeValue } from "../wire/codec.js";
import {
  decodeDespawn,
  decodeSpawn,
  encodeDespawn,
  encodeSpawn,
  type SpawnPacket,
} from "../wire/spawn-packet.js";
import { type DeltaPacket, encodeDelta } from "../wire/sync-packet.js";
import { kindMismatch, readProperty, writeProperty } from "./replication-config.js";
import type { ReplicationContext } from "./replication-context.js";
import { MultiplayerSpawner } from "./spawner.js";
import { decodeSyncValues, encodeSyncValues, type SyncEntry } from "./sync-values.js";
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
  /**
   * Host: per client, per recipient, by node id, the SPAWNs from that client the relay kept from
   * the recipient (hidden by the host's copy), with the host's copy: handed over once the copy is
   * visible there (`releaseKept`); until then their DESPAWN is kept from it too.
   */
  readonly #keptSpawns = new Map<number, Map<number, Map<number, { node: NetNode; packet: SpawnPacket }>>>();
  /**
   * Host: the clients' spawns the relay passed or handed over, by the host's copy: the peers that
   * have the node now (the client that spawned it has it too). Hidden there again, it is taken
   * back (`withdrawHidden`) and kept, as a host's own spawn is despawned.
   */
  readonly #relayed = new Map<NetNode, { from: number; nodeId: number; peers: Map<number, SpawnPacket> }>();
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
  ) {}

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
    this.#relayed.delete(node);
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

  /**
   * Host: a client's SPAWN relayed to others. The client is the spawner's authority, the host
   * decides who sees the node (its copy's synchronizers, as for its own spawns): a recipient it
   * is hidden from does not get it. The host's copy exists by now: the client sends its SPAWN to
   * the host before the others, over the same ordered channel.
   */
  relaySpawn(from: number, bytes: Uint8Array): RelayPick | null {
    const packet = decodeSpawn(bytes);
    if (typeof packet === "string") return null;
    const spawnerPath = packet.spawner.path ?? this.context.paths.pathOf(from, packet.spawner.id);
    const spawner = spawnerPath === undefined ? null : this.context.host.root.getNode(spawnerPath);
    const node = spawner instanceof MultiplayerSpawner ? spawner.spawnNode?.getChild(packet.name) : null;
    if (!node || this.#remote.get(node)?.from !== from) return null;
    // Noted even when kept from everyone: from now on, who may learn of the node is who has it.
    const relayed = this.#relayedTo(node, from, packet.nodeId);
    return (to) => {
      if (this.visibleTo(node, to) && this.#parentRelayedTo(node, to)) {
        relayed.set(to, packet);
        const shown = this.#shownSyncs(node, packet, to);
        return shown === packet.syncs ? bytes : encodeSpawn({ ...packet, syncs: shown });
      }
      getOrCreate(
        getOrCreate(this.#keptSpawns, from, () => new Map()),
        to,
        () => new Map(),
      ).set(packet.nodeId, { node, packet });
      return null;
    };
  }

  /**
   * Host, before it relays anything from `from` to `to`: the SPAWNs it kept from `to` whose
   * nodes `to` may now see, in the order they came (a nested spawn after its parent), to be sent
   * first (reliable, channel 0): the announcements kept with them follow, then the client's
   * packets that name the node. Each carries the spawn state of the host's copy now, not the one
   * the client spawned with: the client believes the peer got that SPAWN long ago and sends it
   * only what changed since (a property sent at spawn and "never" after would stay at its first
   * value, one sent "always" would jump back until the next SYNC). The host's copy holds every
   * state the client sent it; the rest of the SPAWN (spawner, ids, class, data) is the client's.
   * `after`: a DELTA with the on-change properties a spawn state cannot carry (not marked `spawn`)
   * of the synchronizers the client is the authority of, to go after the kept announcements.
   */
  /** Host: the (client, recipient) pairs with SPAWNs kept back. */
  keptPairs(): [from: number, to: number][] {
    const pairs: [number, number][] = [];
    for (const [from, byRecipient] of this.#keptSpawns) {
      for (const [to, kept] of byRecipient) if (kept.size > 0) pairs.push([from, to]);
    }
    return pairs;
  }

  releaseKept(from: number, to: number): { spawns: Uint8Array[]; after: Uint8Array[] } {
    const kept = this.#keptSpawns.get(from)?.get(to);
    const spawns: Uint8Array[] = [];
    const deltas: DeltaPacket["entries"] = [];
    if (!kept?.size) return { spawns, after: [] };
    for (const [id, { node, packet }] of kept) {
      // A copy gone from here (or no longer the client's) cannot be judged: its DESPAWN, or the
      // client's release of the id, clears it.
      if (this.#remote.get(node)?.from !== from || !this.visibleTo(node, to)) continue;
      // A node inside a client's spawn the peer lacks waits for that one.
      if (!this.#parentRelayedTo(node, to)) continue;
      kept.delete(id);
      this.#relayedTo(node, from, id).set(to, packet);
      const syncs = this.#shownSyncs(node, packet, to).map((entry) => {
        const sync = entry.path ? node.getNode(entry.path) : node;
        if (!(sync instanceof MultiplayerSynchronizer)) return entry;
        const changed = sync.getMultiplayerAuthority() === from ? changedState(sync) : null;
        if (changed) deltas.push({ ref: { id: entry.id, path: sync.getPath() }, state: changed });
        return { ...entry, state: spawnState(sync) };
      });
      spawns.push(encodeSpawn({ ...packet, syncs }));
    }
    if (deltas.length === 0) return { spawns, after: [] };
    const { clock, tickRate } = this.context.host;
    const tick = Math.max(0, Math.floor((clock.now() * tickRate) / 1000));
    return { spawns, after: [encodeDelta({ tick, entries: deltas })] };
  }

  /** Host: a client's DESPAWN reaches only the recipients its SPAWN reached (a kept one never handed over: none). */
  relayDespawn(from: number, bytes: Uint8Array): RelayPick | null {
    const id = decodeDespawn(bytes);
    if (typeof id === "string") return null;
    const kept = this.#keptSpawns.get(from);
    let relayed: { peers: Map<number, SpawnPacket> } | undefined;
    for (const spawn of this.#relayed.values())
      if (spawn.from === from && spawn.nodeId === id) relayed = spawn;
    return (to) => {
      if (kept?.get(to)?.delete(id)) return null;
      relayed?.peers.delete(to);
      return bytes;
    };
  }

  /**
   * Host: whether `peer` may learn of the client's spawn `node` (or the one `node` is in): not
   * while the relay keeps its SPAWN from the peer (kept, or taken back), so nothing else about it
   * goes there either; otherwise yes (the peer has it, or the client, which judges its own
   * visibility too, has not sent it there). Null when `node` is in no client's spawn relayed here.
   */
  relayedAt(node: NetNode, peer: number): boolean | null {
    if (this.#relayed.size === 0) return null;
    for (let at: NetNode | null = node; at; at = at.parent) {
      const relayed = this.#relayed.get(at);
      if (relayed) return this.#keptSpawns.get(relayed.from)?.get(peer)?.get(relayed.nodeId)?.node !== at;
    }
    return null;
  }

  /** The client's spawn relayed by this host that `node` is (or is inside), if any. */
  relayedSpawnOf(node: NetNode): NetNode | null {
    if (this.#relayed.size === 0) return null;
    for (let at: NetNode | null = node; at; at = at.parent) if (this.#relayed.has(at)) return at;
    return null;
  }

  /**
   * Host, each network tick: the clients' spawns that peers have but may not see any more (the
   * host's copy hidden there), taken back: each is kept again, to be handed over with its state
   * then when shown (`releaseKept`), and its DESPAWN, to be sent to the peer in the client's name,
   * is returned. Only once the peer was taught the node's id (`knows`): the DESPAWN names it by id.
   * A client's spawn inside it leaves the peer with it, and is kept again without a DESPAWN.
   */
  withdrawHidden(
    knows: (from: number, to: number, id: number) => boolean,
  ): { from: number; to: number; packet: Uint8Array }[] {
    const withdrawn: { from: number; to: number; packet: Uint8Array }[] = [];
    for (const [node, relayed] of this.#relayed) {
      if (relayed.peers.size === 0 || this.visibleToEveryone(node)) continue;
      for (const to of relayed.peers.keys()) {
        if (this.visibleTo(node, to) || !knows(relayed.from, to, relayed.nodeId)) continue;
        this.#takeBack(node, to);
        withdrawn.push({ from: relayed.from, to, packet: encodeDespawn(relayed.nodeId) });
      }
    }
    return withdrawn;
  }

  /** `node` (a client's spawn) and the clients' spawns inside it leave `to`: kept again, parents first. */
  #takeBack(node: NetNode, to: number): void {
    const relayed = this.#relayed.get(node);
    const packet = relayed?.peers.get(to);
    if (relayed && packet) {
      relayed.peers.delete(to);
      getOrCreate(
        getOrCreate(this.#keptSpawns, relayed.from, () => new Map()),
        to,
        () => new Map(),
      ).set(relayed.nodeId, { node, packet });
    }
    for (const child of node.children) this.#takeBack(child, to);
  }

  /**
   * Host: the synchronizers of a client's SPAWN of `node` that `to` may see, as the host's copy
   * judges them (`packet.syncs` itself when that is all of them): the others' ids and spawn states
   * stay off the recipient's SPAWN (their announcements are kept, see PathSync.relayFor).
   */
  #shownSyncs(node: NetNode, packet: SpawnPacket, to: number): SpawnPacket["syncs"] {
    const shown = packet.syncs.filter((entry) => {
      const sync = entry.path ? node.getNode(entry.path) : node;
      // The host's copy has each one (it refused the spawn otherwise); one it lacks is not judged.
      return !(sync instanceof MultiplayerSynchronizer) || this.syncVisibleTo(sync, to);
    });
    return shown.length === packet.syncs.length ? packet.syncs : shown;
  }

  /** Whether the client's spawn `node` is inside (if any) is not kept from `to`. */
  #parentRelayedTo(node: NetNode, to: number): boolean {
    const parent = node.parent;
    return parent === null || this.relayedAt(parent, to) !== false;
  }

  /** The peers that have the client's spawn `node`, with the SPAWN each got. */
  #relayedTo(node: NetNode, from: number, nodeId: number): Map<number, SpawnPacket> {
    let relayed = this.#relayed.get(node);
    if (relayed?.from !== from || relayed.nodeId !== nodeId) {
      relayed = { from, nodeId, peers: new Map() };
      this.#relayed.set(node, relayed);
    }
    return relayed.peers;
  }

  /** Host: `from` released `id`: a SPAWN kept by it is of a node gone from `from`. */
  released(from: number, id: number): void {
    for (const kept of this.#keptSpawns.get(from)?.values() ?? []) kept.delete(id);
    for (const [node, relayed] of this.#relayed) {
      if (relayed.from === from && relayed.nodeId === id) this.#relayed.delete(node);
    }
  }

  /** Godot: the nodes a leaving peer spawned here are freed. */
  peerRemoved(id: number): void {
    this.#keptSpawns.delete(id);
    for (const byRecipient of this.#keptSpawns.values()) byRecipient.delete(id);
    for (const [node, relayed] of this.#relayed) {
      if (relayed.from === id) this.#relayed.delete(node);
      else relayed.peers.delete(id);
    }
    for (const spawn of this.#local.values()) spawn.peers.delete(id);
    for (const [node, remote] of [...this.#remote]) if (remote.from === id) this.#free(node, remote);
  }

  reset(): void {
    this.#keptSpawns.clear();
    this.#relayed.clear();
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

/**
 * The on-change properties not sent at spawn, as a DELTA state (null when there are none): what
 * the host relays after a kept SPAWN it hands over, in the client's name (the client sent them to
 * the peer while the node was hidden there, and will not again until they change).
 */
function changedState(sync: MultiplayerSynchronizer): Uint8Array | null {
  const root = sync.rootNode;
  if (!root) return null;
  const entries: SyncEntry[] = [];
  for (const property of sync.properties) {
    if (property.replicate === "on_change" && !property.spawn) {
      entries.push([property.index, readProperty(root, property)]);
    }
  }
  return entries.length > 0 ? encodeSyncValues(entries) : null;
}

/** The values of the properties marked `spawn`. */
function spawnState(sync: MultiplayerSynchronizer): Uint8Array {
  const root = sync.rootNode;
  const entries: SyncEntry[] = [];
  if (root)
    for (const property of sync.properties) {
      if (property.spawn) entries.push([property.index, readProperty(root, property)]);
    }
  return encodeSyncValues(entries);
}
