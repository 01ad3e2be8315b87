// Learning a sender's interval from the gaps between stamps: losses (longer gaps) do not move it,
// a changed interval is taken (a shorter one at once by the smallest gap, a longer one once it
// is the gap the window mostly holds), and garbage gaps are ignored.
import { describe, expect, it } from "vitest";
import { SendInterval } from "../src/replication/send-interval.js";

describe("SendInterval", () => {
  it("is the initial guess until a gap is seen, then the gaps' interval whatever states were lost", () => {
    for (const statistic of ["lowest", "lower-median"] as const) {
      const interval = new SendInterval(33, statistic, 9);
      expect(interval.value).toBe(33);
      for (const gap of [200, 100, 100, 300, 100, 100, 200, 100, 100, 100]) interval.observe(gap);
      expect(interval.value, statistic).toBe(100);
    }
  });

  it("lowest: a shorter interval at once, a longer one when the window holds no shorter gap", () => {
    const interval = new SendInterval(3, "lowest", 4);
    for (const gap of [3, 3, 3, 1]) interval.observe(gap);
    expect(interval.value).toBe(1);
    for (const gap of [3, 3, 3]) interval.observe(gap);
    expect(interval.value).toBe(1); // the 1 is still in the window
    interval.observe(3);
    expect(interval.value).toBe(3);
  });

  it("lower-median: a gap that came early does not count, a new interval does after 5 of 9 gaps", () => {
    const interval = new SendInterval(50, "lower-median", 9);
    for (const gap of [50, 42, 58, 50, 47, 53, 50, 50, 50]) interval.observe(gap);
    expect(interval.value).toBe(50);
    for (let i = 0; i < 4; i++) interval.observe(100);
    expect(interval.value).toBeLessThan(60); // still one of the 50-ish gaps
    interval.observe(100);
    expect(interval.value).toBe(100);
  });

  it("ignores gaps that are not positive finite numbers", () => {
    const interval = new SendInterval(50, "lowest", 4);
    for (const gap of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) interval.observe(gap);
    expect(interval.value).toBe(50);
  });
});
