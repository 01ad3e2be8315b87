// The network conditioner's logic on fake channels and a fake clock: delays, order, loss and
// duplication rates (statistical bounds with fixed seeds), the bandwidth cap and its backpressure,
// and that it steps out of the way entirely when off.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { TransferMode } from "../src/transport/multiplayer-peer.js";
import { ChannelSender, type SendableChannel } from "../src/transport/webrtc/channel-sender.js";
import {
  LinkConditioner,
  type NetworkConditions,
  normalizeConditions,
  seededRandom,
} from "../src/transport/webrtc/conditioner.js";
import {
  PeerConnection,
  type SimplePeerConstructor,
  type SimplePeerInstance,
} from "../src/transport/webrtc/peer-connection.js";

/** A data channel that records what reaches it, and when (the fake clock). */
class FakeChannel implements SendableChannel {
  readyState: RTCDataChannelState = "open";
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  onbufferedamountlow: ((this: RTCDataChannel, event: Event) => unknown) | null = null;
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  binaryType = "arraybuffer";
  readonly arrivals: Array<{ at: number; value: number; bytes: number }> = [];

  send(data: Uint8Array): void {
    this.arrivals.push({ at: Date.now(), value: data[0]! | (data[1]! << 8), bytes: data.length });
  }
  close(): void {
    this.readyState = "closed";
  }
  get values(): number[] {
    return this.arrivals.map((arrival) => arrival.value);
  }
}

/** A message carrying `value` in its first two bytes. */
const message = (value: number, length = 2) => {
  const bytes = new Uint8Array(length);
  bytes[0] = value & 0xff;
  bytes[1] = value >> 8;
  return bytes;
};

