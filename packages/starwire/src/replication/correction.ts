// The way back from a wrong extrapolation. Past the newest state the interpolator continues the
// last motion; when the state it waited for arrives, the true path may be elsewhere (the object
// turned or stopped). Jumping there would be a visible snap, backwards when it stopped. Instead
// the shown value blends, over a short bounded time, from the path that was being shown (its
// linear continuation: exact when the guess was right, so a right guess changes nothing) to the
// true path. The wrong guess is undone, so a reversal is at most the overshoot (plus a quarter of
// the duration's worth of the speed shown); a per-frame step is at most the motion plus
// 1.5 × frame / duration of the distance between the two paths.
import type { Lerp } from "./lerp.js";

interface Shown<T> {
  /** The host time (playback) it was shown for. */
  render: number;
  value: T;
}

interface Blend<T> {
  /** The last two values shown before the correction: the path being shown, continued linearly. */
  before: Shown<T> | undefined;
  last: Shown<T>;
}

export class Correction<T> {
  #before: Shown<T> | undefined;
  #last: Shown<T> | undefined;
  #blend: Blend<T> | null = null;
  /** Corrections started: a state arrived after playback had extrapolated past the newest one. */
  count = 0;

  constructor(readonly lerp: Lerp<T>) {}

  /**
   * Starts a correction: from now on `apply` blends from the path shown so far, continued, to the
   * value it is given. A correction in progress is replaced, its blended path being the one continued.
   */
  start(): void {
    const last = this.#last;
    if (last === undefined) return;
    this.#blend = { before: this.#before, last };
    this.count++;
  }

  /** Ends a correction in progress at once (the value snaps on purpose: a teleport after a gap). */
  stop(): void {
    this.#blend = null;
  }

  /** The value to show at host time `render`, where the true path is `value`; then remembers it. */
  apply(render: number, value: T, duration: number): T {
    const blend = this.#blend;
    let shown = value;
    if (blend !== null) {
      const progress = (render - blend.last.render) / duration;
      if (progress >= 1) this.#blend = null;
      else shown = this.lerp(this.#ghost(blend, render), value, smoothstep(Math.max(0, progress)));
    }
    // Kept only as playback advances, so the last two are at different times (a direction).
    if (this.#last === undefined || render > this.#last.render) {
      this.#before = this.#last;
      this.#last = { render, value: shown };
    }
    return shown;
  }

  clear(): void {
    this.#before = undefined;
    this.#last = undefined;
    this.#blend = null;
  }

  /** Where the path shown before the correction would be at `render`. */
  #ghost(blend: Blend<T>, render: number): T {
    const { before, last } = blend;
    if (before === undefined) return last.value;
    return this.lerp(before.value, last.value, (render - before.render) / (last.render - before.render));
  }
}

/** 0 → 1 with zero slope at both ends (at most 1.5 in between): no kink where the blend starts or ends. */
function smoothstep(x: number): number {
  return x * x * (3 - 2 * x);
}
