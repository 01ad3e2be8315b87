/** Per-peer limits the host applies to what clients send, before decoding anything. */
export interface RateLimits {
  messagesPerSecond: number;
  messageBurst: number;
  bytesPerSecond: number;
  byteBurst: number;
  /** "drop": over-limit packets are rejected; "kick": the peer is disconnected. */
  policy: "drop" | "kick";
}

/** Far above a 60 Hz game (a few hundred small messages a second), far below a flood. */
export const DEFAULT_RATE_LIMITS: Readonly<RateLimits> = Object.freeze({
  messagesPerSecond: 600,
  messageBurst: 1200,
  bytesPerSecond: 512 * 1024,
  byteBurst: 2 * 1024 * 1024,
  policy: "drop",
});

interface Buckets {
  messages: number;
  bytes: number;
  at: number;
}

/** Two token buckets per peer: messages and bytes. */
export class PeerRateLimiter {
  readonly #buckets = new Map<number, Buckets>();
  #limits: RateLimits;

  constructor(limits: RateLimits) {
    this.#limits = limits;
  }

  get limits(): RateLimits {
    return this.#limits;
  }

  set limits(limits: RateLimits) {
    this.#limits = limits;
    this.#buckets.clear();
  }

  /** Takes one message of `bytes` from the peer's buckets; false when either is empty. */
  allow(peer: number, bytes: number, now = performance.now()): boolean {
    const buckets = this.#refilled(peer, now);
    if (buckets.messages < 1 || buckets.bytes < bytes) return false;
    buckets.messages -= 1;
    buckets.bytes -= bytes;
    return true;
  }

  /**
   * Takes one message of `bytes` even from empty buckets, into a debt of at most one burst;
   * false beyond it. For packets whose loss would leave state stuck on both ends (path id
   * releases): an honest client over its limit still gets them through, a flood of them gets at
   * most twice its budget, and the peer's other messages wait until the debt is paid.
   */
  owe(peer: number, bytes: number, now = performance.now()): boolean {
    const limits = this.#limits;
    const buckets = this.#refilled(peer, now);
    if (buckets.messages - 1 < -limits.messageBurst || buckets.bytes - bytes < -limits.byteBurst)
      return false;
    buckets.messages -= 1;
    buckets.bytes -= bytes;
    return true;
  }

  /**
   * Takes `bytes` more from the peer's byte bucket, into debt if need be: a message already let in
   * that costs more (a relay to several peers) goes through, and the peer's next messages wait
   * until its budget has recovered.
   */
  charge(peer: number, bytes: number, now = performance.now()): void {
    if (bytes > 0) this.#refilled(peer, now).bytes -= bytes;
  }

  #refilled(peer: number, now: number): Buckets {
    const limits = this.#limits;
    let buckets = this.#buckets.get(peer);
    if (!buckets) {
      buckets = { messages: limits.messageBurst, bytes: limits.byteBurst, at: now };
      this.#buckets.set(peer, buckets);
    }
    const seconds = Math.max(0, now - buckets.at) / 1000;
    buckets.at = now;
    buckets.messages = Math.min(limits.messageBurst, buckets.messages + seconds * limits.messagesPerSecond);
    buckets.bytes = Math.min(limits.byteBurst, buckets.bytes + seconds * limits.bytesPerSecond);
    return buckets;
  }

  forget(peer: number): void {
    this.#buckets.delete(peer);
  }

  get trackedPeers(): number {
    return this.#buckets.size;
  }
}
