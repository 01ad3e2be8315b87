import type { EntityState } from "./state-codec.js";
import type { Baseline, SentStates } from "./state-history.js";

/**
 * How many ticks older than a peer's own newest held tick its group's baseline may be. A shared
 * baseline is what lets a group of peers with different round trips (1–6 ticks at 30 Hz), jitter
 * and lost acknowledgements get one encode; its price is a longer delta span for the quicker
 * peers, and quantized deltas grow slowly with the span (bench/replication-bytes.ts, 200 moving
 * entities: 5.86 bytes per entity 1 tick back, 5.97 at 3 ticks back, against 10.75 absolute;
 * test/sync-sender-shared-baseline.test.ts: +3 % for 16 jittery receivers at this bound). At 8
 * ticks, receivers with round trips of 1–5 ticks and jitter still split into two groups every
 * few ticks; at 12 (400 ms at 30 Hz) they share one. A peer further behind is split off so it
 * cannot make everyone's deltas big.
 */
export const MAX_SHARED_BASELINE_LAG = 12;

/**
 * Splits the peers of one SYNC group by the baseline each subgroup shares (WIRE.md, "Scene
 * replication: SYNC"): first the tick, less than `size` ticks older than `tick`, that the most
 * peers hold with the same states and that is at most `maxLag` ticks older than each one's own
 * newest held tick (the newest such tick among equals); then the same again for the peers left.
 * Peers holding no tick get absolute states together, as do subgroups `mayUseBaseline` refuses.
 */
export function byBaseline(
  sent: SentStates,
  peers: readonly number[],
  tick: number,
  mayUseBaseline: (peers: readonly number[]) => boolean,
  maxLag = MAX_SHARED_BASELINE_LAG,
): [Baseline | null, number[]][] {
  if (peers.length === 0) return [];
  if (!mayUseBaseline(peers)) return [[null, [...peers]]];
  const oldest = Math.max(0, tick - sent.size + 1);
  // Each peer's newest held tick: the reference its own lag is counted from.
  const newest = new Map<number, number>();
  for (let t = tick - 1; t >= oldest && newest.size < peers.length; t--)
    for (const peer of peers) if (!newest.has(peer) && sent.held(peer, t)) newest.set(peer, t);
  const absolute = peers.filter((peer) => !newest.has(peer));
  let remaining = peers.filter((peer) => newest.has(peer));
  const out: [Baseline | null, number[]][] = [];
  // Every pass takes at least one peer: each one is eligible for its own newest held tick.
  while (remaining.length > 0) {
    const best = widestBaseline(sent, remaining, newest, tick - 1, oldest, maxLag);
    if (!best) {
      absolute.push(...remaining);
      break;
    }
    if (mayUseBaseline(best.members)) out.push([best.baseline, best.members]);
    else absolute.push(...best.members);
    const taken = new Set(best.members);
    remaining = remaining.filter((peer) => !taken.has(peer));
  }
  return absolute.length > 0 ? [[null, absolute], ...out] : out;
}

function widestBaseline(
  sent: SentStates,
  peers: readonly number[],
  newest: ReadonlyMap<number, number>,
  from: number,
  oldest: number,
  maxLag: number,
): { baseline: Baseline; members: number[] } | null {
  let best: { baseline: Baseline; members: number[] } | null = null;
  for (let t = from; t >= oldest; t--) {
    // Peers split earlier usually hold one map per tick (the sender records equal states once).
    const byStates = new Map<ReadonlyMap<number, EntityState>, number[]>();
    for (const peer of peers) {
      if ((newest.get(peer) ?? t) - t > maxLag) continue;
      const states = sent.held(peer, t);
      if (!states) continue;
      const members = byStates.get(states);
      if (members) members.push(peer);
      else byStates.set(states, [peer]);
    }
    for (const [states, members] of byStates) {
      if (best && members.length <= best.members.length) continue;
      best = { baseline: { tick: t, states }, members };
      if (members.length === peers.length) return best;
    }
  }
  return best;
}
