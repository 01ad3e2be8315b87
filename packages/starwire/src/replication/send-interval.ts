/**
 * A sender's send interval, learned from the stamps of the states that arrive, so a receiver
 * need not be configured like its sender (nor the sender keep one interval). Stamps are host
 * times or ticks: a gap between two consecutive states is one interval, or a multiple of it
 * when states were lost or left out, never less. So the estimate is a low order statistic of
 * the recent gaps, which losses do not move:
 * - `"lowest"`: the smallest recent gap, for exact stamps (host ticks), where any two
 *   consecutive states tell the interval exactly and a shorter one is seen at once;
 * - `"lower-median"`: for stamps that may wobble (a sender stamping with its frame times), where
 *   the smallest gap would be one that came early.
 * Either way a longer interval is taken once it is the gap the window mostly (or only) holds.
 */
export class SendInterval {
  readonly #gaps: number[] = [];
  #next = 0;
  #value: number;

  constructor(
    /** Assumed until a gap is seen (the receiver's own configuration). */
    initial: number,
    readonly statistic: "lowest" | "lower-median",
    /** Gaps remembered. */
    readonly window: number,
  ) {
    this.#value = initial;
  }

  get value(): number {
    return this.#value;
  }

  /** A gap between two consecutive stamps; ignored unless a positive finite number. */
  observe(gap: number): void {
    if (!(gap > 0 && Number.isFinite(gap))) return;
    if (this.#gaps.length < this.window) this.#gaps.push(gap);
    else this.#gaps[this.#next] = gap;
    this.#next = (this.#next + 1) % this.window;
    if (this.statistic === "lowest") {
      this.#value = Math.min(...this.#gaps);
      return;
    }
    const sorted = this.#gaps.slice().sort((a, b) => a - b);
    this.#value = sorted[(sorted.length - 1) >> 1]!;
  }
}
