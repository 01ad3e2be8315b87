import type { ConnectionPath, ConnectionStats } from "../multiplayer-peer.js";
import type { HeartbeatProbe } from "./link-frames.js";

/** How often rates are taken (and the `stats` event fires). */
export const STATS_INTERVAL_MS = 1000;
/** Unreliable loss is measured over this long. */
export const LOSS_WINDOW_MS = 5000;
/** Heartbeats this side remembers sending, to match the other side's echo (two a second). */
const SENT_MEMORY = 8;
/**
 * Loss samples kept per direction: a 5 s window holds about 12 at two heartbeats a second. A peer
 * that floods heartbeats only narrows its own window; it cannot grow this side's memory.
 */
const MAX_LOSS_SAMPLES = 64;
/** A round trip longer than this is a confused echo, not a measurement. */
const MAX_RTT_US = 60_000_000;
/** Smoothing of the round trip: each sample moves it a quarter of the way. */
const RTT_GAIN = 1 / 4;
/** RFC 3550's jitter gain. */
const JITTER_GAIN = 1 / 16;
const U32 = 2 ** 32;

/** What a connection has carried so far (cumulative, from the connection's start). */
export interface TrafficCounters {
  sentBytes: number;
  sentMessages: number;
  receivedBytes: number;
  receivedMessages: number;
  /** Unreliable messages handed to the network (unreliable and unreliable-ordered channels). */
  unreliableSent: number;
  unreliableReceived: number;
  /** Unreliable messages dropped before sending (newest-wins under congestion). */
  unreliableDropped: number;
}

/** What ICE says about a connection. */
export interface IceReport {
  rttMs: number | null;
  path: ConnectionPath | null;
}

const ZERO: TrafficCounters = {
  sentBytes: 0,
  sentMessages: 0,
  receivedBytes: 0,
  receivedMessages: 0,
  unreliableSent: 0,
  unreliableReceived: 0,
  unreliableDropped: 0,
};

/** Cumulative unreliable counts of one direction at one moment: how many were sent, how many arrived. */
interface LossSample {
  at: number;
  sent: number;
  received: number;
}

/** The difference of two counters modulo 2³². */
const delta = (newer: number, older: number) => (newer - older + U32) % U32;

/**
 * One session's connection statistics, from its heartbeats and traffic counters (README,
 * "Connection statistics"). Everything but the reconnect count is about the current connection.
 *
 * Round trip: each heartbeat carries the sender's clock (`stamp`) and echoes the newest stamp it
 * received with how long it held it; the round trip is now − echo − held, on this side's clock only.
 * Jitter: RFC 3550's estimator over the heartbeats' one-way transit (their stamp against our clock:
 * the unknown offset between the clocks cancels out).
 * Unreliable loss, with no per-message overhead: each heartbeat says how many unreliable messages
 * its sender had sent, and how many it had received when the echoed heartbeat arrived; the other
 * side compares them with its own counts at the same moments. Counts are cumulative, so a message
 * that overtakes or trails a heartbeat is only counted late, never lost twice.
 */
export class LinkStats {
  /** Connections replaced after a drop, over the session. */
  reconnects = 0;
  #sentHeartbeats: Array<{ stamp: number; sent: number }> = [];
  #echo = 0;
  #echoArrivedUs = 0;
  #echoReceived = 0;
  #rttUs: number | null = null;
  #jitterUs: number | null = null;
  #lastTransit: number | null = null;
  #outbound: LossSample[] = [];
  #inbound: LossSample[] = [];
  #lastOutboundEcho = 0;
  #rolledAt = 0;
  #rolled: TrafficCounters = ZERO;
  #rates = { sentBytes: 0, sentMessages: 0, receivedBytes: 0, receivedMessages: 0, dropped: 0 };
  ice: IceReport = { rttMs: null, path: null };

  /** @internal Loss samples held, both directions (a test checks they stay bounded). */
  get lossSamples(): number {
    return this.#outbound.length + this.#inbound.length;
  }

  /** A new connection: nothing measured yet. */
  restart(now: number): void {
    this.#sentHeartbeats = [];
    this.#echo = this.#echoArrivedUs = this.#echoReceived = 0;
    this.#rttUs = this.#jitterUs = this.#lastTransit = null;
    this.#outbound = [];
    this.#inbound = [];
    this.#lastOutboundEcho = 0;
    this.#rolledAt = now;
    this.#rolled = ZERO;
    this.#rates = { sentBytes: 0, sentMessages: 0, receivedBytes: 0, receivedMessages: 0, dropped: 0 };
    this.ice = { rttMs: null, path: null };
  }

