import type { Rejection } from "../multiplayer/rejection.js";
import { getOrCreate } from "../util/memo.js";
import { encodeSyncAck } from "../wire/sync-packet.js";
import { kindMismatch, writeProperty } from "./replication-config.js";
import type { ReplicationContext } from "./replication-context.js";
import { SendInterval } from "./send-interval.js";
import {
  decodeSync,
  type EntityState,
  type PropertySpec,
  readSyncHeader,
  type SyncRejectReason,
  stateValues,
} from "./state-codec.js";
import { DEFAULT_HISTORY_TICKS, ReceivedStates } from "./state-history.js";
import { SyncInterpolation } from "./sync-interpolation.js";
import { syncSpecsOf } from "./sync-specs.js";
import { MultiplayerSynchronizer } from "./synchronizer.js";

/** The network clock as the receiver needs it (multiplayer.clock). */
export interface ReceiverClock {
  now(): number;
  readonly synchronized: boolean;
}

/** What the codec's rejections are reported as (`stale_baseline` is not one: see `check`). */
const REASONS: Record<Exclude<SyncRejectReason, "stale_baseline">, Rejection["reason"]> = {
  malformed: "malformed",
  unknown_sync_id: "unknown_node",
};

/** The specs of a synchronizer that left the tree, kept while packets naming it may be under way. */
interface Grave {
  readonly specs: readonly PropertySpec[];
  /** Dropped once the host tick passed this; pushed back while packets keep naming it. */
  until: number;
  /** The senders' ids it had, forgotten from their histories with the grave. */
  readonly ids: readonly (readonly [from: number, id: number])[];
}

interface Applied {
  tick: number;
  /** The state object last applied: states left unchanged by a tick are the same object. */
  state: EntityState;
  /**
   * The sender's SYNC interval in ticks, learned from the ticks of the states it sent (not the
   * ones a tick left out): this peer's own replicationInterval may differ from the sender's.
   */
  interval: SendInterval;
  /** The tick of the last state the sender sent. */
  sentTick: number;
}

/** Sent states' tick gaps the interval is learned from (the smallest: any two consecutive tell it). */
const INTERVAL_WINDOW = 16;

const NOTHING = () => {};

/** How long (host ticks) a removed synchronizer's specs are kept: two history windows. */
const GRAVE_TICKS = 2 * DEFAULT_HISTORY_TICKS;

/**
 * The receiving half of SYNC (WIRE.md, "Scene replication: SYNC"): decodes each sender's packets
 * against the ticks it holds from that sender, applies the states (interpolated properties go to
 * the synchronizer's interpolation), and acknowledges the ticks completed since (and the newest
 * complete) on the next network tick.
 *
 * The despawn race: a DESPAWN (reliable) may overtake a SYNC (unreliable) that names one of the
 * despawned node's synchronizers, and since entries carry no length the rest of that packet would
 * be unreadable. So a removed synchronizer's specs stay here (a "grave", by its path) for
 * GRAVE_TICKS: two history windows, while a packet naming it is not yet older than what a
 * receiver drops before decoding (its sender's newest tick minus the window), counted from the
 * removal or from the last packet naming it; its entries are read and skipped.
 */
export class SyncReceiver {
  readonly #received = new Map<number, ReceivedStates>();
  /** Per sender, the live synchronizer each sync id named. */
  readonly #byId = new Map<number, Map<number, MultiplayerSynchronizer>>();
  /** By the path the synchronizer had (what a sender's id leads to). */
  readonly #graves = new Map<string, Grave>();
  readonly #applied = new Map<MultiplayerSynchronizer, Map<number, Applied>>();
  readonly #interpolations = new Map<
    MultiplayerSynchronizer,
    { from: number; interpolation: SyncInterpolation }
  >();
  /** Per sender, what to acknowledge on the next tick: a tick, or null for the reset form. */
  /**
   * Per sender, what to acknowledge on the next tick: the ticks completed since the last one and
   * the newest complete (at most ACKS_PER_TICK, the newest), or null for the reset form. Every
   * completed tick, not only the newest: ticks arriving together (jitter, a busy receiver) would
   * otherwise leave gaps that differ per receiver, and a sender shares a baseline across its
   * receivers only for a tick it knows each of them holds (baseline-groups.ts).
   */
  readonly #toAck = new Map<number, number[] | null>();
  /** The sync ids of each packet that passed `check`: what the host's relay judges visibility by. */
  readonly #checkedIds = new WeakMap<Uint8Array, readonly number[]>();
  /** SYNC states dropped as older than the newest applied (or than the history), for tests and statistics. */
  staleDropped = 0;

