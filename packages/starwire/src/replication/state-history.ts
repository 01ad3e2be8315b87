/**
 * The two memories delta encoding needs (WIRE.md, "Scene replication: SYNC"):
 *
 * - `ReceivedStates`, on a receiver, one per sender: the whole state of the sender's synchronizers
 *   at each of the last `size` ticks, built from SYNC packets. A complete tick (every part
 *   arrived) is what the receiver acknowledges and what later packets may be relative to.
 * - `SentStates`, on a sender: what it sent each peer at each of the last `size` ticks, and which
 *   of those ticks each peer acknowledged, to pick a baseline that every receiver of a group holds.
 *
 * Both keep ticks in a ring indexed by `tick % size`, so they never grow. Both sides must use the
 * same size: the sender only picks a baseline less than `size` ticks older than the tick it
 * encodes, and the receiver keeps every tick newer than its newest minus `size`, so a baseline the
 * receiver acknowledged is still there when the packet arrives (unless the receiver reset: then
 * it rejects the packet as `stale_baseline`).
 */
import type { DecodedSync, EntityState } from "./state-codec.js";

export const DEFAULT_HISTORY_TICKS = 32;

interface ReceivedTick {
  tick: number;
  baselineTick: number | null;
  /** Every synchronizer's state at this tick: the baseline's, overlaid with the packets' entries. */
  states: Map<number, EntityState>;
  parts: Set<number>;
  /** The index of the tick's last part, once it arrived; -1 before. */
  lastPart: number;
  complete: boolean;
}

export class ReceivedStates {
  readonly #slots: Array<ReceivedTick | undefined>;
  #newest = -1;
  #newestComplete: number | null = null;

  constructor(readonly size = DEFAULT_HISTORY_TICKS) {
    if (!Number.isInteger(size) || size < 2) throw new RangeError(`history size ${size}`);
    this.#slots = new Array(size);
  }

