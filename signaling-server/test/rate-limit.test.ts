import { describe, expect, it } from "vitest";
import { TokenBucket } from "../src/rate-limit.js";

function bucketWithClock(rate: number, burst: number) {
  let now = 1000;
  const bucket = new TokenBucket(rate, burst, () => now);
  return {
    bucket,
    advance(ms: number) {
      now += ms;
    },
    takeMany(count: number) {
      return Array.from({ length: count }, () => bucket.take()).filter(Boolean).length;
    },
  };
}

describe("TokenBucket", () => {
  it("allows a full burst, then refuses", () => {
    const { takeMany } = bucketWithClock(10, 5);
    expect(takeMany(8)).toBe(5);
  });

  it("refills at the configured rate, never above the burst", () => {
    const { advance, takeMany } = bucketWithClock(10, 5);
    takeMany(5);
    advance(250);
    expect(takeMany(10)).toBe(2);
    advance(60_000);
    expect(takeMany(10)).toBe(5);
  });

  it("does not drain when the clock steps backwards", () => {
    const { advance, takeMany } = bucketWithClock(10, 3);
    advance(-10_000);
    expect(takeMany(3)).toBe(3);
  });
});
