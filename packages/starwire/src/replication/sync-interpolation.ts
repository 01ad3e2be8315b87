import type { NetNode } from "../scene/net-node.js";
import { type InterpolationStats, Interpolator } from "./interpolation.js";
import { type Lerp, lerpEach, lerpFor } from "./lerp.js";
import { type SyncProperty, writeProperty } from "./replication-config.js";

/**
 * Snapshot interpolation of one synchronizer's interpolated properties (`interpolate: true |
 * "angle"`): one Interpolator over all of them (lerpEach of each property's lerpFor), so they
 * share one buffer and one delay and are shown at the same past moment. Fed with each received
 * state (host time = tick × 1000 / tickRate, arrival = the network clock), sampled and written on
 * every `multiplayer.poll()`.
 *
 * A property whose value has no lerp for its mode (a string, a Color as "angle") is written on
 * arrival instead: the lerps are picked from the first state, since a property's type is fixed.
 */
export class SyncInterpolation {
  readonly #interpolator: Interpolator<unknown[]>;

  private constructor(
    /** Indexes (into the synchronizer's "always" properties) of the properties interpolated. */
    readonly indexes: readonly number[],
    readonly properties: readonly SyncProperty[],
    interval: number,
    lerps: Lerp<unknown>[],
  ) {
    this.#interpolator = new Interpolator({ interval, lerp: lerpEach(lerps) as Lerp<unknown[]> });
  }

  /**
   * One for `properties` (a synchronizer's "always" properties) given their first received
   * `values`, or null when none of them is interpolated. `interval`: the effective send interval, ms.
   */
  static create(
    properties: readonly SyncProperty[],
    values: readonly unknown[],
    interval: number,
  ): SyncInterpolation | null {
    const indexes: number[] = [];
    const lerps: Lerp<unknown>[] = [];
    properties.forEach((property, i) => {
      const lerp = property.interpolate ? lerpFor(values[i], property.interpolate) : null;
      if (!lerp) return;
      indexes.push(i);
      lerps.push(lerp);
    });
    return indexes.length === 0 ? null : new SyncInterpolation(indexes, properties, interval, lerps);
  }

  /** Whether property `i` (of the "always" properties) is written by this interpolation. */
  has(i: number): boolean {
    return this.indexes.includes(i);
  }

  push(time: number, values: readonly unknown[], arrival: number): void {
    this.#interpolator.push(
      time,
      this.indexes.map((i) => values[i]),
      arrival,
    );
  }

  /** Writes the values to show at `now` into the root's properties. */
  sample(root: NetNode, now: number): void {
    const values = this.#interpolator.sample(now);
    if (!values) return;
    this.indexes.forEach((index, i) => {
      writeProperty(root, this.properties[index]!, values[i]);
    });
  }

  get stats(): InterpolationStats {
    return this.#interpolator.stats;
  }
}
