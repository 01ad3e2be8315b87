/**
 * The network clock's arithmetic, free of I/O so that it can be tested with exact times (WIRE.md,
 * "Network clock", has the protocol around it).
 *
 * A sample is one ping answered: the client sent at `sent` (its own clock), the host answered at
 * `hostTime` (the host's clock), the answer arrived at `received` (the client's clock). The host
 * answers as soon as the ping arrives, so NTP's offset formula reads
 *
 *   rtt    = received − sent
 *   offset = hostTime + rtt / 2 − received          (host time ≈ local time + offset)
 *
 * and its error is at most rtt / 2 (all of the trip on one side). A sample whose trip was slowed by
 * queueing is off by half the extra delay, so of the last WINDOW samples the one with the lowest
 * round trip sets the target offset (NTP's clock filter).
 *
 * The time shown is `local + applied`. Until SYNC_SAMPLES samples arrived, `applied` stays where
 * the owner put it (a stand-in time); the first synchronization sets it to the target at once (the
 * one step). After that it only moves toward the target at SLEW_RATE: the time runs between 95 %
 * and 105 % of real speed while it catches up, never backwards. A target more than
 * MAX_SLEW_MS ahead (the host's time jumped, say after a suspended machine woke) is stepped to,
 * forward, rather than slewed for minutes.
 */
export const SAMPLE_WINDOW = 8;
export const SYNC_SAMPLES = 5;
export const SLEW_RATE = 0.05;
export const MAX_SLEW_MS = 1000;

interface Sample {
  rtt: number;
  offset: number;
}

export class ClockEstimator {
  readonly #samples: Sample[] = [];
  #applied: number;
  #target: number;
  #lastLocal = Number.NEGATIVE_INFINITY;
  #lastTime = Number.NEGATIVE_INFINITY;
  #synchronized = false;

  /** `offset`: the stand-in, `time(local) = local + offset` until the first synchronization. */
  constructor(offset: number) {
    this.#applied = offset;
    this.#target = offset;
  }

  get synchronized(): boolean {
    return this.#synchronized;
  }

  /** The offset in use: `time(local) − local`. */
  get offset(): number {
    return this.#applied;
  }

  /** The offset the slew is heading for (the lowest-round-trip sample's). */
  get target(): number {
    return this.#target;
  }

  /** The median round trip of the window, ms; null before any sample. */
  get rtt(): number | null {
    if (this.#samples.length === 0) return null;
    const sorted = this.#samples.map((sample) => sample.rtt).sort((a, b) => a - b);
    return sorted[(sorted.length - 1) >> 1]!;
  }

  /** The host's time at local time `local` (which only grows between calls). Never decreases after synchronization. */
  time(local: number): number {
    this.#advance(local);
    const time = Math.max(local + this.#applied, this.#lastTime);
    this.#lastTime = time;
    return time;
  }

  /** Takes one answered ping; true when the time stepped (the first synchronization, or a big forward correction). */
  addSample(sent: number, hostTime: number, received: number): boolean {
    this.#advance(received);
    const rtt = Math.max(0, received - sent);
    this.#samples.push({ rtt, offset: hostTime + rtt / 2 - received });
    if (this.#samples.length > SAMPLE_WINDOW) this.#samples.shift();
    let best = this.#samples[0]!;
    for (const sample of this.#samples) if (sample.rtt < best.rtt) best = sample;
    this.#target = best.offset;
    if (!this.#synchronized) {
      if (this.#samples.length < SYNC_SAMPLES) return false;
      this.#synchronized = true;
      return this.#step();
    }
    return this.#target - this.#applied > MAX_SLEW_MS ? this.#step() : false;
  }

  #step(): true {
    this.#applied = this.#target;
    this.#lastTime = Number.NEGATIVE_INFINITY; // the one step allowed may go backwards
    return true;
  }

  /** Moves the applied offset toward the target by at most SLEW_RATE of the local time elapsed. */
  #advance(local: number): void {
    const elapsed = local - this.#lastLocal;
    this.#lastLocal = Math.max(local, this.#lastLocal);
    if (!this.#synchronized || !(elapsed > 0) || elapsed === Number.POSITIVE_INFINITY) return;
    const room = elapsed * SLEW_RATE;
    const gap = this.#target - this.#applied;
    this.#applied += Math.max(-room, Math.min(room, gap));
  }
}