  /** A complete tick's states: `SyncLookup.baseline` for decodeSync. */
  baseline(tick: number): ReadonlyMap<number, EntityState> | undefined {
    if (tick <= this.#newest - this.size) return undefined; // out of the window, even if its slot is intact
    const slot = this.#slots[tick % this.size];
    return slot?.tick === tick && slot.complete ? slot.states : undefined;
  }

  /** The newest tick a packet was recorded for (complete or not); -1 before any. */
  get newest(): number {
    return this.#newest;
  }

  /** The newest complete tick: what to acknowledge. */
  get newestComplete(): number | null {
    const tick = this.#newestComplete;
    return tick !== null && this.baseline(tick) ? tick : null;
  }

  /**
   * Records a decoded packet. Returns true when it completed its tick. A packet too old for the
   * ring, whose baseline is gone, or whose baseline differs from its tick's other parts is not
   * recorded (false); its entries are still valid states for the caller to apply.
   */
  apply(sync: DecodedSync): boolean {
    const { tick, baselineTick } = sync;
    if (tick <= this.#newest - this.size) return false;
    const index = tick % this.size;
    let slot = this.#slots[index];
    if (slot?.tick !== tick) {
      const base = baselineTick === null ? new Map() : this.baseline(baselineTick);
      if (!base) return false;
      // The copy is taken before the slot is reused: the baseline may sit in the very same slot.
      slot = { tick, baselineTick, states: new Map(base), parts: new Set(), lastPart: -1, complete: false };
      this.#slots[index] = slot;
    } else if (slot.baselineTick !== baselineTick) return false;
    this.#newest = Math.max(this.#newest, tick);
    for (const entry of sync.entries) slot.states.set(entry.id, entry.state);
    slot.parts.add(sync.part);
    if (sync.last) slot.lastPart = sync.part;
    if (slot.complete || slot.lastPart < 0 || slot.parts.size !== slot.lastPart + 1) return false;
    for (const part of slot.parts) if (part > slot.lastPart) return false;
    slot.complete = true;
    if (this.#newestComplete === null || tick > this.#newestComplete) this.#newestComplete = tick;
    return true;
  }

  /** Drops a synchronizer from every tick (it was despawned or left this sender's authority). */
  forget(id: number): void {
    for (const slot of this.#slots) slot?.states.delete(id);
  }

  clear(): void {
    this.#slots.fill(undefined);
    this.#newest = -1;
    this.#newestComplete = null;
  }
}

interface SentTick {
  tick: number;
  /** Per peer, the states that peer holds at this tick if it received it (one map per group). */
  sent: Map<number, ReadonlyMap<number, EntityState>>;
  /** Per peer, the baseline tick its packet of this tick was relative to (absent: absolute). */
  baselineOf: Map<number, number>;
  acked: Set<number>;
}

export interface Baseline {
  readonly tick: number;
  /** Every synchronizer's state at `tick` as the group holds it: `SyncEntry.baseline` per id. */
  readonly states: ReadonlyMap<number, EntityState>;
}

export class SentStates {
  readonly #slots: Array<SentTick | undefined>;

  constructor(readonly size = DEFAULT_HISTORY_TICKS) {
    if (!Number.isInteger(size) || size < 2) throw new RangeError(`history size ${size}`);
    this.#slots = new Array(size);
  }

  /**
   * Remembers that `peers` were sent `tick`: `states` holds every synchronizer of the encoded
   * entries (left out as unchanged or not), keyed by sync id. Call it once per group and tick;
   * the map is kept as is, not copied. `baselineTick`: the tick the packets were relative to.
   */
  record(
    tick: number,
    peers: Iterable<number>,
    states: ReadonlyMap<number, EntityState>,
    baselineTick: number | null = null,
  ): void {
    const index = tick % this.size;
    let slot = this.#slots[index];
    if (slot?.tick !== tick) {
      slot = { tick, sent: new Map(), baselineOf: new Map(), acked: new Set() };
      this.#slots[index] = slot;
    }
    for (const peer of peers) {
      slot.sent.set(peer, states);
      if (baselineTick === null) slot.baselineOf.delete(peer);
      else slot.baselineOf.set(peer, baselineTick);
      slot.acked.delete(peer);
    }
  }

  /**
   * A peer holds `tick` complete (from its SYNC_ACK). Returns false, ignoring it, when that tick
   * was not sent to that peer or is no longer kept: acknowledgements come from the network.
   */
  acknowledge(peer: number, tick: number): boolean {
    const slot = Number.isInteger(tick) && tick >= 0 ? this.#slots[tick % this.size] : undefined;
    if (slot?.tick !== tick || !slot.sent.has(peer)) return false;
    slot.acked.add(peer);
    // A receiver completes a tick only on top of its baseline, held complete, and drops neither
    // while they are inside its window (ReceivedStates): holding `tick` proves it holds the chain
    // of baselines under it too: this fills the gaps lost acknowledgements leave, which differ
    // per receiver and would keep a group from sharing a baseline.
    let under: SentTick = slot;
    for (let steps = 1; steps < this.size; steps++) {
      const base = under.baselineOf.get(peer);
      if (base === undefined) break;
      const next = this.#slots[base % this.size];
      if (!next || next.tick !== base || !next.sent.has(peer) || next.acked.has(peer)) break;
      next.acked.add(peer);
      under = next;
    }
    return true;
  }

  /**
   * The states `peer` holds at `tick` when it acknowledged that tick (directly or under a newer
   * one) and the tick is still kept; undefined otherwise. The caller keeps to ticks less than
   * `size` older than the one it encodes (what the receiver still keeps).
   */
  held(peer: number, tick: number): ReadonlyMap<number, EntityState> | undefined {
    const slot = tick >= 0 ? this.#slots[tick % this.size] : undefined;
    return slot?.tick === tick && slot.acked.has(peer) ? slot.sent.get(peer) : undefined;
  }

  /**
   * The newest tick before `tick`, and less than `size` ticks older, that every one of `peers`
   * acknowledged and that was sent to all of them as one group; null when there is none (then
   * encode absolute states).
   */
  baseline(peers: readonly number[], tick: number): Baseline | null {
    if (peers.length === 0) return null;
    for (let t = tick - 1; t > tick - this.size && t >= 0; t--) {
      const slot = this.#slots[t % this.size];
      if (slot?.tick !== t) continue;
      const states = slot.sent.get(peers[0]!);
      if (states && peers.every((peer) => slot.acked.has(peer) && slot.sent.get(peer) === states))
        return { tick: t, states };
    }
    return null;
  }

  /** Forgets a peer (it left, or rejected a packet as stale_baseline: it lost its history). */
  forgetPeer(peer: number): void {
    for (const slot of this.#slots) {
      slot?.sent.delete(peer);
      slot?.baselineOf.delete(peer);
      slot?.acked.delete(peer);
    }
  }

  clear(): void {
    this.#slots.fill(undefined);
  }
}
