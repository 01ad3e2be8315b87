// The interpolator against what its configuration does not know: a sender whose interval differs
// from the receiver's setting (or changes), states that arrive after playback extrapolated past
// them (the correction back onto the true path), and the delay a lossy link costs.
import { describe, expect, it } from "vitest";
import { Interpolator } from "../src/replication/interpolation.js";
import { lerpNumber } from "../src/replication/lerp.js";
import { after, FRAME, type Frame, LATENCY, run, SPEED, steps } from "./interpolation-link.js";

/** The median of `values`. */
function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/** Frames whose shown value is the host's at the shown time, to rounding. */
const onPath = (frames: Frame[], motion: (t: number) => number) =>
  frames.every((frame) => Math.abs(frame.shown - motion(frame.now - frame.delay)) < 1e-6);

describe("Interpolator: the sender's interval is learned from the stamps", () => {
  it("sizes the delay for a 10 Hz sender although configured for 30 Hz, without stalls", () => {
    const configuredFor30 = () => new Interpolator({ interval: 1000 / 30, lerp: lerpNumber });
    const clean = run({ hz: 10, seconds: 40 }, configuredFor30());
    // Transit + 1.5 of the sender's intervals, as a receiver configured for 10 Hz would have.
    for (const frame of after(clean.frames, 30_000)) expect(frame.delay).toBeCloseTo(LATENCY + 150, 6);
    expect(clean.stats.loss).toBeLessThan(0.01); // the 100 ms gaps are not taken for lost states
    expect(clean.stats.stalls).toBe(0);
    expect(clean.stats.interval).toBe(100);
    expect(onPath(after(clean.frames, 1000), (t) => t * SPEED)).toBe(true);

    for (const seed of [1, 2, 3]) {
      const lossy = run({ hz: 10, seconds: 40, jitter: 20, lossPercent: 5, seed }, configuredFor30());
      expect(lossy.stats.stalls, `seed ${seed}`).toBe(0);
      expect(lossy.stats.interval).toBe(100);
      expect(lossy.stats.loss).toBeLessThan(0.1);
    }
  });

  it("sizes the delay for a 30 Hz sender although configured for 10 Hz", () => {
    const { frames, stats } = run(
      { hz: 30, seconds: 30 },
      new Interpolator({ interval: 100, lerp: lerpNumber }),
    );
    for (const frame of after(frames, 20_000)) expect(frame.delay).toBeCloseTo(LATENCY + 50, 6);
    expect(stats.stalls).toBe(0);
    expect(stats.interval).toBeCloseTo(1000 / 30, 9);
  });

  it("follows a sender that changes its interval while it plays: the delay of the new rate", () => {
    // 30 Hz, then 10 Hz from 20 s, then 30 Hz again from 50 s.
    const nextAfter = (t: number) => (t >= 20_000 && t < 50_000 ? 100 : 1000 / 30);
    const { frames, stats } = run({ hz: 30, seconds: 80, jitter: 10, nextAfter, seed: 4 });
    const at = (now: number) => frames.find((frame) => frame.now >= now)!;
    // Once the link proved clean again: transit (+ jitter) + 1.5 intervals of the rate in use.
    expect(at(45_000).target).toBeGreaterThan(LATENCY - 10 + 150);
    expect(at(45_000).target).toBeLessThan(LATENCY + 10 + 150 + 1e-6);
    expect(at(79_000).target).toBeLessThan(LATENCY + 10 + 50 + 1e-6);
    // At most once, at the slowdown: the first longer gap cannot be told from lost states.
    expect(stats.stalls).toBeLessThanOrEqual(1);
    expect(stats.interval).toBeCloseTo(1000 / 30, 9);
    // Off the path only while it held at the slowdown and blended back.
    expect(onPath(after(frames, 22_000), (t) => t * SPEED)).toBe(true);
    for (const step of steps(after(frames, 1000))) expect(step).toBeGreaterThanOrEqual(0);
  });
});

describe("Interpolator: a state that arrives after an extrapolation", () => {
  // Moving up at SPEED, turning back at host time 9975: between two states at 20 Hz, so
  // extrapolating past the state at 9950 overshoots the turn.
  const TURN = 9975;
  const turning = (t: number) => (t < TURN ? t * SPEED : (2 * TURN - t) * SPEED);

  it("blends back onto the true path: no snap, a bounded reversal, on the path two intervals later", () => {
    // The states from 10 000 to 10 100 come 120 ms late: playback extrapolates past 9950, holds,
    // and learns of the turn only then.
    const { frames, stats } = run({ hz: 20, seconds: 12, motion: turning, late: [10_000, 10_150, 120] });
    const around = frames.filter((frame) => frame.now >= 9_000 && frame.now < 11_000);
    const perFrame = steps(around);
    const overshoot = Math.max(...around.map((frame) => frame.shown)) - TURN * SPEED;
    // A snap back would cover the overshoot and the turn's lead at once (about 6 frames of motion):
    // the blend moves at most 3 frames' worth in one.
    for (const step of perFrame) expect(Math.abs(step)).toBeLessThanOrEqual(3 * SPEED * FRAME);
    expect(overshoot).toBeGreaterThan(SPEED * FRAME); // the wrong guess being corrected
    expect(overshoot).toBeLessThanOrEqual(stats.maxExtrapolation * SPEED); // bounded by the extrapolation bound
    // Two intervals after the last late state arrived, and from then on: exactly the host's past.
    expect(onPath(after(frames, 10_100 + LATENCY + 120 + 100), turning)).toBe(true);
    expect(stats.corrections).toBeGreaterThan(0);
  });

  it("changes nothing when the extrapolation was right", () => {
    const { frames, stats } = run({ hz: 20, seconds: 12, late: [10_000, 10_150, 120] });
    expect(stats.stalls).toBe(1); // 120 ms late is beyond the bound on a clean link
    // Straight motion is extrapolated exactly: only the hold (the stall) leaves the path, and the
    // blend from it is monotone.
    for (const step of steps(after(frames, 500))) expect(step).toBeGreaterThanOrEqual(0);
    expect(onPath(after(frames, 10_500), (t) => t * SPEED)).toBe(true);
    expect(stats.corrections).toBeGreaterThan(0);
  });
});

describe("Interpolator: the delay a lossy link costs", () => {
  it("keeps under 2.5 send intervals of added delay at 20 Hz, 20 ms jitter and 5 % loss, without stalls", () => {
    const added: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const { frames, stats } = run({ hz: 20, jitter: 20, lossPercent: 5, seed });
      expect(stats.stalls, `seed ${seed}`).toBe(0);
      for (const frame of after(frames, 5000)) added.push(frame.delay - LATENCY);
    }
    expect(median(added)).toBeLessThan(2.5 * 50);
  });

  it("covers with the delay alone what a fixed extrapolation bound does not", () => {
    // The same link, extrapolation fixed at one interval: bursts are bridged by a longer delay.
    for (const seed of [1, 2, 3]) {
      const fixed = new Interpolator({ interval: 50, lerp: lerpNumber, maxExtrapolation: 50 });
      const { frames, stats } = run({ hz: 20, jitter: 20, lossPercent: 5, seed }, fixed);
      expect(stats.stalls, `seed ${seed}`).toBe(0);
      expect(median(after(frames, 5000).map((frame) => frame.delay - LATENCY))).toBeGreaterThan(2.5 * 50);
      expect(stats.maxExtrapolation).toBe(50);
    }
  });
});
