// The arithmetic behind getStats(): round trip from the heartbeats' timestamp echo, RFC 3550
// jitter, unreliable loss from cumulative counts (no per-message overhead), rates, and clocks and
// counters that wrap around 2³².
import { describe, expect, it } from "vitest";
import {
  decodeLinkFrame,
  encodeLinkFrame,
  type HeartbeatProbe,
  LinkFrameKind,
} from "../src/transport/webrtc/link-frames.js";
import { LinkStats, LOSS_WINDOW_MS, type TrafficCounters } from "../src/transport/webrtc/link-stats.js";

/** One end: its own clock (ms, offset from the other's) and its unreliable counts. */
class End {
  readonly stats = new LinkStats();
  sent = 0;
  received = 0;
  constructor(readonly offsetMs: number) {
    this.stats.restart(offsetMs);
  }
  clock(t: number): number {
    return t + this.offsetMs;
  }
  /** A heartbeat leaves at true time `t` (through the wire format, as it would). */
  heartbeat(t: number): HeartbeatProbe {
    const probe = this.stats.outgoing(this.clock(t), this.sent);
    this.sent++;
    const frame = decodeLinkFrame(
      encodeLinkFrame({ kind: LinkFrameKind.HEARTBEAT, counts: [0], ...probe }),
      1,
    );
    if (typeof frame === "string") throw new Error(frame);
    return frame as HeartbeatProbe;
  }
  /** A heartbeat arrives at true time `t`. */
  hears(t: number, probe: HeartbeatProbe): void {
    this.received++;
    this.stats.incoming(this.clock(t), probe, this.received);
  }
  snapshot(t: number) {
    return this.stats.snapshot(2, false, this.clock(t));
  }
}

