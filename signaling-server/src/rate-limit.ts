/** Milliseconds from a monotonic clock; injectable for tests. */
export type Clock = () => number;

export const monotonicClock: Clock = () => performance.now();

/**
 * Token bucket: allows bursts up to `burst` events, then `ratePerSecond` sustained. One bucket per
 * socket keeps a single noisy client from starving the event loop for everyone else.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: Clock = monotonicClock,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Spends one token; false means the event should be dropped. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whether `take` would succeed now, without spending anything. */
  hasToken(): boolean {
    this.refill();
    return this.tokens >= 1;
  }

  /** Milliseconds until `take` would succeed (0 when it would now); spends nothing. */
  msUntilToken(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.ratePerSecond) * 1000;
  }

  /** A full bucket behaves exactly like a new one, so whoever keeps it may forget it. */
  isFull(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): void {
    const now = this.now();
    // max(0, …) so a clock that steps backwards never drains the bucket.
    const elapsedSeconds = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsedSeconds * this.ratePerSecond);
  }
}

/** Milliseconds as the whole seconds a client is told to wait: rounded up, and never 0. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** Bounds memory if a flood of distinct keys arrives faster than buckets refill. */
export const DEFAULT_MAX_KEYS = 100_000;

const MINUTE_MS = 60_000;

/**
 * "N per minute" for each key (a client address): a token bucket of N that refills N a minute,
 * so a burst of N is allowed and then one every 60/N seconds. `perMinute` 0 means unlimited.
 *
 * State is kept only while it matters: a bucket that has refilled is forgotten, since a new one
 * would be identical. Forgetting happens in a sweep at most once a minute, run by the calls
 * themselves (no timer to leak); `maxKeys` caps the map in between by dropping the oldest key.
 */
export class KeyedRateLimit {
  private readonly buckets = new Map<string, TokenBucket>();
  private lastSweep: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: Clock = monotonicClock,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {
    this.lastSweep = now();
  }

  get enabled(): boolean {
    return this.perMinute > 0;
  }

  /** Keys currently remembered (for tests and debug stats). */
  get size(): number {
    return this.buckets.size;
  }

  /** Whether `key` could spend one now; spends nothing. */
  allows(key: string): boolean {
    if (!this.enabled) return true;
    this.sweepIfDue();
    return this.buckets.get(key)?.hasToken() ?? true;
  }

  /**
   * Whole seconds until `key` could spend one again (at least 1): what a refused client is told
   * in `retryAfterSeconds`.
   */
  retryAfterSeconds(key: string): number {
    return retryAfterSeconds(this.enabled ? (this.buckets.get(key)?.msUntilToken() ?? 0) : 0);
  }

  /** Spends one of `key`'s tokens; false means the limit is reached. */
  take(key: string): boolean {
    if (!this.enabled) return true;
    this.sweepIfDue();
    return this.bucketFor(key).take();
  }

  private bucketFor(key: string): TokenBucket {
    const existing = this.buckets.get(key);
    if (existing !== undefined) return existing;
    if (this.buckets.size >= this.maxKeys) this.sweep();
    if (this.buckets.size >= this.maxKeys) {
      // Maps iterate in insertion order: the first key is the longest-tracked one.
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    const bucket = new TokenBucket(this.perMinute / 60, this.perMinute, this.now);
    this.buckets.set(key, bucket);
    return bucket;
  }

  private sweepIfDue(): void {
    if (this.now() - this.lastSweep >= MINUTE_MS) this.sweep();
  }

  private sweep(): void {
    this.lastSweep = this.now();
    for (const [key, bucket] of this.buckets) {
      if (bucket.isFull()) this.buckets.delete(key);
    }
  }
}
