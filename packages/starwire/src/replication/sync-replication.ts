import type { NetNode } from "../scene/net-node.js";
import { HOST_PEER_ID } from "../signaling/protocol.js";
import { getOrCreate } from "../util/memo.js";
import { RELAY_HEADER_BYTES } from "../wire/commands.js";
import type { NodeRef } from "../wire/replication-io.js";
import { decodeDelta, decodeSyncAck, encodeDelta } from "../wire/sync-packet.js";
import { OwnerVisibility } from "./owner-visibility.js";
import { RelayedSyncs } from "./relayed-syncs.js";
import { kindMismatch, type SyncProperty, sameValue, snapshot, writeProperty } from "./replication-config.js";
import type { ReplicationContext } from "./replication-context.js";
import { captureState, MAX_SYNC_PACKET_BYTES } from "./state-codec.js";
import { intervalInTicks, type ReceiverClock, SyncReceiver } from "./sync-receiver.js";
import { type DueState, SyncSender } from "./sync-sender.js";
import { type SyncSpecs, syncSpecsOf } from "./sync-specs.js";
import { decodeSyncValues, encodeSyncValues, type SyncEntry } from "./sync-values.js";
import { MultiplayerSynchronizer } from "./synchronizer.js";

/** How long an announced synchronizer waits for a peer's confirmation before it is announced again. */
const REANNOUNCE_MS = 1000;

/** A DELTA entry, with the peers its inline ref teaches once sent. */
type DeltaEntry = { ref: NodeRef; state: Uint8Array; teaches: readonly number[] };

/** Distinct DELTA entry lists of a tick compared with the next peer's (bounds the search). */
const DELTA_ENCODINGS_KEPT = 4;

/**
 * Whether two peers' DELTA entries encode to the same bytes: same refs, and the same state
 * arrays (a tick encodes each synchronizer's values once and shares them, so identity suffices).
 */
function sameDeltaEntries(a: readonly DeltaEntry[], b: readonly DeltaEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.state !== y.state || x.ref.id !== y.ref.id || x.ref.path !== y.ref.path) return false;
  }
  return true;
}

/** What the authority keeps about one synchronizer it sends. */
interface Outbound {
  /** The authority this state belongs to: a change of authority starts over. */
  authority: number;
  /** Peers it is visible to (as last applied). */
  readonly visible: Set<number>;
  /** Peers that got its full on-change state since they last became visible, and when (ms). */
  readonly started: Map<number, number>;
  /**
   * False once every peer in `visible` is in `started` (a tick then skips looking for peers to
   * start); set back to true by whatever adds to `visible` or takes from `started` alone.
   */
  unstarted: boolean;
  /** The network tick of its last SYNC: due again `replicationInterval` (as whole ticks) later. */
  lastSync: number;
  /** Its path-cache id, once it was sent in a SYNC (the sender's history is keyed by it). */
  id?: number;
  /** The network tick of its last on-change comparison: due again `deltaInterval` (as whole ticks) later. */
  lastDelta: number;
  /** The last on-change values sent, by property index. */
  readonly watched: Map<number, unknown>;
  /** The context epoch at which it was found visible to every peer; -1: not (see updateVisibility). */
  settled: number;
  /**
   * The peers its last SYNC went to, kept while `started` is unchanged (set to null wherever it
   * changes) and every started peer had confirmed `id`: a live id's confirmations only go with
   * their peer (peerRemoved takes it out of `started` too) or with the id itself (checked).
   */
  syncPeers: readonly number[] | null;
  /** syncSpecsOf(sync), and the parsed config it is for (a new config is a new array). */
  specs: SyncSpecs | null;
  specsOf: readonly SyncProperty[] | null;
}

/** syncSpecsOf, without its lookup on most ticks (the config rarely changes). */
function specsOf(sync: MultiplayerSynchronizer, state: Outbound): SyncSpecs {
  const properties = sync.properties;
  if (state.specsOf !== properties || state.specs === null) {
    state.specs = syncSpecsOf(sync);
    state.specsOf = properties;
  }
  return state.specs;
}