  constructor(
    readonly context: ReplicationContext,
    readonly clock: ReceiverClock,
    readonly tickRate: () => number,
  ) {}

  check(from: number, bytes: Uint8Array): (() => void) | null {
    const { context } = this;
    const header = readSyncHeader(bytes);
    if (!header) return context.rejected(from, "malformed", "SYNC: bad header");
    const received = this.#received.get(from);
    // Too old for the history: its baseline is gone and its states are older than any applied.
    if (received && header.tick <= received.newest - received.size) {
      this.staleDropped++;
      return NOTHING;
    }
    const resolved = new Map<number, MultiplayerSynchronizer | null>();
    let unknownPath: string | undefined;
    const result = decodeSync(bytes, {
      specs: (id) => {
        const path = context.cachedPathOf(from, id);
        const node = path === undefined ? null : context.host.root.getNode(path);
        if (node instanceof MultiplayerSynchronizer) {
          resolved.set(id, node);
          return syncSpecsOf(node).specs;
        }
        const grave = path === undefined ? undefined : this.#graves.get(path);
        if (grave) {
          // Still named: its sender still sends it here (a client-owned synchronizer whose node
          // the host despawned here, the client not knowing: the host decides visibility). Its
          // entries stay readable, or every later packet of that sender would be rejected.
          grave.until = Math.max(grave.until, this.#hostTick() + GRAVE_TICKS);
          resolved.set(id, null);
          return grave.specs;
        }
        unknownPath = path;
        return undefined;
      },
      baseline: (tick) => received?.baseline(tick),
    });
    if (!result.ok) {
      if (result.reason === "stale_baseline") {
        // This side lost its history (a stall, a reset), not the sender's fault: dropped and
        // answered with the reset acknowledgement, reported apart from rejections.
        this.#toAck.set(from, null);
        context.host.baselineLost(from);
        return null;
      }
      return context.rejected(from, REASONS[result.reason], `SYNC: ${result.message}`, unknownPath);
    }
    const { sync } = result;
    for (const entry of sync.entries) {
      const node = resolved.get(entry.id);
      if (node && node.getMultiplayerAuthority() !== from) {
        const path = node.getPath();
        const message = `${path} is synchronized by its authority ${node.getMultiplayerAuthority()}, not ${from}`;
        return context.rejected(from, "forbidden", message, path);
      }
      const root = node?.rootNode;
      if (node && root) {
        const { always, specs } = syncSpecsOf(node);
        const mismatch = kindMismatch(root, always, stateValues(specs, entry.state).entries());
        if (mismatch) {
          const path = node.getPath();
          return context.rejected(
            from,
            "invalid_arguments",
            `${path}: ${mismatch.key} would change its kind`,
            path,
          );
        }
      }
    }
    this.#checkedIds.set(
      bytes,
      sync.entries.map((entry) => entry.id),
    );
    return () => {
      const history = getOrCreate(this.#received, from, () => new ReceivedStates());
      const complete = history.apply(sync);
      const ids = getOrCreate(this.#byId, from, () => new Map<number, MultiplayerSynchronizer>());
      for (const entry of sync.entries) {
        const node = resolved.get(entry.id);
        if (!node) continue;
        ids.set(entry.id, node);
        this.#apply(node, from, sync.tick, entry.state);
      }
      // Synchronizers a complete tick left out hold their baseline's state: show that state too
      // (a value may return to what the baseline had while a newer tick was shown).
      const states = complete ? history.baseline(sync.tick) : undefined;
      if (states) {
        for (const [id, state] of states) {
          const node = ids.get(id);
          if (node && node.getMultiplayerAuthority() === from)
            this.#apply(node, from, sync.tick, state, true);
        }
      }
      const newest = history.newestComplete;
      if (complete) this.#owe(from, sync.tick);
      if (newest !== null) this.#owe(from, newest);
    };
  }

  /** The sync ids a packet that passed `check` names (entries are not self-delimited: only decoding tells). */
  idsOf(bytes: Uint8Array): readonly number[] | undefined {
    return this.#checkedIds.get(bytes);
  }

  /** Applies `state` of `sync` at `tick` unless a newer one was; `held`: a state the tick left out. */
  #apply(sync: MultiplayerSynchronizer, from: number, tick: number, state: EntityState, held = false): void {
    const ticks = getOrCreate(this.#applied, sync, () => new Map<number, Applied>());
    const last = ticks.get(from);
    if (last && tick <= last.tick) {
      if (!held) this.staleDropped++;
      return;
    }
    // A tick that left the synchronizer out holds the state of its baseline, which is its state
    // then only if it was due then (and unchanged): sooner than the sender's interval after the
    // last one, it was left out as not yet due, and its baseline may even predate the last state
    // shown. The sender's interval, not this peer's setting.
    if (held && last && tick - last.tick < last.interval.value) return;
    const root = sync.rootNode;
    if (!root) return;
    const { always, specs } = syncSpecsOf(sync);
    const time = (tick * 1000) / this.tickRate();
    let interpolation = this.#interpolations.get(sync);
    if (last && last.state === state) {
      // Unchanged: only playback needs to know the value stayed (so it stops there instead of
      // extrapolating on), once per send interval like a sent state.
      if (interpolation?.from !== from) return;
      last.tick = tick;
      interpolation.interpolation.push(time, stateValues(specs, state), this.clock.now());
      return;
    }
    if (!last) {
      const interval = new SendInterval(this.#intervalTicks(sync), "lowest", INTERVAL_WINDOW);
      ticks.set(from, { tick, state, interval, sentTick: tick });
    } else {
      if (!held) {
        last.interval.observe(tick - last.sentTick);
        last.sentTick = tick;
      }
      last.tick = tick;
      last.state = state;
    }
    const values = stateValues(specs, state);
    if (interpolation?.from !== from) {
      this.#interpolations.delete(sync);
      interpolation = undefined;
      // Stamps are host ticks: they mean something against this peer's clock once it is synchronized.
      // Its interval is learned too; this peer's setting (or what was learned so far) is the first guess.
      const guess = ticks.get(from)!.interval.value;
      const created = this.clock.synchronized
        ? SyncInterpolation.create(always, values, (guess * 1000) / this.tickRate())
        : null;
      if (created) {
        interpolation = { from, interpolation: created };
        this.#interpolations.set(sync, interpolation);
      }
    }
    for (let i = 0; i < always.length; i++) {
      if (!interpolation?.interpolation.has(i)) writeProperty(root, always[i]!, values[i]);
    }
    interpolation?.interpolation.push(time, values, this.clock.now());
    sync.emitReplication("synchronized");
  }

  /**
   * The SYNC interval in ticks this peer's setting gives (replicationInterval, as whole ticks go
   * by): what a sender is assumed to use until the ticks of its states tell.
   */
  #intervalTicks(sync: MultiplayerSynchronizer): number {
    return intervalInTicks(sync.replicationInterval, this.tickRate());
  }

  /** Every poll: interpolated properties take the value to show now. */
  sample(): void {
    if (this.#interpolations.size === 0) return;
    const now = this.clock.now();
    for (const [sync, { from, interpolation }] of this.#interpolations) {
      // Its authority changed (this peer may now own it): what came from the old one is void.
      if (sync.getMultiplayerAuthority() !== from) {
        this.#interpolations.delete(sync);
        continue;
      }
      const root = sync.rootNode;
      if (root) interpolation.sample(root, now);
    }
  }

  /** Snapshot interpolation's measurements for `sync`, or null when it interpolates nothing (yet). */
  interpolationStats(sync: MultiplayerSynchronizer) {
    return this.#interpolations.get(sync)?.interpolation.stats ?? null;
  }

  #owe(from: number, tick: number): void {
    // A tick owed after a reset in the same tick replaces it, as the newest alone did.
    let ticks = this.#toAck.get(from);
    if (!ticks) {
      ticks = [];
      this.#toAck.set(from, ticks);
    }
    if (ticks.includes(tick)) return;
    ticks.push(tick);
    if (ticks.length > ACKS_PER_TICK) ticks.splice(ticks.indexOf(Math.min(...ticks)), 1);
  }

  /** On a network tick: the acknowledgements owed. */
  sendAcks(): void {
    this.#expireGraves();
    for (const [from, ticks] of this.#toAck) {
      if (ticks === null) this.context.send(encodeSyncAck(null), from, "unreliable");
      else for (const tick of ticks) this.context.send(encodeSyncAck(tick), from, "unreliable");
    }
    this.#toAck.clear();
  }

  /**
   * A synchronizer left the tree: its specs stay, by its path, for packets that may still name it
   * (see the class comment), whether or not a state of it arrived yet.
   */
  remove(sync: MultiplayerSynchronizer): void {
    this.#applied.delete(sync);
    this.#interpolations.delete(sync);
    const ids: [number, number][] = [];
    for (const [from, byId] of this.#byId) {
      for (const [id, node] of byId) {
        if (node !== sync) continue;
        byId.delete(id);
        ids.push([from, id]);
      }
    }
    // Only a receiver decodes packets naming it.
    if (sync.properties.length === 0 || sync.getMultiplayerAuthority() === this.context.host.uniqueId) return;
    this.#graves.set(sync.getPath(), {
      specs: syncSpecsOf(sync).specs,
      until: this.#hostTick() + GRAVE_TICKS,
      ids,
    });
  }

