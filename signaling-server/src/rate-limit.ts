/** Milliseconds from a monotonic clock; injectable for tests. */
export type Clock = () => number;

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
    private readonly now: Clock = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Spends one token; false means the event should be dropped. */
  take(): boolean {
    const now = this.now();
    // max(0, …) so a clock that steps backwards never drains the bucket.
    const elapsedSeconds = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsedSeconds * this.ratePerSecond);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
