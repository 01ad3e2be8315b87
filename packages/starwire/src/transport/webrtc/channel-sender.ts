import { FRAGMENT_CHUNK_BYTES, fragment } from "./fragments.js";

/** The part of RTCDataChannel a sender needs (a fake one in unit tests). */
export interface SendableChannel {
  readonly readyState: RTCDataChannelState;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  onbufferedamountlow: ((this: RTCDataChannel, event: Event) => unknown) | null;
  send(data: Uint8Array<ArrayBuffer>): void;
}

/** Above this much buffered data a reliable channel queues instead of sending. */
const RELIABLE_HIGH_WATER = 1024 * 1024;
const RELIABLE_LOW_WATER = 256 * 1024;
/** A peer that lets this much pile up cannot keep up: the connection is given up. */
const RELIABLE_QUEUE_LIMIT = 64 * 1024 * 1024;
/** Above this much buffered data, unreliable messages wait, and only the newest of each kind does. */
const UNRELIABLE_HIGH_WATER = 16 * 1024;
const UNRELIABLE_LOW_WATER = 4 * 1024;
/**
 * The newest-wins map holds at most this many kinds and bytes; beyond that the oldest waiting
 * message is dropped. Keys come from the network (a relayed message's node and method ids), so
 * without a bound one sender could fill the host's memory while a channel is congested.
 */
export const MAX_WAITING_UNRELIABLE = 1024;
export const MAX_WAITING_UNRELIABLE_BYTES = 256 * 1024;

export class ChannelOverflowError extends Error {
  override name = "ChannelOverflowError";
}

/**
 * Sends on one data channel without ever overrunning it.
 *
 * Reliable: messages larger than a chunk are fragmented; when the channel's buffer is full they
 * queue, in order, and drain on `bufferedamountlow` (a burst never fails or closes the channel).
 * Unreliable: a message never waits behind stale ones; while the buffer is full only the newest
 * message per key (node and method) is kept, older ones are dropped and counted.
 */
export class ChannelSender {
  #channel: SendableChannel;
  readonly #reliable: boolean;
  readonly #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  readonly #latest = new Map<string, Uint8Array>();
  #latestBytes = 0;
  #dropped = 0;
  /** Messages (pieces, for fragmented ones) and bytes handed to the channel. */
  sentMessages = 0;
  sentBytes = 0;

  constructor(channel: SendableChannel, reliable: boolean) {
    this.#reliable = reliable;
    this.#channel = channel;
    this.useChannel(channel);
  }

  get channel(): SendableChannel {
    return this.#channel;
  }

  /** Sends through `channel` from now on (the network conditioner stands in for the data channel, or steps out). */
  useChannel(channel: SendableChannel): void {
    this.#channel = channel;
    channel.bufferedAmountLowThreshold = this.#reliable ? RELIABLE_LOW_WATER : UNRELIABLE_LOW_WATER;
    channel.onbufferedamountlow = () => this.#drain();
    this.#drain();
  }

  /**
   * Unreliable messages dropped before sending: a newer one of the same kind replaced them, they
   * had no kind, or `discardWaiting` took them.
   */
  get dropped(): number {
    return this.#dropped;
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Unreliable messages waiting for the channel to drain, and their bytes. */
  get waitingUnreliable(): { messages: number; bytes: number } {
    return { messages: this.#latest.size, bytes: this.#latestBytes };
  }

  /** `key` names what an unreliable message updates (e.g. "node 3, method 1"): the newest wins. */
  send(data: Uint8Array, key: string | null): void {
    if (this.#reliable) {
      for (const piece of data.length > FRAGMENT_CHUNK_BYTES ? fragment(data) : [data])
        this.#sendReliable(piece);
      return;
    }
    if (data.length > FRAGMENT_CHUNK_BYTES) {
      throw new RangeError(
        `an unreliable message of ${data.length} bytes does not fit one data-channel message (${FRAGMENT_CHUNK_BYTES}); send it reliably`,
      );
    }
    if (this.#channel.bufferedAmount <= UNRELIABLE_HIGH_WATER && this.#latest.size === 0) {
      this.#put(data);
      return;
    }
    if (key === null) {
      this.#dropped++;
      return;
    }
    if (this.#unqueue(key)) this.#dropped++;
    // Inserted last: the flush keeps the order of the newest updates, and the oldest go first.
    this.#latest.set(key, data);
    this.#latestBytes += data.length;
    for (const oldest of this.#latest.keys()) {
      if (this.#latest.size <= MAX_WAITING_UNRELIABLE && this.#latestBytes <= MAX_WAITING_UNRELIABLE_BYTES)
        break;
      this.#unqueue(oldest);
      this.#dropped++;
    }
  }

  /**
   * Drops the waiting unreliable messages whose key `matches` (calls whose node left the tree:
   * they have no target any more, and their id may soon name another node).
   */
  discardWaiting(matches: (key: string) => boolean): void {
    for (const key of this.#latest.keys()) {
      if (!matches(key)) continue;
      this.#unqueue(key);
      this.#dropped++;
    }
  }

  #unqueue(key: string): Uint8Array | undefined {
    const data = this.#latest.get(key);
    if (data === undefined) return undefined;
    this.#latest.delete(key);
    this.#latestBytes -= data.length;
    return data;
  }

  #sendReliable(data: Uint8Array): void {
    if (this.#queue.length === 0 && this.#channel.bufferedAmount + data.length <= RELIABLE_HIGH_WATER) {
      this.#put(data);
      return;
    }
    if (this.#queuedBytes + data.length > RELIABLE_QUEUE_LIMIT) {
      throw new ChannelOverflowError(`the peer is not reading: over ${RELIABLE_QUEUE_LIMIT} bytes queued`);
    }
    this.#queue.push(data);
    this.#queuedBytes += data.length;
  }

  #drain(): void {
    if (this.#channel.readyState !== "open") return;
    while (
      this.#queue.length > 0 &&
      this.#channel.bufferedAmount + this.#queue[0]!.length <= RELIABLE_HIGH_WATER
    ) {
      const next = this.#queue.shift()!;
      this.#queuedBytes -= next.length;
      this.#put(next);
    }
    for (const [key, data] of this.#latest) {
      if (this.#channel.bufferedAmount > UNRELIABLE_HIGH_WATER) break;
      this.#unqueue(key);
      this.#put(data);
    }
  }

  #put(data: Uint8Array): void {
    this.#channel.send(data as Uint8Array<ArrayBuffer>);
    this.sentMessages++;
    this.sentBytes += data.length;
  }
}
