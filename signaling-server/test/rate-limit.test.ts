import { describe, expect, it } from "vitest";
import { KeyedRateLimit, TokenBucket } from "../src/rate-limit.js";

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

describe("TokenBucket.hasToken and isFull", () => {
  it("look without spending", () => {
    const { bucket, advance, takeMany } = bucketWithClock(10, 2);
    expect(bucket.isFull()).toBe(true);
    expect(bucket.hasToken()).toBe(true);
    expect(takeMany(1)).toBe(1);
    expect(bucket.isFull()).toBe(false);
    expect(takeMany(1)).toBe(1);
    expect(bucket.hasToken()).toBe(false);
    expect(bucket.hasToken()).toBe(false);
    advance(100);
    expect(bucket.hasToken()).toBe(true);
    advance(100);
    expect(bucket.isFull()).toBe(true);
  });
});

function keyedWithClock(perMinute: number, maxKeys?: number) {
  let now = 5000;
  const limit = new KeyedRateLimit(perMinute, () => now, maxKeys);
  return {
    limit,
    advance(ms: number) {
      now += ms;
    },
    takeMany(key: string, count: number) {
      return Array.from({ length: count }, () => limit.take(key)).filter(Boolean).length;
    },
  };
}

describe("KeyedRateLimit", () => {
  it("allows perMinute at once per key, then one every 60/perMinute seconds", () => {
    const { limit, advance, takeMany } = keyedWithClock(30);
    expect(takeMany("a", 40)).toBe(30);
    expect(limit.allows("a")).toBe(false);
    expect(takeMany("b", 5)).toBe(5);
    advance(1999);
    expect(takeMany("a", 5)).toBe(0);
    advance(1);
    expect(takeMany("a", 5)).toBe(1);
  });

  it("allows() spends nothing, and an unknown key is allowed without being remembered", () => {
    const { limit, takeMany } = keyedWithClock(2);
    for (let i = 0; i < 10; i++) expect(limit.allows("x")).toBe(true);
    expect(limit.size).toBe(0);
    expect(takeMany("x", 3)).toBe(2);
  });

  it("is unlimited with perMinute 0, and remembers nothing", () => {
    const { limit, takeMany } = keyedWithClock(0);
    expect(limit.enabled).toBe(false);
    expect(takeMany("a", 10_000)).toBe(10_000);
    expect(limit.allows("a")).toBe(true);
    expect(limit.size).toBe(0);
  });

  it("forgets keys whose buckets have refilled, at the next call after a minute", () => {
    const { limit, advance, takeMany } = keyedWithClock(10);
    for (let i = 0; i < 100; i++) takeMany(`k${i}`, 1);
    takeMany("busy", 10);
    expect(limit.size).toBe(101);
    advance(30_000);
    takeMany("busy", 5);
    // Not a minute since the last sweep yet: nothing forgotten.
    expect(limit.size).toBe(101);
    advance(30_000);
    expect(limit.allows("anyone")).toBe(true);
    // "busy" spent 5 of the 5 it had regained 30 s ago and has regained only 5 since: kept.
    expect(limit.size).toBe(1);
    advance(60_000);
    limit.allows("anyone");
    expect(limit.size).toBe(0);
  });

  it("never holds more than maxKeys, dropping the oldest when full", () => {
    const { limit, takeMany } = keyedWithClock(1, 3);
    for (const key of ["a", "b", "c", "d"]) takeMany(key, 1);
    expect(limit.size).toBe(3);
    // "a" was dropped, so it starts over; "d" is still limited.
    expect(limit.allows("a")).toBe(true);
    expect(limit.allows("d")).toBe(false);
  });
});
