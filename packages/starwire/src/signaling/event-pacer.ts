import { TokenBucket } from "../util/token-bucket.js";

/** Below the signaling server's default per-socket budget (100 events a second, 200 at once). */
const EVENTS_PER_SECOND = 80;
const EVENT_BURST = 150;
/** The least a pacer slows down to when a server with a smaller budget still refuses it. */
const MIN_EVENTS_PER_SECOND = 5;
const MAX_WAITING = 2000;

/**
 * Keeps one peer's signaling events within the server's per-socket budget. The server refuses
 * (and loses) an event beyond it: a host that answers many joiners at once would lose answers and
 * candidates that way. Beyond the burst, events wait their turn; when the server still says
 * `rate_limited` (a smaller budget than ours), the pacer halves its rate and pauses.
 */
export class EventPacer {
  readonly #bucket = new TokenBucket(EVENTS_PER_SECOND, EVENT_BURST);
  readonly #waiting: Array<() => void> = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  #dropped = 0;
  #refusals = 0;

  /** Runs `emit` now if the budget allows, else once it does. */
  send(emit: () => void): void {
    if (this.#waiting.length === 0 && this.#bucket.take()) return emit();
    if (this.#waiting.length >= MAX_WAITING) {
      // A backlog this long is stale: the oldest signals belong to attempts long given up.
      this.#waiting.shift();
      this.#dropped++;
    }
    this.#waiting.push(emit);
    this.#schedule();
  }

  /** The server refused an event for its rate: slow down for good, and pause a while. */
  refused(): void {
    this.#refusals++;
    this.#bucket.perSecond = Math.max(MIN_EVENTS_PER_SECOND, this.#bucket.perSecond / 2);
    this.#bucket.burst = Math.max(1, Math.floor(this.#bucket.perSecond));
    this.#bucket.empty();
    if (this.#waiting.length > 0) this.#schedule(true);
  }

  get stats(): { waiting: number; dropped: number; refusals: number; perSecond: number } {
    return {
      waiting: this.#waiting.length,
      dropped: this.#dropped,
      refusals: this.#refusals,
      perSecond: this.#bucket.perSecond,
    };
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#waiting.length = 0;
  }

  #schedule(again = false): void {
    if (this.#timer && !again) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#flush(), this.#bucket.wait());
  }

  #flush(): void {
    this.#timer = null;
    while (this.#waiting.length > 0 && this.#bucket.take()) this.#waiting.shift()!();
    if (this.#waiting.length > 0) this.#schedule();
  }
}
