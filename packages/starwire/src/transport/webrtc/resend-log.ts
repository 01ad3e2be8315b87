/**
 * The reliable messages sent on one lane of a session that the other side has not acknowledged
 * yet. When a connection dies, whatever it had not delivered is sent again on the next one, from
 * exactly the first message the other side lacks: delivered once and in order.
 */
export class ResendLog {
  readonly #limitBytes: number;
  #entries: Uint8Array[] = [];
  /** Index in #entries of the oldest unacknowledged message. */
  #head = 0;
  #acked = 0;
  #bytes = 0;

  constructor(limitBytes: number) {
    this.#limitBytes = limitBytes;
  }

  /** Messages appended so far, over the whole session. */
  get sent(): number {
    return this.#acked + this.#entries.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Keeps a message until acknowledged; false when that would pass the limit (nothing is kept). */
  append(data: Uint8Array): boolean {
    if (this.#bytes + data.length > this.#limitBytes) return false;
    this.#entries.push(data);
    this.#bytes += data.length;
    return true;
  }

  /**
   * The other side has received `count` messages in all. Returns false when that cannot be true
   * (more than were sent, or fewer than it confirmed before): its state is not this session's.
   */
  acknowledge(count: number): boolean {
    if (count < this.#acked || count > this.sent) return false;
    while (this.#acked < count) {
      this.#bytes -= this.#entries[this.#head]!.length;
      this.#entries[this.#head++] = EMPTY;
      this.#acked++;
    }
    // Compact once the dead prefix dominates, so the array does not grow for the session's life.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    return true;
  }

  /** What the other side lacks after `acknowledge`: every unacknowledged message, oldest first. */
  unacknowledged(): Uint8Array[] {
    return this.#entries.slice(this.#head);
  }
}

const EMPTY = new Uint8Array(0);
