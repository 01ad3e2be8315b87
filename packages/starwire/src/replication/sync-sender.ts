import { getOrCreate } from "../util/memo.js";
import { byBaseline } from "./baseline-groups.js";
import { type EntityState, encodeSync, type PropertySpec, type SyncEntry } from "./state-codec.js";
import { type Baseline, SentStates } from "./state-history.js";

/** One synchronizer due in this tick: its state, captured once, and the peers it goes to. */
export interface DueState {
  readonly id: number;
  readonly specs: readonly PropertySpec[];
  readonly state: EntityState;
  readonly peers: readonly number[];
}

/** One encoded group: the packets of the tick and the peers that get them all. */
export interface SyncGroup {
  readonly peers: readonly number[];
  readonly packets: readonly Uint8Array[];
}

/**
 * The sending half of SYNC: groups the receivers of a tick and encodes each group once
 * (WIRE.md, "Scene replication: SYNC").
 *
 * A group is the peers that get the same synchronizers this tick (same visibility, same intervals
 * due) and share a baseline: a tick they all hold with the same states, chosen so that peers with
 * different round trips or lost acknowledgements still share one, within a bound on how far it
 * lags each one's newest (baseline-groups.ts); peers further behind are split off.
 *
 * What a group holds at a tick (recorded for later baselines) is its baseline's states overlaid
 * with the tick's entries, exactly as each receiver rebuilds it, so a synchronizer left out (not
 * due, or unchanged) keeps its state in the next baseline. `since` guards the one case where that
 * copy is wrong: a synchronizer that a peer stopped receiving (hidden, respawned under the same
 * path, new authority) is sent absolute until the peer acknowledged a tick from after it restarted.
 */
export class SyncSender {
  readonly #sent = new SentStates();
  /** Per sync id, per peer: the tick it (re)started going to that peer. */
  readonly #since = new Map<number, Map<number, number>>();
  /**
   * Per sync id, a tick at or after every one of its `#since` ticks (the newest one set; entries
   * deleted since only make it more cautious): a group's peers all held the id as it is now at a
   * baseline at or after it, known without a look at each peer (#heldSince).
   */
  readonly #latestSince = new Map<number, number>();
  /**
   * Per sync id, the peer list (a DueState's `peers`, never changed once built) whose every peer
   * has a `#since` tick: the same array on the next tick needs no per-peer pass. Dropped with any
   * `#since` entry of that id.
   */
  readonly #covered = new Map<number, readonly number[]>();

  constructor(
    /**
     * Whether a group may use a baseline: a client's SYNC is relayed by the host, which checks it
     * with its own history, so a client sends deltas only to groups that include the host.
     */
    readonly mayUseBaseline: (peers: readonly number[]) => boolean,
  ) {}