function link(conditions: NetworkConditions, transfers: TransferMode[] = ["reliable", "unreliable"]) {
  const errors: string[] = [];
  const conditioner = new LinkConditioner(conditions, (error) => errors.push(error), Date.now);
  const channels = transfers.map(() => new FakeChannel());
  const lanes = transfers.map((transfer, i) => conditioner.wrap(channels[i]!, transfer));
  return { conditioner, channels, lanes, errors };
}

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "performance"],
  });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("conditions", () => {
  it("are checked, and nothing to change means no conditioner at all", () => {
    expect(normalizeConditions(null)).toBeNull();
    expect(normalizeConditions({})).toBeNull();
    expect(normalizeConditions({ latencyMs: 0, lossPercent: 0, seed: 4 })).toBeNull();
    expect(normalizeConditions({ latencyMs: 5 })).toEqual({ latencyMs: 5 });
    expect(() => normalizeConditions({ latencyMs: -1 })).toThrow(RangeError);
    expect(() => normalizeConditions({ lossPercent: 101 })).toThrow(/lossPercent/);
    expect(() => normalizeConditions({ duplicatePercent: Number.NaN })).toThrow(RangeError);
    expect(() => normalizeConditions({ bandwidthKbps: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => normalizeConditions({ latencyMs: 1, seed: 1.5 })).toThrow(/seed/);
  });

  it("a seed makes the same choices every time", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(first);
    expect(Array.from({ length: 5 }, c)).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe("the conditioner", () => {
  it("delays everything by the latency, reliable and unreliable alike", () => {
    const { channels, lanes } = link({ latencyMs: 50 });
    const start = Date.now();
    lanes[0]!.send(message(1));
    lanes[1]!.send(message(2));
    vi.advanceTimersByTime(49);
    expect(channels[0]!.arrivals).toEqual([]);
    expect(channels[1]!.arrivals).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(channels[0]!.arrivals.map((a) => [a.at - start, a.value])).toEqual([[50, 1]]);
    expect(channels[1]!.arrivals.map((a) => [a.at - start, a.value])).toEqual([[50, 2]]);
  });

  it("keeps reliable and unreliable-ordered order under jitter; the unreliable channel reorders within the jitter", () => {
    const { channels, lanes } = link({ latencyMs: 40, jitterMs: 30, seed: 1 }, [
      "reliable",
      "unreliable_ordered",
      "unreliable",
    ]);
    const sentAt = new Map<number, number>();
    for (let i = 0; i < 500; i++) {
      sentAt.set(i, Date.now());
      for (const lane of lanes) lane.send(message(i));
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(100);
    const all = Array.from({ length: 500 }, (_, i) => i);
    expect(channels[0]!.values).toEqual(all);
    expect(channels[1]!.values).toEqual(all);
    const unordered = channels[2]!;
    expect([...unordered.values].sort((a, b) => a - b)).toEqual(all);
    expect(unordered.values).not.toEqual(all);
    const delays = unordered.arrivals.map((a) => a.at - sentAt.get(a.value)!);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...delays)).toBeLessThanOrEqual(71); // 40 + 30, and the 1 ms timer grain
  });

  it("loses and duplicates unreliable messages at the configured rates, reliable ones never", () => {
    const n = 10_000;
    const { conditioner, channels, lanes } = link({ lossPercent: 10, duplicatePercent: 20, seed: 7 });
    for (let i = 0; i < n; i++) {
      lanes[0]!.send(message(i));
      lanes[1]!.send(message(i));
    }
    vi.runAllTimers();
    expect(channels[0]!.values).toEqual(Array.from({ length: n }, (_, i) => i));
    // Each original is doubled with p = 0.2, then each copy is lost with p = 0.1: 4 standard
    // deviations of each binomial bound the counts.
    const duplicated = conditioner.duplicatedMessages;
    expect(duplicated).toBeGreaterThan(n * 0.2 - 4 * Math.sqrt(n * 0.2 * 0.8));
    expect(duplicated).toBeLessThan(n * 0.2 + 4 * Math.sqrt(n * 0.2 * 0.8));
    const copies = n + duplicated;
    const lost = copies - channels[1]!.arrivals.length;
    expect(lost).toBeGreaterThan(copies * 0.1 - 4 * Math.sqrt(copies * 0.09));
    expect(lost).toBeLessThan(copies * 0.1 + 4 * Math.sqrt(copies * 0.09));
  });

  it("the same seed and traffic give the same run; another seed another", () => {
    const run = (seed: number) => {
      const { channels, lanes } = link({ lossPercent: 30, duplicatePercent: 30, jitterMs: 20, seed });
      for (let i = 0; i < 300; i++) {
        lanes[1]!.send(message(i));
        vi.advanceTimersByTime(1);
      }
      vi.runAllTimers();
      return channels[1]!.values;
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it("caps the bandwidth of the whole link, and reports what waits as buffered until it drains", () => {
    // 80 kbit/s = 10 bytes a ms, shared by both channels.
    const { channels, lanes } = link({ bandwidthKbps: 80 });
    lanes[0]!.bufferedAmountLowThreshold = 1000;
    let low = 0;
    lanes[0]!.onbufferedamountlow = () => {
      low++;
    };
    const start = Date.now();
    for (let i = 0; i < 5; i++) lanes[0]!.send(message(i, 1000));
    lanes[1]!.send(message(9, 1000));
    expect(lanes[0]!.bufferedAmount).toBe(5000);
    expect(lanes[1]!.bufferedAmount).toBe(1000);
    vi.advanceTimersByTime(250);
    expect(channels[0]!.arrivals.map((a) => a.at - start)).toEqual([100, 200]);
    expect(lanes[0]!.bufferedAmount).toBe(3000);
    expect(low).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(channels[0]!.arrivals.map((a) => a.at - start)).toEqual([100, 200, 300, 400, 500]);
    // The unreliable message waited behind the reliable ones on the same link.
    expect(channels[1]!.arrivals.map((a) => a.at - start)).toEqual([600]);
    expect(lanes[0]!.bufferedAmount).toBe(0);
    expect(low).toBe(1);
  });

  it("under a cap, a ChannelSender above it drops stale unreliable state instead of queueing it", () => {
    const { channels, lanes } = link({ bandwidthKbps: 80 }, ["unreliable"]);
    const sender = new ChannelSender(lanes[0]!, false);
    // 100 states of 1000 bytes, one a ms: ten times what the link carries.
    for (let i = 0; i < 100; i++) {
      sender.send(message(i, 1000), "state");
      vi.advanceTimersByTime(1);
    }
    vi.runAllTimers();
    const values = channels[0]!.values;
    expect(values.at(-1)).toBe(99); // the newest always arrives
    expect(sender.dropped).toBeGreaterThan(50);
    expect(values.length + sender.dropped).toBe(100);
    expect(values).toEqual([...values].sort((a, b) => a - b));
  });

  it("removed, delivers what it held at once and in order; destroyed, drops it; no timer is left", () => {
    const { conditioner, channels, lanes } = link({ latencyMs: 1000, jitterMs: 500 });
    for (let i = 0; i < 10; i++) lanes[0]!.send(message(i));
    expect(vi.getTimerCount()).toBe(1);
    conditioner.flush();
    expect(channels[0]!.values).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(vi.getTimerCount()).toBe(0);

    const other = link({ latencyMs: 1000 });
    other.lanes[0]!.send(message(1));
    other.conditioner.destroy();
    vi.runAllTimers();
    expect(other.channels[0]!.arrivals).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a channel that closes drops what arrives for it; one that throws ends the connection", () => {
    const { channels, lanes, errors } = link({ latencyMs: 10 });
    lanes[0]!.send(message(1));
    channels[0]!.readyState = "closing";
    vi.runAllTimers();
    expect(channels[0]!.arrivals).toEqual([]);
    expect(errors).toEqual([]);
    channels[0]!.readyState = "open";
    channels[0]!.send = () => {
      throw new Error("buffer full");
    };
    lanes[0]!.send(message(2));
    vi.runAllTimers();
    expect(errors).toEqual(["send failed: buffer full"]);
  });
});

describe("PeerConnection with conditions", () => {
  /** A simple-peer stand-in whose RTCPeerConnection makes fake channels that open at once. */
  function connection() {
    const channels: FakeChannel[] = [];
    const pc = {
      createDataChannel: () => {
        const channel = new FakeChannel();
        channels.push(channel);
        return channel;
      },
      addEventListener: () => {},
    };
    const FakePeer = function (this: SimplePeerInstance) {
      Object.assign(this, { _pc: pc, signal() {}, on() {}, destroy() {} });
    } as unknown as SimplePeerConstructor;
    const ends: unknown[] = [];
    const peer = new PeerConnection(FakePeer, { initiator: true, config: {}, trickle: true }, [], 1 << 20, {
      signal: () => {},
      open: () => {},
      packet: () => {},
      end: (end) => ends.push(end),
    });
    for (const channel of channels) (channel.onopen as () => void)();
    return { peer, channels, ends };
  }

  it("sends straight to the data channel when off; held by the conditioner while on; straight again after", () => {
    const { peer, channels } = connection();
    peer.send(message(1), "reliable", 0, null);
    expect(channels[0]!.values).toEqual([1]);

    peer.conditions = { latencyMs: 30 };
    peer.send(message(2), "reliable", 0, null);
    peer.send(message(3), "unreliable", 0, null);
    expect(channels[0]!.values).toEqual([1]);
    vi.advanceTimersByTime(30);
    expect(channels[0]!.values).toEqual([1, 2]);
    expect(channels[1]!.values).toEqual([3]);

    peer.send(message(4), "reliable", 0, null);
    peer.conditions = null; // what was held goes at once, ahead of what follows
    peer.send(message(5), "reliable", 0, null);
    expect(channels[0]!.values).toEqual([1, 2, 4, 5]);
    expect(vi.getTimerCount()).toBe(0);
    expect(peer.traffic()).toMatchObject({ sentMessages: 5, unreliableSent: 1 });
  });

  it("counts duplicates as sent, so duplicates do not hide loss", () => {
    const { peer } = connection();
    peer.conditions = { duplicatePercent: 100, seed: 1 };
    for (let i = 0; i < 10; i++) peer.send(message(i), "unreliable", 0, null);
    expect(peer.traffic()).toMatchObject({ unreliableSent: 20, sentMessages: 20, sentBytes: 40 });
    expect(peer.unreliableSent).toBe(20);
    peer.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });
});
