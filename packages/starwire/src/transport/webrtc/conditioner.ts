import type { TransferMode } from "../multiplayer-peer.js";
import type { SendableChannel } from "./channel-sender.js";

/**
 * A network to test a game on (`peer.conditions`): what this side sends is delayed, thinned,
 * doubled and throttled before it reaches the data channel, as a slow or lossy link would. Every
 * figure applies per connection and per direction (set it on both sides for a round trip).
 */
export interface NetworkConditions {
  /** Added to every message this side sends, in ms (one way). */
  latencyMs?: number;
  /**
   * Each message's delay varies by up to this much either way (uniformly, never below 0), in ms.
   * Reliable and unreliable-ordered channels keep their order; the unreliable channel may reorder.
   */
  jitterMs?: number;
  /** Unreliable messages dropped, in percent (0–100). Reliable ones are never lost. */
  lossPercent?: number;
  /** Unreliable messages delivered twice, in percent (0–100). */
  duplicatePercent?: number;
  /**
   * What this side may send to each peer, in kbit/s (1000 bits) of message bytes; 0 or absent is
   * unlimited. Messages beyond it wait, and the data channel reports them as buffered, so
   * unreliable state is dropped at the sender rather than queued, as on a real slow link.
   */
  bandwidthKbps?: number;
  /** Seeds loss, duplication and jitter (an integer): the same seed and traffic make the same choices. Random when absent. */
  seed?: number;
}

/** Checks the figures; null when nothing would be changed (the conditioner is then not used at all). */
export function normalizeConditions(conditions: NetworkConditions | null): NetworkConditions | null {
  if (!conditions) return null;
  const check = (name: keyof NetworkConditions, max = Number.POSITIVE_INFINITY) => {
    const value = conditions[name];
    if (value === undefined) return;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > max) {
      throw new RangeError(
        `conditions.${name} must be a number from 0${max < Number.POSITIVE_INFINITY ? ` to ${max}` : ""}, got ${value}`,
      );
    }
  };
  check("latencyMs");
  check("jitterMs");
  check("lossPercent", 100);
  check("duplicatePercent", 100);
  check("bandwidthKbps");
  if (conditions.seed !== undefined && !Number.isSafeInteger(conditions.seed)) {
    throw new RangeError(`conditions.seed must be an integer, got ${conditions.seed}`);
  }
  const {
    latencyMs = 0,
    jitterMs = 0,
    lossPercent = 0,
    duplicatePercent = 0,
    bandwidthKbps = 0,
  } = conditions;
  if (latencyMs + jitterMs + lossPercent + duplicatePercent + bandwidthKbps === 0) return null;
  return { ...conditions };
}

/** A small, fast seeded generator (mulberry32): uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A timer a little early is fine; waking again for less than this is not. */
const EARLY_MS = 1;

interface Held {
  data: Uint8Array;
  arriveAt: number;
}

/**
 * One emulated link: the data channels of one connection, sending through a shared bandwidth
 * budget and one timer. Wrapped channels stand in for the real ones under their ChannelSenders.
 */
export class LinkConditioner {
  readonly #lanes: ConditionedChannel[] = [];
  readonly #now: () => number;
  readonly #onError: (message: string) => void;
  #conditions: NetworkConditions;
  #seed = 0;
  /** When the link has sent everything handed to it so far (bandwidth). */
  #linkFreeAt = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #wakeAt = Number.POSITIVE_INFINITY;
  #destroyed = false;
  duplicatedMessages = 0;
  duplicatedBytes = 0;

  constructor(
    conditions: NetworkConditions,
    onError: (message: string) => void,
    now: () => number = () => performance.now(),
  ) {
    this.#now = now;
    this.#onError = onError;
    this.#conditions = conditions;
    this.conditions = conditions;
  }

  get conditions(): NetworkConditions {
    return this.#conditions;
  }

  /** New figures apply to what is sent from now on; what is held keeps its schedule. */
  set conditions(conditions: NetworkConditions) {
    this.#conditions = conditions;
    this.#seed = conditions.seed ?? Math.floor(Math.random() * 2 ** 32);
    this.#lanes.forEach((lane, index) => {
      lane.random = seededRandom(laneSeed(this.#seed, index));
    });
  }