  /** The authority of `sync` changed: what came from the old one no longer applies. */
  restart(sync: MultiplayerSynchronizer): void {
    this.#interpolations.delete(sync);
  }

  #hostTick(): number {
    return Math.floor((this.clock.now() * this.tickRate()) / 1000);
  }

  #expireGraves(): void {
    if (this.#graves.size === 0) return;
    const now = this.#hostTick();
    for (const [path, grave] of this.#graves) {
      if (now <= grave.until) continue;
      this.#graves.delete(path);
      for (const [from, id] of grave.ids) {
        if (!this.#byId.get(from)?.has(id)) this.#received.get(from)?.forget(id);
      }
    }
  }

  peerRemoved(id: number): void {
    this.#received.delete(id);
    this.#byId.delete(id);
    this.#toAck.delete(id);
    for (const ticks of this.#applied.values()) ticks.delete(id);
    for (const [sync, { from }] of this.#interpolations) if (from === id) this.#interpolations.delete(sync);
  }

  reset(): void {
    this.#received.clear();
    this.#byId.clear();
    this.#graves.clear();
    this.#applied.clear();
    this.#interpolations.clear();
    this.#toAck.clear();
  }
}

/** Float tick times: an interval of whole ticks must not round up to one more for a rounding error. */
const INTERVAL_SLACK_MS = 0.5;

/**
 * A send interval in seconds as whole network ticks, as the sender keeps it: rounded up (never
 * sent more often than asked), at least 1 (0 = every tick).
 */
export function intervalInTicks(seconds: number, tickRate: number): number {
  return Math.max(1, Math.ceil((seconds * 1000 - INTERVAL_SLACK_MS) / (1000 / tickRate)));
}

/** Acknowledgements a receiver sends one sender per tick, at most (a few bytes each). */
export const ACKS_PER_TICK = 4;
