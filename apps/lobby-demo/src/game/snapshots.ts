/**
 * Client-side interpolation: positions are drawn a little in the past, between the two state
 * snapshots around that moment, so 20 Hz updates look smooth at 60 fps.
 */
export const INTERPOLATION_DELAY_MS = 100;
const KEEP = 32;

export interface Snapshot {
  at: number;
  tick: number;
  players: Map<number, { x: number; y: number }>;
  coins: Array<{ x: number; y: number }>;
}

export class SnapshotBuffer {
  readonly #snapshots: Snapshot[] = [];

  /** Adds a snapshot; late or duplicate ones (unreliable delivery) are dropped. */
  push(snapshot: Snapshot): void {
    const last = this.#snapshots.at(-1);
    if (last && snapshot.tick <= last.tick) return;
    this.#snapshots.push(snapshot);
    if (this.#snapshots.length > KEEP) this.#snapshots.shift();
  }

  /** Positions as of `now - INTERPOLATION_DELAY_MS`. */
  sample(now: number): Snapshot | null {
    const target = now - INTERPOLATION_DELAY_MS;
    const snapshots = this.#snapshots;
    if (snapshots.length === 0) return null;
    const after = snapshots.findIndex((s) => s.at >= target);
    if (after === -1) return snapshots.at(-1)!;
    if (after === 0) return snapshots[0]!;
    const a = snapshots[after - 1]!;
    const b = snapshots[after]!;
    const t = (target - a.at) / (b.at - a.at || 1);
    const players = new Map<number, { x: number; y: number }>();
    for (const [id, end] of b.players) {
      const start = a.players.get(id) ?? end;
      players.set(id, { x: start.x + (end.x - start.x) * t, y: start.y + (end.y - start.y) * t });
    }
    return { at: target, tick: b.tick, players, coins: b.coins };
  }

  clear(): void {
    this.#snapshots.length = 0;
  }
}