/**
 * The synchronizer half of scene replication: on each network tick, the authority of every
 * synchronizer sends its "always" properties (unreliable SYNC through the state codec, every
 * `replicationInterval`; sync-sender.ts groups and encodes) and its changed "on_change" ones
 * (reliable DELTA, every `deltaInterval`) to the peers it is visible to; receivers check the
 * sender is the authority, drop stale states and acknowledge (sync-receiver.ts).
 */
export class SyncReplication {
  readonly #syncs = new Map<MultiplayerSynchronizer, Outbound>();
  readonly #sender: SyncSender;
  readonly #receiver: SyncReceiver;
  /** SYNC_VISIBILITY: the host's visibility decisions for the synchronizers clients own. */
  readonly #owners: OwnerVisibility;
  /**
   * The last distinct SYNC peer list built: equal lists share this one array, so that grouping
   * synchronizers by their peers compares arrays by identity (sync-sender.ts's bySynchronizers).
   */
  #sharedPeers: readonly number[] = [];
  /** Host: its clients' SYNC and DELTA, as its relay filters them per recipient. */
  readonly relayed: RelayedSyncs;

  constructor(
    readonly context: ReplicationContext,
    /** The spawned node `node` is in, when this peer spawned it (else null). */
    readonly localSpawnOf: (node: NetNode) => NetNode | null,
    readonly isSpawnedAt: (node: NetNode, peer: number) => boolean,
    /** Whether the spawned node `node` is settled as spawned on every peer (SpawnReplication.reconcile). */
    readonly spawnedEverywhere: (node: NetNode) => boolean,
    /** `sync.isVisibleTo(peer)`, asked once per tick when it has filters. */
    readonly isVisible: (sync: MultiplayerSynchronizer, peer: number) => boolean,
    readonly clock: ReceiverClock,
    readonly tickRate: () => number,
  ) {
    this.#sender = new SyncSender(
      (peers) => context.host.uniqueId === HOST_PEER_ID || peers.includes(HOST_PEER_ID),
    );
    this.#receiver = new SyncReceiver(context, clock, tickRate);
    this.relayed = new RelayedSyncs(
      context,
      (bytes) => this.#receiver.idsOf(bytes),
      (sync, peer) => this.sendsTo(sync, peer),
    );
    this.#owners = new OwnerVisibility(context, (sync, peer) =>
      this.updateVisibility(sync, [...context.host.peers()], peer),
    );
  }

  /** SYNC states dropped as stale (older than the newest applied). */
  get staleDropped(): number {
    return this.#receiver.staleDropped;
  }

  interpolationStats(sync: MultiplayerSynchronizer) {
    return this.#receiver.interpolationStats(sync);
  }

  add(sync: MultiplayerSynchronizer): void {
    if (!this.#syncs.has(sync)) this.#syncs.set(sync, outbound(sync.getMultiplayerAuthority()));
  }

  remove(sync: MultiplayerSynchronizer): void {
    const state = this.#syncs.get(sync);
    this.#syncs.delete(sync);
    if (state?.id !== undefined) this.#sender.removed(state.id);
    this.#receiver.remove(sync);
    this.#owners.forget(sync);
  }

  synchronizers(): IterableIterator<MultiplayerSynchronizer> {
    return this.#syncs.keys();
  }

  /** Whether the authority sends `sync` to `peer`: visible, and its spawned node exists there. */
  sendsTo(sync: MultiplayerSynchronizer, peer: number): boolean {
    if (!this.isVisible(sync, peer)) return false;
    const spawned = this.localSpawnOf(sync);
    return !spawned || this.isSpawnedAt(spawned, peer);
  }

  /**
   * Applies visibility for `sync` (for `only`, 0 = every peer): peers it became visible to get
   * its full on-change state at the next send, peers it became hidden from get nothing more.
   * The host, for a synchronizer a client owns, tells the owner what changed instead.
   */
  updateVisibility(sync: MultiplayerSynchronizer, peers: readonly number[], only = 0): void {
    const state = this.#stateOf(sync);
    if (!state) {
      if (this.context.host.uniqueId === HOST_PEER_ID && this.#syncs.has(sync)) {
        this.#owners.update(sync, peers, (peer) => this.sendsTo(sync, peer), only);
      }
      return;
    }
    // sendsTo, with the spawned node looked up once per synchronizer instead of once per peer
    // (again after a visibilityChanged listener ran: it may have moved or freed the node).
    let spawned = this.localSpawnOf(sync);
    // The usual tick: found visible to every peer at this epoch (no peer joined or left, no
    // visibility setting changed since), still with no filter to run, its node still spawned
    // everywhere and nothing hidden by the host: no peer can change, so no per-peer pass.
    const epoch = this.context.epoch;
    if (
      state.settled === epoch &&
      sync.visibleToEveryone &&
      (!spawned || this.spawnedEverywhere(spawned)) &&
      this.#owners.allowsEveryone(sync)
    )
      return;
    let hidden = false;
    for (const peer of peers) {
      if (only !== 0 && peer !== only) continue;
      // A client owner also needs the host's leave (SYNC_VISIBILITY): both must allow.
      const visible =
        this.isVisible(sync, peer) &&
        (!spawned || this.isSpawnedAt(spawned, peer)) &&
        this.#owners.allows(sync, peer);
      if (!visible) hidden = true;
      if (visible === state.visible.has(peer)) continue;
      if (visible) {
        state.visible.add(peer);
        state.unstarted = true;
      } else {
        state.visible.delete(peer);
        state.started.delete(peer);
        state.syncPeers = null;
        if (state.id !== undefined) this.#sender.stopped(state.id, peer);
      }
      sync.emitReplication("visibilityChanged", peer);
      spawned = this.localSpawnOf(sync);
    }
    // At the epoch the pass started at: a change made meanwhile (by a listener) moved it on.
    if (hidden) state.settled = -1;
    else if (only === 0) state.settled = epoch;
  }

  /** Every poll: interpolated properties take the value to show now. */
  sample(): void {
    this.#receiver.sample();
  }

  /** One network tick: SYNC and DELTA for every synchronizer this peer is the authority of. */
  send(now: number, tick: number, peers: readonly number[]): void {
    const due: DueState[] = [];
    const deltas = new Map<number, DeltaEntry[]>();
    const host = this.context.host.uniqueId === HOST_PEER_ID;
    for (const sync of this.#syncs.keys()) {
      const state = this.#stateOf(sync);
      const root = sync.rootNode;
      if (!state) {
        // A client's: the host re-runs its copy's filters every tick, telling the owner of changes.
        if (host && sync.properties.length > 0) {
          this.#owners.update(sync, peers, (peer) => this.sendsTo(sync, peer));
        }
        continue;
      }
      if (!root || sync.properties.length === 0) continue;
      this.updateVisibility(sync, peers);
      this.#collectDelta(sync, state, root, now, tick, deltas);
      this.#collectSync(sync, state, root, now, tick, due);
    }
    const { context } = this;
    // Peers that get the same entries (usually all of them: ids every one confirmed, the same
    // changed values) get the same bytes: encoded once, for the last few distinct lists.
    const encoded: { entries: readonly DeltaEntry[]; packet: Uint8Array }[] = [];
    for (const [peer, entries] of deltas) {
      let packet = encoded.find((other) => sameDeltaEntries(other.entries, entries))?.packet;
      if (!packet) {
        packet = encodeDelta({ tick, entries });
        if (encoded.unshift({ entries, packet }) > DELTA_ENCODINGS_KEPT) encoded.pop();
      }
      if (!context.send(packet, peer, "reliable")) continue;
      for (const { ref, teaches } of entries) context.taught(ref.id, teaches);
    }
    this.#sendSync(tick, due, peers);
    this.#receiver.sendAcks();
  }

  #sendSync(tick: number, due: readonly DueState[], peers: readonly number[]): void {
    if (due.length === 0) return;
    const { context } = this;
    const client = context.host.uniqueId !== HOST_PEER_ID;
    // A client's packets reach other peers inside the host's relay header.
    const limit = client ? MAX_SYNC_PACKET_BYTES - RELAY_HEADER_BYTES : MAX_SYNC_PACKET_BYTES;
    let groups: ReturnType<SyncSender["encode"]>;
    try {
      groups = this.#sender.encode(tick, due, limit);
    } catch (error) {
      console.error(`starwire: the SYNC of tick ${tick} could not be encoded`, error);
      return;
    }
    for (const group of groups) {
      // One send reaches everyone when the group is everyone (one relayed copy for a client);
      // a group of one goes straight to it (no relay header for a client's SYNC to the host).
      const everyone = group.peers.length === peers.length && group.peers.length > 1;
      for (const packet of group.packets) {
        if (everyone) context.send(packet, 0, "unreliable");
        else for (const peer of group.peers) context.send(packet, peer, "unreliable");
      }
    }
  }

  /**
   * Whether an interval of `seconds` since network tick `last` is over at `tick`. Counted in ticks,
   * not in poll times: with uneven frames, times would make the gaps between sent states vary by
   * a tick, and a receiver would misread a state left out as not yet due. A tick number that went
   * back (the network clock stepped) makes it due rather than wait for the old number.
   */
  #isDue(last: number, seconds: number, tick: number): boolean {
    return tick >= last + intervalInTicks(seconds, this.tickRate()) || tick < last;
  }

  /** The authority's state for `sync`, or null when this peer is not its authority. */
  #stateOf(sync: MultiplayerSynchronizer): Outbound | null {
    let state = this.#syncs.get(sync);
    if (!state) return null;
    const authority = sync.getMultiplayerAuthority();
    if (state.authority !== authority) {
      // A new authority starts from scratch: every peer gets its full state again.
      if (state.id !== undefined) this.#sender.removed(state.id);
      state = outbound(authority);
      this.#syncs.set(sync, state);
      this.#receiver.restart(sync);
      // What the host said was about the former owner's sending.
      this.#owners.forget(sync);
    }
    return authority === this.context.host.uniqueId ? state : null;
  }

  #collectDelta(
    sync: MultiplayerSynchronizer,
    state: Outbound,
    root: NetNode,
    now: number,
    tick: number,
    out: Map<number, DeltaEntry[]>,
  ): void {
    // Peers not started yet; null (no array built) on most ticks, when every visible peer is.
    // `started` only ever holds visible peers (updateVisibility and peerRemoved delete from both),
    // so when the sizes match there is none to look for.
    let fresh: number[] | null = null;
    if (state.unstarted && state.started.size !== state.visible.size) {
      for (const peer of state.visible) {
        if (state.started.has(peer)) continue;
        fresh ??= [];
        fresh.push(peer);
      }
    }
    // Every visible peer is started now, or is once the fresh ones get their entries below.
    if (fresh === null) state.unstarted = false;
    const due = this.#isDue(state.lastDelta, sync.deltaInterval, tick);
    if (!due && fresh === null) return;
    const { watch, readWatch } = specsOf(sync, state);
    // Without on_change properties a due delta has nothing to compare (only fresh peers get an
    // entry, an empty one that announces the synchronizer's id): skip the reads and encodes.
    if (watch.length === 0 && fresh === null) {
      state.lastDelta = tick;
      return;
    }
    const values = readWatch.readScratch(root);
    // Built only when something changed: on most ticks most synchronizers' values did not.
    let changed: SyncEntry[] | null = null;
    if (due) {
      const { watched } = state;
      for (let i = 0; i < values.length; i++) {
        const { index } = watch[i]!;
        const value = values[i];
        const last = watched.get(index);
        if ((last !== undefined || watched.has(index)) && sameValue(last, value)) continue;
        changed ??= [];
        changed.push([index, value]);
        watched.set(index, snapshot(value));
      }
      state.lastDelta = tick;
    }
    // Newly visible peers get everything (which also announces the synchronizer's id to them).
    if (fresh !== null) {
      const full = encodeSyncValues(values.map((value, i): SyncEntry => [watch[i]!.index, value]));
      for (const peer of fresh) {
        getOrCreate(out, peer, () => []).push({ ...this.context.refFor(peer, sync, true), state: full });
        state.started.set(peer, now);
        state.syncPeers = null;
      }
      state.unstarted = false;
    }
    if (changed === null) return;
    const bytes = encodeSyncValues(changed);
    for (const peer of state.started.keys()) {
      if (fresh?.includes(peer)) continue;
      getOrCreate(out, peer, () => []).push({ ...this.context.refFor(peer, sync), state: bytes });
    }
  }

  #collectSync(
    sync: MultiplayerSynchronizer,
    state: Outbound,
    root: NetNode,
    now: number,
    tick: number,
    out: DueState[],
  ): void {
    if (!this.#isDue(state.lastSync, sync.replicationInterval, tick)) return;
    const { always, specs, readAlways } = specsOf(sync, state);
    if (always.length === 0) return;
    // Stamps are host ticks: a client's ticks mean nothing to others before its clock follows the host.
    if (!this.clock.synchronized) return;
    state.lastSync = tick;
    const { paths } = this.context;
    const id = paths.outgoingId(sync.getPath());
    // Kept from the last tick (see Outbound.syncPeers): no per-peer pass on most ticks.
    let peers = state.id === id ? state.syncPeers : null;
    state.id = id;
    if (peers === null) {
      // Looked up once, not per peer (nothing below confirms or releases ids).
      const confirmed = paths.confirmedPeers(id);
      const list: number[] = [];
      for (const [peer, since] of state.started) {
        // Unreliable: only once the peer confirmed the id (its DELTA announcement may still travel).
        if (!confirmed.has(peer)) {
          // No confirmation for a while: the peer did not have the node (another peer spawns it, or
          // the peer had not built that part of its tree yet). Announce it again on the next tick.
          if (now - since >= REANNOUNCE_MS) {
            state.started.delete(peer);
            state.unstarted = true;
          }
          continue;
        }
        list.push(peer);
      }
      peers = this.#share(list);
      // Kept only when complete: a peer still to confirm is looked for again on the next tick.
      state.syncPeers = list.length === state.started.size ? peers : null;
    }
    if (peers.length === 0) return;
    try {
      // Captured once per tick, whatever the number of peers and groups.
      const captured = captureState(specs, readAlways.readScratch(root));
      out.push({ id, specs, state: captured, peers });
    } catch (error) {
      console.error(`starwire: ${sync.getPath()} has a value that cannot be sent`, error);
    }
  }

  /** `list`, or the equal array built before it (see #sharedPeers). */
  #share(list: number[]): readonly number[] {
    const shared = this.#sharedPeers;
    if (list.length === shared.length && list.every((peer, i) => peer === shared[i])) return shared;
    this.#sharedPeers = list;
    return list;
  }

  checkSync(from: number, bytes: Uint8Array): (() => void) | null {
    return this.#receiver.check(from, bytes);
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

  checkVisibility(from: number, bytes: Uint8Array): (() => void) | null {
    return this.#owners.check(from, bytes);
  }

  checkAck(from: number, bytes: Uint8Array): (() => void) | null {
    const tick = decodeSyncAck(bytes);
    if (typeof tick === "string") return this.context.rejected(from, "malformed", `SYNC_ACK: ${tick}`);
    return () => this.#sender.acknowledge(from, tick);
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
    const root = node.rootNode;
    const mismatch = root && kindMismatch(root, node.properties, values);
    if (mismatch) {
      return context.rejected(
        from,
        "invalid_arguments",
        `${path}: ${mismatch.key} would change its kind`,
        path,
      );
    }
    return [node, values];
  }

  peerRemoved(id: number): void {
    for (const state of this.#syncs.values()) {
      state.visible.delete(id);
      state.started.delete(id);
      state.syncPeers = null;
    }
    this.#sender.forgetPeer(id);
    this.#receiver.peerRemoved(id);
    this.#owners.peerRemoved(id);
    this.relayed.peerRemoved(id);
  }

  reset(): void {
    for (const sync of this.#syncs.keys()) this.#syncs.set(sync, outbound(sync.getMultiplayerAuthority()));
    this.#sender.clear();
    this.#receiver.reset();
    this.#owners.reset();
    this.relayed.reset();
  }
}

function outbound(authority: number): Outbound {
  return {
    authority,
    visible: new Set(),
    started: new Map(),
    unstarted: true,
    lastSync: Number.NEGATIVE_INFINITY,
    lastDelta: Number.NEGATIVE_INFINITY,
    watched: new Map(),
    syncPeers: null,
    settled: -1,
    specs: null,
    specsOf: null,
  };
}