  /** The measurements for a heartbeat about to be sent; `unreliableSent` before it. */
  outgoing(nowMs: number, unreliableSent: number): HeartbeatProbe {
    const nowUs = microseconds(nowMs);
    const probe: HeartbeatProbe = {
      stamp: nowUs || 1,
      echo: this.#echo,
      held: this.#echo === 0 ? 0 : Math.min(U32 - 1, delta(nowUs, this.#echoArrivedUs)),
      sent: (unreliableSent + 1) % U32,
      echoReceived: this.#echoReceived % U32,
    };
    this.#sentHeartbeats.push({ stamp: probe.stamp, sent: probe.sent });
    if (this.#sentHeartbeats.length > SENT_MEMORY) this.#sentHeartbeats.shift();
    return probe;
  }

  /** A heartbeat arrived; `unreliableReceived` counts it. */
  incoming(nowMs: number, probe: HeartbeatProbe, unreliableReceived: number): void {
    const nowUs = microseconds(nowMs);
    if (probe.echo !== 0) {
      const rtt = delta(delta(nowUs, probe.echo), probe.held);
      if (rtt < MAX_RTT_US)
        this.#rttUs = this.#rttUs === null ? rtt : this.#rttUs + (rtt - this.#rttUs) * RTT_GAIN;
      const mine = this.#sentHeartbeats.find((heartbeat) => heartbeat.stamp === probe.echo);
      if (mine && probe.echo !== this.#lastOutboundEcho) {
        this.#lastOutboundEcho = probe.echo;
        record(this.#outbound, { at: nowMs, sent: mine.sent, received: probe.echoReceived });
      }
    }
    record(this.#inbound, { at: nowMs, sent: probe.sent, received: unreliableReceived % U32 });
    const transit = delta(nowUs, probe.stamp);
    if (this.#lastTransit !== null) {
      let difference = delta(transit, this.#lastTransit);
      if (difference >= U32 / 2) difference = U32 - difference;
      this.#jitterUs = (this.#jitterUs ?? 0) + (difference - (this.#jitterUs ?? 0)) * JITTER_GAIN;
    }
    this.#lastTransit = transit;
    this.#echo = probe.stamp;
    this.#echoArrivedUs = nowUs;
    this.#echoReceived = unreliableReceived;
  }

  /** Whether a stats interval has passed since the rates were last taken. */
  due(nowMs: number): boolean {
    return nowMs - this.#rolledAt >= STATS_INTERVAL_MS;
  }

  /** Takes the rates when a stats interval has passed; true when it did. */
  roll(nowMs: number, counters: TrafficCounters): boolean {
    const elapsed = nowMs - this.#rolledAt;
    if (elapsed < STATS_INTERVAL_MS) return false;
    const last = this.#rolled;
    const perSecond = (now: number, before: number) => Math.max(0, ((now - before) * 1000) / elapsed);
    this.#rates = {
      sentBytes: perSecond(counters.sentBytes, last.sentBytes),
      sentMessages: perSecond(counters.sentMessages, last.sentMessages),
      receivedBytes: perSecond(counters.receivedBytes, last.receivedBytes),
      receivedMessages: perSecond(counters.receivedMessages, last.receivedMessages),
      dropped: perSecond(counters.unreliableDropped, last.unreliableDropped),
    };
    this.#rolled = { ...counters };
    this.#rolledAt = nowMs;
    return true;
  }

  snapshot(peerId: number, reconnecting: boolean, nowMs: number): ConnectionStats {
    const rates = this.#rates;
    const ms = (us: number | null) => (us === null ? null : Math.round(us) / 1000);
    return {
      peerId,
      reconnecting,
      rttMs: ms(this.#rttUs),
      iceRttMs: this.ice.rttMs,
      jitterMs: ms(this.#jitterUs),
      sent: {
        bytesPerSecond: Math.round(rates.sentBytes),
        messagesPerSecond: Math.round(rates.sentMessages),
        unreliableLoss: loss(this.#outbound, nowMs),
        droppedPerSecond: Math.round(rates.dropped),
      },
      received: {
        bytesPerSecond: Math.round(rates.receivedBytes),
        messagesPerSecond: Math.round(rates.receivedMessages),
        unreliableLoss: loss(this.#inbound, nowMs),
      },
      path: this.ice.path,
      reconnects: this.reconnects,
    };
  }
}

function microseconds(ms: number): number {
  return Math.floor(ms * 1000) % U32;
}

function record(samples: LossSample[], sample: LossSample): void {
  samples.push(sample);
  // One older than the window stays, so the window is always covered end to end.
  while (samples.length > 2 && samples[1]!.at <= sample.at - LOSS_WINDOW_MS) samples.shift();
  if (samples.length > MAX_LOSS_SAMPLES) samples.shift();
}

/** Lost / sent between the oldest sample in the window and the newest; null without two samples. */
function loss(samples: readonly LossSample[], nowMs: number): number | null {
  const newest = samples.at(-1);
  const oldest = samples[0];
  if (!newest || !oldest || newest === oldest || newest.at < nowMs - 2 * LOSS_WINDOW_MS) return null;
  const sent = delta(newest.sent, oldest.sent);
  if (sent === 0) return null;
  const received = delta(newest.received, oldest.received);
  // A duplicate (only the conditioner makes them) can outnumber what was lost.
  return received >= sent || received > U32 / 2
    ? 0
    : Math.round(((sent - received) / sent) * 10_000) / 10_000;
}
