/**
 * Per peer, since it connected: the packets rejected from it and the SYNCs dropped as relative
 * to a tick this peer no longer held (`staleBaseline`). What `rejectionCount` and
 * `staleBaselineCount` answer; forgotten with the peer, so `debugStats` can check for leaks.
 */
export class PeerCounters {
  readonly #rejections = new Map<number, number>();
  readonly #staleBaselines = new Map<number, number>();

  rejected(peer: number): void {
    this.#rejections.set(peer, (this.#rejections.get(peer) ?? 0) + 1);
  }

  staleBaseline(peer: number): void {
    this.#staleBaselines.set(peer, (this.#staleBaselines.get(peer) ?? 0) + 1);
  }

  rejections(peer: number): number {
    return this.#rejections.get(peer) ?? 0;
  }

  staleBaselines(peer: number): number {
    return this.#staleBaselines.get(peer) ?? 0;
  }

  /** A peer still authenticating left: it can only have been rejected. */
  forgetRejections(peer: number): void {
    this.#rejections.delete(peer);
  }

  forget(peer: number): void {
    this.#rejections.delete(peer);
    this.#staleBaselines.delete(peer);
  }

  clear(): void {
    this.#rejections.clear();
    this.#staleBaselines.clear();
  }

  /** How many peers have counters (debugStats). */
  get stats(): { rejectionCounters: number; staleBaselineCounters: number } {
    return { rejectionCounters: this.#rejections.size, staleBaselineCounters: this.#staleBaselines.size };
  }
}