  /** Stands in for `channel`, lane number `index` of this connection. */
  wrap(channel: SendableChannel, transfer: TransferMode): ConditionedChannel {
    const index = this.#lanes.length;
    const lane = new ConditionedChannel(this, channel, transfer, seededRandom(laneSeed(this.#seed, index)));
    this.#lanes.push(lane);
    return lane;
  }

  /** @internal ConditionedChannel.send */
  send(lane: ConditionedChannel, data: Uint8Array): void {
    if (this.#destroyed) return;
    const { latencyMs = 0, jitterMs = 0, lossPercent = 0, duplicatePercent = 0 } = this.#conditions;
    const unreliable = lane.transfer !== "reliable";
    let copies = 1;
    if (unreliable && duplicatePercent > 0 && lane.random() * 100 < duplicatePercent) {
      copies = 2;
      this.duplicatedMessages++;
      this.duplicatedBytes += data.length;
    }
    const now = this.#now();
    let waiting = false;
    for (let copy = 0; copy < copies; copy++) {
      const lost = unreliable && lossPercent > 0 && lane.random() * 100 < lossPercent;
      const wobble = jitterMs > 0 ? (lane.random() * 2 - 1) * jitterMs : 0;
      // A lost message still used the link: it was sent, the network dropped it.
      const departAt = this.#depart(now, data.length);
      if (departAt > now) {
        lane.holdDeparture(departAt, data.length);
        waiting = true;
      }
      if (lost) continue;
      let arriveAt = Math.max(departAt, departAt + latencyMs + wobble);
      if (lane.ordered) arriveAt = Math.max(arriveAt, lane.lastArrival);
      lane.lastArrival = arriveAt;
      if (arriveAt <= now && lane.held.length === 0) lane.deliver(data);
      else {
        lane.hold({ data, arriveAt });
        waiting = true;
      }
    }
    if (waiting) this.#schedule();
  }

  /** Delivers everything held at once, in order, and lets go of the channels (conditions removed). */
  flush(): void {
    if (this.#destroyed) return;
    this.#stopTimer();
    for (;;) {
      const lane = this.#earliest(Number.POSITIVE_INFINITY);
      if (!lane) break;
      lane.deliver(lane.held.shift()!.data);
      if (this.#destroyed) return;
    }
    this.destroy();
  }

  /** Drops everything held (the connection is gone). */
  destroy(): void {
    this.#destroyed = true;
    this.#stopTimer();
    for (const lane of this.#lanes) {
      lane.held.length = 0;
      lane.clearDepartures();
    }
  }

  /** @internal A lane's delivery failed: the connection cannot go on. */
  failed(message: string): void {
    this.destroy();
    this.#onError(message);
  }

  /** @internal */
  now(): number {
    return this.#now();
  }

  #stopTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#wakeAt = Number.POSITIVE_INFINITY;
  }

  #depart(now: number, bytes: number): number {
    const kbps = this.#conditions.bandwidthKbps ?? 0;
    if (kbps <= 0) return now;
    // kbit/s is bits per ms.
    this.#linkFreeAt = Math.max(now, this.#linkFreeAt) + (bytes * 8) / kbps;
    return this.#linkFreeAt;
  }

  /** The lane whose next held message arrives first, if by `until`. */
  #earliest(until: number): ConditionedChannel | null {
    let best: ConditionedChannel | null = null;
    for (const lane of this.#lanes) {
      const next = lane.held[0];
      if (next && next.arriveAt <= until && (!best || next.arriveAt < best.held[0]!.arriveAt)) best = lane;
    }
    return best;
  }

  #schedule(): void {
    if (this.#destroyed) return;
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const lane of this.#lanes) wakeAt = Math.min(wakeAt, lane.nextEvent());
    if (wakeAt === this.#wakeAt && this.#timer) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#wakeAt = wakeAt;
    if (wakeAt === Number.POSITIVE_INFINITY) return;
    this.#timer = setTimeout(() => this.#wake(), Math.max(0, wakeAt - this.#now()));
  }

  #wake(): void {
    this.#timer = null;
    this.#wakeAt = Number.POSITIVE_INFINITY;
    const now = this.#now() + EARLY_MS;
    for (;;) {
      const lane = this.#earliest(now);
      if (!lane) break;
      lane.deliver(lane.held.shift()!.data);
      if (this.#destroyed) return;
    }
    for (const lane of this.#lanes) {
      lane.departed(now);
      if (this.#destroyed) return;
    }
    this.#schedule();
  }
}

/**
 * One data channel seen through the link: `bufferedAmount` counts what the link has not sent yet,
 * and `bufferedamountlow` fires when that drains, so a ChannelSender above it behaves as on a slow
 * network.
 */
export class ConditionedChannel implements SendableChannel {
  readonly #link: LinkConditioner;
  readonly #channel: SendableChannel;
  readonly transfer: TransferMode;
  readonly ordered: boolean;
  random: () => number;
  /** Messages on their way, by arrival time. */
  readonly held: Held[] = [];
  lastArrival = 0;
  /** Bytes the link has not sent yet, by departure time (departures are in sending order). */
  readonly #departures: Array<{ at: number; bytes: number }> = [];
  #waitingBytes = 0;
  #threshold = 0;
  /** Above the threshold since the last low event. */
  #armed = false;
  onbufferedamountlow: ((this: RTCDataChannel, event: Event) => unknown) | null = null;

  constructor(link: LinkConditioner, channel: SendableChannel, transfer: TransferMode, random: () => number) {
    this.#link = link;
    this.#channel = channel;
    this.transfer = transfer;
    this.ordered = transfer !== "unreliable";
    this.random = random;
    this.#threshold = channel.bufferedAmountLowThreshold;
    channel.onbufferedamountlow = () => this.#maybeLow();
  }

  /** The data channel underneath. */
  get channel(): SendableChannel {
    return this.#channel;
  }

  get readyState(): RTCDataChannelState {
    return this.#channel.readyState;
  }

  get bufferedAmount(): number {
    this.#settle(this.#link.now());
    const amount = this.#waitingBytes + this.#channel.bufferedAmount;
    // Whoever saw it high is waiting for it to drain: say so when it does.
    if (amount > this.#threshold) this.#armed = true;
    return amount;
  }

  get bufferedAmountLowThreshold(): number {
    return this.#threshold;
  }

  set bufferedAmountLowThreshold(bytes: number) {
    this.#threshold = bytes;
    this.#channel.bufferedAmountLowThreshold = bytes;
  }

  send(data: Uint8Array): void {
    this.#link.send(this, data);
  }

  /** @internal */
  hold(message: Held): void {
    const held = this.held;
    // Kept by arrival: appended in order, except where jitter reorders the unreliable channel.
    let index = held.length;
    while (index > 0 && held[index - 1]!.arriveAt > message.arriveAt) index--;
    held.splice(index, 0, message);
  }

  /** @internal */
  holdDeparture(at: number, bytes: number): void {
    this.#departures.push({ at, bytes });
    this.#waitingBytes += bytes;
    if (this.#waitingBytes + this.#channel.bufferedAmount > this.#threshold) this.#armed = true;
  }

  /** @internal The link sent what was due by `now`; says so once the buffer is low. */
  departed(now: number): void {
    this.#settle(now);
    this.#maybeLow();
  }

  /** Forgets what the link has sent by `now` (no event: a getter calls it). */
  #settle(now: number): void {
    while (this.#departures.length > 0 && this.#departures[0]!.at <= now) {
      this.#waitingBytes -= this.#departures.shift()!.bytes;
    }
  }

  /** @internal */
  clearDepartures(): void {
    this.#departures.length = 0;
    this.#waitingBytes = 0;
    this.#armed = false;
  }

  /** @internal When the timer must wake for this lane. */
  nextEvent(): number {
    const arrival = this.held[0]?.arriveAt ?? Number.POSITIVE_INFINITY;
    const departure = this.#armed
      ? (this.#departures[0]?.at ?? Number.POSITIVE_INFINITY)
      : Number.POSITIVE_INFINITY;
    return Math.min(arrival, departure);
  }

  /** @internal Hands a message to the real channel. */
  deliver(data: Uint8Array): void {
    // A channel that is closing drops it, as PeerConnection.send would; its close ends the connection.
    if (this.#channel.readyState !== "open") return;
    try {
      this.#channel.send(data as Uint8Array<ArrayBuffer>);
    } catch (error) {
      this.#link.failed(`send failed: ${(error as Error).message}`);
    }
  }

  #maybeLow(): void {
    if (!this.#armed || this.#waitingBytes + this.#channel.bufferedAmount > this.#threshold) return;
    this.#armed = false;
    this.onbufferedamountlow?.call(this as unknown as RTCDataChannel, new Event("bufferedamountlow"));
  }
}

function laneSeed(seed: number, lane: number): number {
  return (seed ^ Math.imul(lane + 1, 0x9e3779b9)) >>> 0;
}
