// The network clock's arithmetic with exact times (clock-estimator.ts): NTP offset, the min-RTT
// filter, the one step at synchronization, and slewed corrections that never go backwards.
import { describe, expect, it } from "vitest";
import { ClockEstimator, MAX_SLEW_MS, SLEW_RATE, SYNC_SAMPLES } from "../src/multiplayer/clock-estimator.js";

/** A seeded generator (mulberry32), so that every run sees the same jitter. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One ping sent at local `sent` to a host whose time is local + `offset`, `up` and `down` ms each way. */
function sample(clock: ClockEstimator, offset: number, sent: number, up: number, down: number): boolean {
  return clock.addSample(sent, sent + up + offset, sent + up + down);
}

describe("clock estimator", () => {
  it("keeps its stand-in until synchronized, then steps once to the NTP offset", () => {
    const clock = new ClockEstimator(-100);
    expect(clock.time(500)).toBe(400);
    for (let i = 0; i < SYNC_SAMPLES - 1; i++) {
      expect(sample(clock, 2500, 500 + i * 100, 15, 15)).toBe(false);
      expect(clock.synchronized).toBe(false);
    }
    expect(clock.time(990)).toBe(890);
    expect(sample(clock, 2500, 1000, 15, 15)).toBe(true);
    expect(clock.synchronized).toBe(true);
    expect(clock.time(1030)).toBe(1030 + 2500);
    expect(clock.rtt).toBe(30);
  });

  it("with jitter on one direction only, the lowest-round-trip sample keeps the error small", () => {
    const next = random(7);
    const clock = new ClockEstimator(0);
    const offset = 123_456.5;
    const naive: number[] = [];
    const errors: number[] = [];
    for (let i = 0; i < 120; i++) {
      const sent = 1000 * i;
      // uplink queueing: exponential, mean 30 ms; the downlink is steady at 20 ms
      const up = 20 - 30 * Math.log(1 - next());
      sample(clock, offset, sent, up, 20);
      naive.push(up / 2 - 10); // what this sample alone is off by
      if (i >= SYNC_SAMPLES) errors.push(Math.abs(clock.time(sent + up + 20) - (sent + up + 20) - offset));
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(naive)).toBeGreaterThan(10); // averaging the samples would be 10+ ms off
    expect(mean(errors)).toBeLessThan(3); // the filtered, slewed clock: a couple of ms
    expect(Math.max(...errors)).toBeLessThan(15);
  });

  it("slews corrections at most 5 % of elapsed time, never backwards, and arrives", () => {
    const clock = new ClockEstimator(0);
    for (let i = 1; i <= SYNC_SAMPLES; i++) sample(clock, 1000, i * 100, 10, 10);
    let local = SYNC_SAMPLES * 100 + 20;
    let last = clock.time(local);
    let slowest = Number.POSITIVE_INFINITY;
    let fastest = 0;
    const run = (ms: number) => {
      for (let i = 0; i < ms; i++) {
        local += 1;
        const time = clock.time(local);
        slowest = Math.min(slowest, time - last);
        fastest = Math.max(fastest, time - last);
        last = time;
      }
    };
    // The host's time turns out 200 ms ahead (every window sample says so), then 300 ms behind.
    for (const [shift, settle] of [
      [200, 200 / SLEW_RATE],
      [-300, 500 / SLEW_RATE],
    ] as const) {
      for (let i = 0; i < 8; i++) {
        sample(clock, 1000 + shift, local - 10, 5, 5); // answered now
        run(10);
      }
      run(settle);
      expect(clock.time(local) - local).toBeCloseTo(1000 + shift, 6);
    }
    expect(slowest).toBeGreaterThanOrEqual(1 - SLEW_RATE - 1e-9);
    expect(fastest).toBeLessThanOrEqual(1 + SLEW_RATE + 1e-9);
  });

  it("steps forward, never back, when the host's time is more than a second ahead", () => {
    const clock = new ClockEstimator(0);
    for (let i = 0; i < SYNC_SAMPLES; i++) sample(clock, 0, i * 100, 10, 10);
    const before = clock.time(1000);
    expect(sample(clock, MAX_SLEW_MS + 500, 1000, 1, 1)).toBe(true);
    expect(clock.time(1002)).toBeCloseTo(1002 + MAX_SLEW_MS + 500, 6);
    expect(clock.time(1002)).toBeGreaterThan(before);
  });

  it("the first synchronization may step back from the stand-in; after it, time never decreases", () => {
    const clock = new ClockEstimator(5000); // a stand-in ahead of the host
    const ahead = clock.time(100);
    for (let i = 0; i < SYNC_SAMPLES; i++) sample(clock, 0, 100 + i, 1, 1);
    expect(clock.time(200)).toBeLessThan(ahead);
    // A later sample far behind (a host time 900 ms earlier) slews instead.
    for (let i = 0; i < 8; i++) sample(clock, -900, 300 + i, 0.5, 0.5);
    let last = clock.time(400);
    let local = 400;
    while (local < 30_000) {
      local += 7;
      const time = clock.time(local);
      expect(time).toBeGreaterThanOrEqual(last);
      last = time;
    }
    expect(last - local).toBeCloseTo(-900, 6);
  });

  it("reports the median round trip of the window", () => {
    const clock = new ClockEstimator(0);
    expect(clock.rtt).toBeNull();
    for (const rtt of [50, 10, 30, 90, 20]) sample(clock, 0, 0, rtt / 2, rtt / 2);
    expect(clock.rtt).toBe(30);
  });
});
