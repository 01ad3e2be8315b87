// The snapshot interpolator on simulated links (seeded jitter, loss and reordering; simulated
// time, no wall clock): no stalls and a bounded delay where the issue sets targets, smooth
// motion, the extrapolation bound, recovery after a burst of loss, and a long gap.
import { describe, expect, it } from "vitest";
import { Vector2 } from "../src/math/vector2.js";
import { Interpolator } from "../src/replication/interpolation.js";
import { lerpAngle, lerpNumber, lerpVector2, shortestArc } from "../src/replication/lerp.js";
import { after, FRAME, LATENCY, run, SPEED, steps } from "./interpolation-link.js";

describe("Interpolator", () => {
  it("adds at most 2.5 send intervals of delay on a clean link, and shows exactly the host's past", () => {
    const { frames, stats } = run({ hz: 20 });
    expect(stats.stalls).toBe(0);
    expect(stats.transit).toBe(LATENCY);
    // From 3 s on: the first states are covered against loss until the link proves clean (0.7 s),
    // and playback then takes about 1.5 s to shed that interval of delay at up to 10 % speed.
    for (const frame of after(frames, 3000)) {
      // (+ 0.1 ms: the playback clock approaches its target exponentially, from above.)
      expect(frame.delay - LATENCY).toBeLessThanOrEqual(2.5 * 50 + 0.1);
      // Linear motion, interpolated: the value is the host's at the render time, to rounding.
      expect(frame.shown).toBeCloseTo((frame.now - frame.delay) * SPEED, 6);
    }
    // Once the link has shown it loses nothing, the delay settles at transit + 1.5 intervals.
    for (const frame of after(frames, 20_000)) expect(frame.delay).toBeCloseTo(LATENCY + 75, 6);
    expect(stats.loss).toBeLessThan(0.001); // the start-up assumption of 5 % has faded
    expect(stats.maxExtrapolation).toBe(50); // one interval: nothing to bridge but the next state
    expect(stats.corrections).toBe(0);
  });

  it("never stalls at 20 Hz under 20 ms jitter and 5 % loss, whatever the seed", () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const { frames, stats } = run({ hz: 20, jitter: 20, lossPercent: 5, seed });
      expect(stats.stalls, `seed ${seed}`).toBe(0);
      expect(stats.loss).toBeGreaterThan(0.02);
      expect(stats.loss).toBeLessThan(0.1);
      // Bounded: at most the transit plus maxDelay (10 intervals).
      for (const frame of frames) expect(frame.delay).toBeLessThanOrEqual(stats.transit + 500 + 1e-9);
    }
  });

  it("moves a steadily moving object forward every frame, with no sudden change of speed", () => {
    for (const seed of [11, 12, 13]) {
      const { frames } = run({ hz: 20, jitter: 20, lossPercent: 5, seed });
      const shown = after(frames, 500);
      const perFrame = steps(shown);
      for (const step of perFrame) expect(step).toBeGreaterThan(0);
      // The playback rate stays within ±10 % and changes by at most 0.5 per second: the shown
      // speed changes by less than 1 % of the true speed from one frame to the next.
      for (let i = 1; i < perFrame.length; i++) {
        expect(Math.abs(perFrame[i]! - perFrame[i - 1]!)).toBeLessThan(0.01 * SPEED * FRAME);
      }
      for (const frame of shown) {
        expect(frame.timeScale).toBeGreaterThanOrEqual(0.9);
        expect(frame.timeScale).toBeLessThanOrEqual(1.1);
      }
    }
  });

  it("never steps back on a monotone object whose speed varies, under jitter and loss", () => {
    // Speed between 0.025 and 0.175 units/ms: extrapolating at the last speed could overshoot.
    const motion = (t: number) => t * SPEED + 30 * Math.sin(t / 400);
    for (const seed of [21, 22, 23]) {
      const { frames, stats } = run({ hz: 20, jitter: 20, lossPercent: 5, seed, motion });
      expect(stats.stalls).toBe(0);
      for (const step of steps(after(frames, 500))) expect(step).toBeGreaterThan(0);
    }
  });

  it("raises its delay when jitter and loss appear and lowers it, gradually, when they go", () => {
    const clean = run({ hz: 20, seconds: 30 }).frames.at(-1)!;
    const lossyRun = run({ hz: 20, seconds: 30, jitter: 20, lossPercent: 5, seed: 3 });
    const lossy = lossyRun.frames.at(-1)!;
    // Bursts of loss are bridged by more delay and a longer extrapolation bound together.
    expect(lossy.target).toBeGreaterThan(clean.target + 25);
    expect(lossyRun.stats.maxExtrapolation).toBeGreaterThan(50);
    expect(clean.target).toBeCloseTo(LATENCY + 75, 6);

    // Lossy then clean, on one interpolator: the delay comes back down without a jump.
    const interpolator = new Interpolator({ interval: 50, lerp: lerpNumber });
    const seconds = 40;
    const first = run({ hz: 20, seconds, jitter: 20, lossPercent: 5, seed: 4 }, interpolator);
    const before = first.frames.at(-1)!.delay;
    // The same interpolator continues on a clean link.
    const offset = seconds * 1000;
    const delays: number[] = [];
    for (let k = 0; k < 20 * 30; k++) {
      const time = offset + k * 50;
      interpolator.push(time, time * SPEED, time + LATENCY);
      for (let now = time; now < time + 50; now += FRAME) {
        interpolator.sample(now);
        delays.push(interpolator.stats.delay);
      }
    }
    expect(before).toBeGreaterThan(LATENCY + 100);
    expect(delays.at(-1)!).toBeLessThan(LATENCY + 2.5 * 50 + 1e-9);
    for (let i = 1; i < delays.length; i++) {
      expect(Math.abs(delays[i]! - delays[i - 1]!)).toBeLessThanOrEqual(0.1 * FRAME + 1e-9); // rate 0.9–1.1
    }
  });

  it("extrapolates at most its bound past the newest state, then holds and counts a stall", () => {
    const interpolator = new Interpolator({ interval: 50, lerp: lerpNumber });
    for (let k = 0; k <= 20; k++) interpolator.push(k * 50, k * 50 * SPEED, k * 50 + LATENCY);
    const newest = 20 * 50;
    const shown: number[] = [];
    for (let now = 500; now < 2500; now += FRAME) shown.push(interpolator.sample(now)!);
    const highest = Math.max(...shown);
    const { stalls, extrapolated, buffered, maxExtrapolation } = interpolator.stats;
    // 21 states are not yet enough to rule out the bursts of a lossy link: more than one interval.
    expect(maxExtrapolation).toBeGreaterThan(50);
    expect(maxExtrapolation).toBeLessThanOrEqual(2.5 * 50);
    expect(highest).toBeCloseTo((newest + maxExtrapolation) * SPEED, 6); // continued exactly that far
    expect(shown.at(-1)).toBe(highest); // then held
    for (let i = 1; i < shown.length; i++) expect(shown[i]!).toBeGreaterThanOrEqual(shown[i - 1]!);
    expect(stalls).toBe(1); // one stall, however many frames it lasted
    expect(extrapolated).toBeGreaterThan(0);
    expect(buffered).toBe(0);
  });

  it("recovers from a burst of loss: one stall, no step backwards, then smooth and stall-free", () => {
    const { frames, stats } = run({ hz: 20, jitter: 20, seconds: 30, outage: [10_000, 10_600], seed: 5 });
    expect(stats.stalls).toBe(1);
    const shown = after(frames, 500);
    for (const step of steps(shown)) expect(step).toBeGreaterThanOrEqual(0);
    // The held value jumps to the present once states return, then motion is smooth again.
    const big = steps(shown).filter((step) => step > 2 * SPEED * FRAME);
    expect(big.length).toBe(1);
    const later = after(frames, 12_000);
    for (const frame of later) expect(frame.shown).toBeCloseTo((frame.now - frame.delay) * SPEED, 6);
  });

  it("after a long silence snaps once to the new state and never shows an older one", () => {
    // The object moves, the sender goes quiet for 5 s, during which it teleported back to 0.
    const motion = (t: number) => (t < 10_000 ? t * SPEED : (t - 15_000) * SPEED);
    const { frames, stats } = run({ hz: 20, seconds: 25, silence: [10_000, 15_000], motion });
    const shown = after(frames, 500);
    const changes = steps(shown);
    const jumps = changes.filter((step) => Math.abs(step) > 2 * SPEED * FRAME);
    expect(jumps.length).toBe(1); // one snap, no slow slide across the gap
    expect(jumps[0]!).toBeLessThan(0); // to the new (teleported) place
    const snap = changes.indexOf(jumps[0]!) + 1;
    // Shown from the first state after the silence on, at its time.
    expect(shown[snap]!.shown).toBeGreaterThanOrEqual(0);
    expect(shown[snap]!.shown).toBeLessThan(SPEED * FRAME);
    for (const step of changes.slice(snap)) expect(step).toBeGreaterThan(0); // then forward again
    expect(stats.stalls).toBe(1); // the silence itself
    // The silence is not taken for loss or lateness: the delay returns to the clean link's.
    expect(stats.loss).toBeLessThan(0.01);
    expect(frames.at(-1)!.delay).toBeCloseTo(LATENCY + 75, 6);
  });

  it("keeps out-of-order states that are still ahead, drops duplicates and ones already played", () => {
    const interpolator = new Interpolator({ interval: 50, lerp: lerpNumber });
    expect(interpolator.push(100, 10, 140)).toBe(true);
    expect(interpolator.push(0, 0, 141)).toBe(true); // late, but nothing was shown yet
    expect(interpolator.push(100, 99, 142)).toBe(false); // duplicate
    expect(interpolator.push(50, 20, 143)).toBe(true); // fills the hole (off the line from 0 to 10)
    // The first sample starts playback at now − target: sample so that it shows host time 25.
    expect(interpolator.sample(25 + interpolator.stats.targetDelay)).toBeCloseTo(10, 9); // 0 → 20, halfway
    let now = 141;
    for (; now < 600; now += FRAME) interpolator.sample(now);
    // Playback is now past 100: a state before it can no longer be shown.
    expect(now - FRAME - interpolator.stats.delay).toBeGreaterThan(100);
    expect(interpolator.push(75, 7.5, now)).toBe(false);
    expect(interpolator.push(Number.NaN, 1, now)).toBe(false);
    expect(interpolator.push(300, 30, Number.POSITIVE_INFINITY)).toBe(false);
    // Stamped 10 s after it arrived: garbage, which would otherwise drag playback into the future.
    expect(interpolator.push(now + 10_000, 1e6, now)).toBe(false);
    expect(interpolator.stats.dropped).toBe(5);
    expect(interpolator.sample(now + FRAME)).toBeLessThan(20); // still showing the real states
  });

  it("places states that arrive out of order where they belong", () => {
    // ±40 ms of jitter at 20 Hz: states overtake one another.
    const { frames, stats, reordered } = run({ hz: 20, jitter: 40, seconds: 30, seed: 8 });
    expect(reordered).toBeGreaterThan(20);
    expect(stats.stalls).toBe(0);
    for (const frame of after(frames, 1000)) {
      expect(frame.shown).toBeCloseTo((frame.now - frame.delay) * SPEED, 6); // the host's past, exactly
    }
  });

  it("turns an angle through ±π the short way, continuously", () => {
    // One turn every 2 s, sent wrapped into (−π, π] as a game would.
    const turn = (2 * Math.PI) / 2000;
    const wrap = (a: number) => Math.atan2(Math.sin(a), Math.cos(a));
    const { frames } = run(
      { hz: 20, seconds: 10, jitter: 20, lossPercent: 5, seed: 6, motion: (t) => wrap(t * turn) },
      new Interpolator({ interval: 50, lerp: lerpAngle }),
    );
    const shown = after(frames, 500);
    for (let i = 1; i < shown.length; i++) {
      const step = shortestArc(shown[i - 1]!.shown, shown[i]!.shown);
      expect(step).toBeGreaterThan(0);
      expect(step).toBeLessThan(1.2 * turn * FRAME);
    }
  });

  it("interpolates vectors through the same buffer", () => {
    const interpolator = new Interpolator({ interval: 50, lerp: lerpVector2 });
    interpolator.push(0, new Vector2(0, 0), 40);
    interpolator.push(50, new Vector2(10, -10), 90);
    const shown = interpolator.sample(25 + interpolator.stats.targetDelay); // shows host time 25
    expect(shown).toEqual(new Vector2(5, -5));
  });

  it("shows the first state until playback reaches it, and nothing before any state", () => {
    const interpolator = new Interpolator({ interval: 50, lerp: lerpNumber });
    expect(interpolator.sample(0)).toBeUndefined();
    interpolator.push(1000, 42, 1040);
    expect(interpolator.sample(1040)).toBe(42);
    expect(interpolator.stats.buffered).toBe(1);
    interpolator.clear();
    expect(interpolator.sample(1100)).toBeUndefined();
  });

  it("keeps at most `capacity` states against a sender that floods", () => {
    const interpolator = new Interpolator({ interval: 50, lerp: lerpNumber, capacity: 8 });
    for (let k = 0; k < 1000; k++) interpolator.push(k * 50, k, 50_000 + LATENCY);
    expect(interpolator.stats.buffered).toBe(8);
    expect(interpolator.sample(50_000 + LATENCY)).toBe(992); // the oldest state kept
  });

  it("waits, and never rewinds, when `now` goes backwards", () => {
    const interpolator = new Interpolator({ interval: 50, lerp: lerpNumber });
    for (let k = 0; k < 40; k++) interpolator.push(k * 50, k * 50 * SPEED, k * 50 + LATENCY);
    const shown = interpolator.sample(1500)!;
    expect(interpolator.sample(1200)).toBe(shown);
    expect(interpolator.sample(1300)).toBe(shown); // still behind the latest `now` seen
    expect(interpolator.sample(1500 + FRAME)!).toBeGreaterThan(shown);
  });

  it("refuses an interval that is not a positive number", () => {
    expect(() => new Interpolator({ interval: 0, lerp: lerpNumber })).toThrow(RangeError);
    expect(() => new Interpolator({ interval: Number.NaN, lerp: lerpNumber })).toThrow(RangeError);
  });
});