describe("LinkStats", () => {
  it("round trip: now − echo − held on one clock, whatever the other clock says", () => {
    const a = new End(1_000);
    const b = new End(987_654.321); // a clock far from a's
    // a → b takes 30 ms, b holds it 100 ms, b → a takes 20 ms.
    b.hears(30, a.heartbeat(0));
    a.hears(150, b.heartbeat(130));
    expect(a.snapshot(150).rttMs).toBe(50);
    // b's first heartbeat had nothing to echo: b has no round trip yet.
    expect(b.snapshot(150).rttMs).toBeNull();
    b.hears(180, a.heartbeat(160));
    expect(b.snapshot(180).rttMs).toBe(40); // 130 → a (150), held 10, a → b (180)
  });

  it("smooths the round trip, a quarter of the way per sample", () => {
    const a = new End(0);
    const b = new End(5);
    let t = 0;
    const exchange = (oneWay: number) => {
      b.hears(t + oneWay, a.heartbeat(t));
      a.hears(t + 2 * oneWay, b.heartbeat(t + oneWay));
      t += 500;
    };
    exchange(10);
    expect(a.snapshot(t).rttMs).toBeCloseTo(20, 2);
    exchange(30);
    expect(a.snapshot(t).rttMs).toBeCloseTo(30, 2); // 20 + (60 − 20) / 4
  });

  it("works across the 2³² µs wrap of both clocks", () => {
    const wrapMs = 2 ** 32 / 1000;
    const a = new End(wrapMs - 0.01); // wraps between sending and hearing back
    const b = new End(wrapMs - 0.02);
    b.hears(5, a.heartbeat(0));
    a.hears(12, b.heartbeat(7));
    expect(a.snapshot(12).rttMs).toBeCloseTo(10, 2);
    b.hears(20, a.heartbeat(13));
    expect(b.snapshot(20).rttMs).toBeCloseTo(12, 2); // 7 → a (12), held 1, a → b (20)
  });

  it("jitter: RFC 3550's estimator over the heartbeats' transit", () => {
    const a = new End(0);
    const b = new End(123);
    // Transit alternates 10 and 30 ms: every difference is 20 ms.
    for (let i = 0; i < 200; i++) b.hears(i * 500 + (i % 2 ? 30 : 10), a.heartbeat(i * 500));
    expect(b.snapshot(100_000).jitterMs).toBeCloseTo(20, 1);
    const steady = new End(0);
    for (let i = 0; i < 20; i++) steady.hears(i * 500 + 10, a.heartbeat(i * 500));
    expect(steady.snapshot(10_000).jitterMs).toBe(0);
  });

  it("loss each way from cumulative counts: what one side sent against what the other received", () => {
    const a = new End(0);
    const b = new End(50);
    let t = 0;
    // Each 500 ms a sends 100 unreliable messages (90 arrive) and a heartbeat; b answers.
    for (let round = 0; round < 12; round++) {
      a.sent += 100;
      b.received += 90;
      b.hears(t + 5, a.heartbeat(t));
      a.hears(t + 15, b.heartbeat(t + 10));
      t += 500;
    }
    // Of every 101 unreliable messages (heartbeat included), 10 were lost.
    const lost = 10 / 101;
    expect(a.snapshot(t).sent.unreliableLoss).toBeCloseTo(lost, 3);
    expect(b.snapshot(t).received.unreliableLoss).toBeCloseTo(lost, 3);
    // b's heartbeats all arrived.
    expect(a.snapshot(t).received.unreliableLoss).toBe(0);
    expect(b.snapshot(t).sent.unreliableLoss).toBe(0);
    // Nothing measured for longer than two windows: no figure rather than a stale one.
    expect(a.snapshot(t + 2 * LOSS_WINDOW_MS + 1).sent.unreliableLoss).toBeNull();
  });

  it("a message that trails its heartbeat is counted late, not lost", () => {
    const a = new End(0);
    const b = new End(0);
    let t = 0;
    for (let round = 0; round < 12; round++) {
      a.sent += 10;
      // Of each 10, 9 arrive before the heartbeat and 1 after it; none is lost.
      b.received += 9;
      b.hears(t + 5, a.heartbeat(t));
      b.received += 1;
      a.hears(t + 15, b.heartbeat(t + 10));
      t += 500;
    }
    // Both ends of the window trail by one message: the difference is exact.
    expect(a.snapshot(t).sent.unreliableLoss).toBe(0);
    expect(b.snapshot(t).received.unreliableLoss).toBe(0);
  });

  it("loss across the 2³² wrap of the counters", () => {
    const a = new End(0);
    const b = new End(0);
    a.sent = 2 ** 32 - 150;
    b.received = 2 ** 32 - 150;
    let t = 0;
    for (let round = 0; round < 6; round++) {
      a.sent += 49;
      b.received += 49 - (round % 2); // one lost every other round
      b.hears(t + 5, a.heartbeat(t));
      a.hears(t + 15, b.heartbeat(t + 10));
      t += 500;
    }
    // The window runs from round 0's heartbeat to round 5's: 250 sent, 3 lost (rounds 1, 3, 5).
    expect(a.snapshot(t).sent.unreliableLoss).toBeCloseTo(3 / 250, 4);
    expect(b.snapshot(t).received.unreliableLoss).toBeCloseTo(3 / 250, 4);
  });

  it("a flood of heartbeats narrows the window but does not grow memory", () => {
    const a = new End(0);
    const b = new End(0);
    // 10,000 heartbeats in 100 ms, each answered.
    for (let i = 0; i < 10_000; i++) {
      b.hears(i * 0.01, a.heartbeat(i * 0.01));
      a.hears(i * 0.01 + 0.005, b.heartbeat(i * 0.01 + 0.002));
    }
    expect(a.stats.lossSamples).toBeLessThanOrEqual(128);
    expect(b.stats.lossSamples).toBeLessThanOrEqual(128);
    expect(b.snapshot(100).received.unreliableLoss).toBe(0);
  });

  it("rates per second, taken once an interval has passed", () => {
    const stats = new LinkStats();
    stats.restart(0);
    const counters = (scale: number): TrafficCounters => ({
      sentBytes: 1000 * scale,
      sentMessages: 10 * scale,
      receivedBytes: 500 * scale,
      receivedMessages: 5 * scale,
      unreliableSent: 0,
      unreliableReceived: 0,
      unreliableDropped: 2 * scale,
    });
    expect(stats.roll(999, counters(1))).toBe(false);
    expect(stats.roll(1000, counters(1))).toBe(true);
    expect(stats.roll(3000, counters(5))).toBe(true);
    const snapshot = stats.snapshot(1, false, 3000);
    expect(snapshot.sent).toMatchObject({ bytesPerSecond: 2000, messagesPerSecond: 20, droppedPerSecond: 4 });
    expect(snapshot.received).toMatchObject({ bytesPerSecond: 1000, messagesPerSecond: 10 });
  });
});