  /** The SYNC packets of `tick`; throws RangeError (from the codec) only for a state too big to send. */
  encode(tick: number, due: readonly DueState[], maxPacketBytes: number): SyncGroup[] {
    for (const entry of due) {
      if (this.#covered.get(entry.id) === entry.peers) continue;
      const since = getOrCreate(this.#since, entry.id, () => new Map<number, number>());
      let latest = this.#latestSince.get(entry.id) ?? Number.NEGATIVE_INFINITY;
      for (const peer of entry.peers) {
        if (since.has(peer)) continue;
        since.set(peer, tick);
        latest = Math.max(latest, tick);
      }
      this.#latestSince.set(entry.id, latest);
      this.#covered.set(entry.id, entry.peers);
    }
    const groups: SyncGroup[] = [];
    for (const { entries, peers } of bySynchronizers(due)) {
      // Peers split by baseline usually hold the same states after this tick (every due state
      // is now the same captured one): recorded as one map, they share a baseline again and
      // become one group on a later tick (a newly visible peer rejoins the others).
      const recorded: Map<number, EntityState>[] = [];
      for (const [baseline, members] of byBaseline(this.#sent, peers, tick, this.mayUseBaseline)) {
        const { packets, held } = this.#encodeGroup(tick, baseline, members, entries, maxPacketBytes);
        let states = recorded.find((other) => sameStates(other, held));
        if (!states) {
          states = held;
          recorded.push(held);
        }
        this.#sent.record(tick, members, states, baseline?.tick ?? null);
        groups.push({ peers: members, packets });
      }
    }
    return groups;
  }

  #encodeGroup(
    tick: number,
    baseline: Baseline | null,
    peers: readonly number[],
    due: readonly DueState[],
    maxPacketBytes: number,
  ): { packets: Uint8Array[]; held: Map<number, EntityState> } {
    const entries: SyncEntry[] = due.map(({ id, specs, state }) => ({
      id,
      specs,
      state,
      baseline:
        baseline && this.#heldSince(id, peers, baseline.tick) ? (baseline.states.get(id) ?? null) : null,
    }));
    const packets = encodeSync({ tick, baselineTick: baseline?.tick ?? null, entries }, maxPacketBytes);
    const held = new Map<number, EntityState>();
    if (baseline) {
      for (const [id, state] of baseline.states) if (this.#since.has(id)) held.set(id, state);
    }
    for (const entry of due) held.set(entry.id, entry.state);
    return { packets, held };
  }

  /** Whether every peer of a group had `id` at `tick` as it is now (not from before a restart). */
  #heldSince(id: number, peers: readonly number[], tick: number): boolean {
    // Every peer of a group has a `#since` tick for each of its entries (encode's first loop):
    // when none of them is after `tick`, no need to look at each.
    if ((this.#latestSince.get(id) ?? Number.POSITIVE_INFINITY) <= tick) return true;
    const since = this.#since.get(id);
    return peers.every((peer) => (since?.get(peer) ?? Number.POSITIVE_INFINITY) <= tick);
  }

  /** A SYNC_ACK: `peer` holds `tick` complete; null: it holds nothing of ours any more. */
  acknowledge(peer: number, tick: number | null): void {
    if (tick === null) this.#sent.forgetPeer(peer);
    else this.#sent.acknowledge(peer, tick);
  }

  /** `peer` stopped receiving `id` (hidden from it): it restarts from an absolute state. */
  stopped(id: number, peer: number): void {
    this.#since.get(id)?.delete(peer);
    this.#covered.delete(id);
  }

  /** `id` stopped being sent from here (removed, or its authority changed). */
  removed(id: number): void {
    this.#since.delete(id);
    this.#latestSince.delete(id);
    this.#covered.delete(id);
  }

  forgetPeer(peer: number): void {
    this.#sent.forgetPeer(peer);
    for (const since of this.#since.values()) since.delete(peer);
    this.#covered.clear();
  }

  clear(): void {
    this.#sent.clear();
    this.#since.clear();
    this.#latestSince.clear();
    this.#covered.clear();
  }
}

/**
 * The peers of a tick grouped by the synchronizers they get (each group's entries in `due`'s
 * order, peers in order of first appearance).
 */
function bySynchronizers(due: readonly DueState[]): Array<{ entries: readonly DueState[]; peers: number[] }> {
  // The usual tick: every synchronizer goes to the same peers, one group of everything, found
  // without building each peer's list and key (32 peers × 256 synchronizers a tick otherwise).
  const first = due[0]?.peers;
  if (first && first.length > 0 && due.every((entry) => samePeers(entry.peers, first)))
    return [{ entries: due, peers: [...first] }];
  const byPeer = new Map<number, DueState[]>();
  for (const entry of due) for (const peer of entry.peers) getOrCreate(byPeer, peer, () => []).push(entry);
  // Same synchronizers (due in the same order for every peer, so the ids make the key).
  const bySet = new Map<string, { entries: DueState[]; peers: number[] }>();
  for (const [peer, entries] of byPeer) {
    const key = entries.map((entry) => entry.id).join(",");
    getOrCreate(bySet, key, () => ({ entries, peers: [] })).peers.push(peer);
  }
  return [...bySet.values()];
}

function samePeers(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Same synchronizers with the same state objects (states are shared, never copied). */
function sameStates(a: ReadonlyMap<number, EntityState>, b: ReadonlyMap<number, EntityState>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, state] of a) if (b.get(id) !== state) return false;
  return true;
}
