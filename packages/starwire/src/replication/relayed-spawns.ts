import type { RelayPick } from "../multiplayer/subsystem.js";
import type { NetNode } from "../scene/net-node.js";
import { getOrCreate } from "../util/memo.js";
import {
  decodeDespawn,
  decodeSpawn,
  encodeDespawn,
  encodeSpawn,
  type SpawnPacket,
} from "../wire/spawn-packet.js";
import { type DeltaPacket, encodeDelta } from "../wire/sync-packet.js";
import type { ReplicationContext } from "./replication-context.js";
import { changedState, spawnState } from "./spawn-state.js";
import { MultiplayerSpawner } from "./spawner.js";
import { MultiplayerSynchronizer } from "./synchronizer.js";

/**
 * The host's relay of its clients' SPAWN and DESPAWN: a client is its spawner's authority, but the
 * host decides who sees the node (by its copy's synchronizers, as for its own spawns). A SPAWN for
 * a recipient the copy is hidden from is kept back, and handed over (with the copy's state then)
 * once it is visible there; a spawn a peer has and may no longer see is withdrawn and kept again.
 * SpawnReplication owns one (on every peer; only a host fills it).
 */
export class RelayedSpawns {
  /**
   * Per client, per recipient, by node id, the SPAWNs from that client the relay kept from the
   * recipient (hidden by the host's copy), with the host's copy: handed over once the copy is
   * visible there (`releaseKept`); until then their DESPAWN is kept from it too.
   */
  readonly #keptSpawns = new Map<number, Map<number, Map<number, { node: NetNode; packet: SpawnPacket }>>>();
  /**
   * The clients' spawns the relay passed or handed over, by the host's copy: the peers that have
   * the node now (the client that spawned it has it too). Hidden there again, it is taken back
   * (`withdrawHidden`) and kept, as a host's own spawn is despawned.
   */
  readonly #relayed = new Map<NetNode, { from: number; nodeId: number; peers: Map<number, SpawnPacket> }>();

  constructor(
    readonly context: ReplicationContext,
    /** Whether `peer` may see `node` (SpawnReplication.visibleTo). */
    readonly visibleTo: (node: NetNode, peer: number) => boolean,
    /** Whether `sync` is visible to `peer` (SpawnReplication.syncVisibleTo). */
    readonly syncVisibleTo: (sync: MultiplayerSynchronizer, peer: number) => boolean,
    /** Whether every peer may see `node` without a filter to run. */
    readonly visibleToEveryone: (node: NetNode) => boolean,
    /** The peer that spawned `node` here (the host's copy of a client's spawn), if any. */
    readonly spawnedBy: (node: NetNode) => number | undefined,
  ) {}

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
    if (!node || this.spawnedBy(node) !== from) return null;
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

  /** Host: the (client, recipient) pairs with SPAWNs kept back. */
  keptPairs(): [from: number, to: number][] {
    const pairs: [number, number][] = [];
    for (const [from, byRecipient] of this.#keptSpawns) {
      for (const [to, kept] of byRecipient) if (kept.size > 0) pairs.push([from, to]);
    }
    return pairs;
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
  releaseKept(from: number, to: number): { spawns: Uint8Array[]; after: Uint8Array[] } {
    const kept = this.#keptSpawns.get(from)?.get(to);
    const spawns: Uint8Array[] = [];
    const deltas: DeltaPacket["entries"] = [];
    if (!kept?.size) return { spawns, after: [] };
    for (const [id, { node, packet }] of kept) {
      // A copy gone from here (or no longer the client's) cannot be judged: its DESPAWN, or the
      // client's release of the id, clears it.
      if (this.spawnedBy(node) !== from || !this.visibleTo(node, to)) continue;
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

  /** `from` released `id`: a SPAWN kept by it is of a node gone from `from`. */
  released(from: number, id: number): void {
    for (const kept of this.#keptSpawns.get(from)?.values() ?? []) kept.delete(id);
    for (const [node, relayed] of this.#relayed) {
      if (relayed.from === from && relayed.nodeId === id) this.#relayed.delete(node);
    }
  }

  /** `id` left: what it spawned and what was kept from it are forgotten. */
  peerRemoved(id: number): void {
    this.#keptSpawns.delete(id);
    for (const byRecipient of this.#keptSpawns.values()) byRecipient.delete(id);
    for (const [node, relayed] of this.#relayed) {
      if (relayed.from === id) this.#relayed.delete(node);
      else relayed.peers.delete(id);
    }
  }

  /** `node` left the tree: a client's spawn it was is relayed no more. */
  nodeExiting(node: NetNode): void {
    this.#relayed.delete(node);
  }

  reset(): void {
    this.#keptSpawns.clear();
    this.#relayed.clear();
  }
}
