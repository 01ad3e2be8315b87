import { describe, expect, it } from "vitest";
import {
  ChannelSender,
  MAX_WAITING_UNRELIABLE,
  MAX_WAITING_UNRELIABLE_BYTES,
  type SendableChannel,
} from "../src/transport/webrtc/channel-sender.js";
import { FRAGMENT_CHUNK_BYTES, fragment, Reassembler } from "../src/transport/webrtc/fragments.js";

/** A data channel whose buffer fills as it is sent to, and empties when the test says so. */
class FakeChannel implements SendableChannel {
  readyState: RTCDataChannelState = "open";
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  onbufferedamountlow: ((this: RTCDataChannel, event: Event) => unknown) | null = null;
  readonly sent: Uint8Array[] = [];

  send(data: Uint8Array): void {
    if (data.length > FRAGMENT_CHUNK_BYTES) throw new Error("message too big for a data channel");
    this.sent.push(data.slice());
    this.bufferedAmount += data.length;
  }

  /** The network takes everything; the channel says its buffer is low. */
  flush(): void {
    this.bufferedAmount = 0;
    this.onbufferedamountlow?.call(this as unknown as RTCDataChannel, new Event("bufferedamountlow"));
  }
}

function random(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7919 + length) % 256;
  return bytes;
}
/** Byte-for-byte equality without the test runner's slow element-wise diffing of big arrays. */
const same = (a: unknown, b: Uint8Array) => a instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));

describe("fragments", () => {
  it("split a 1 MiB message into chunk-sized pieces and put it back together", () => {
    const message = random(1024 * 1024);
    const pieces = fragment(message);
    expect(pieces.every((piece) => piece.length <= FRAGMENT_CHUNK_BYTES)).toBe(true);
    const reassembler = new Reassembler(2 * 1024 * 1024);
    const results = pieces.map((piece) => reassembler.accept(piece));
    expect(results.slice(0, -1).every((result) => result === null)).toBe(true);
    expect(same(results.at(-1), message)).toBe(true);
    expect(reassembler.accept(Uint8Array.of(3, 1))).toEqual(Uint8Array.of(3, 1));
  });

  it("refuse messages over the limit and broken framing", () => {
    const tooBig = fragment(random(100_000));
    expect(new Reassembler(50_000).accept(tooBig[0]!)).toMatch(/exceeds/);
    expect(new Reassembler(1000).accept(random(1001))).toMatch(/exceeds/);
    expect(new Reassembler(1e6).accept(tooBig[1]!)).toMatch(/without a first/);
    const midway = new Reassembler(1e6);
    midway.accept(tooBig[0]!);
    expect(midway.accept(Uint8Array.of(3))).toMatch(/middle/);
    expect(new Reassembler(1e6).accept(Uint8Array.of(5))).toMatch(/truncated/);
  });
});

describe("ChannelSender, reliable", () => {
  it("queues a burst beyond the buffer instead of failing, and drains it in order", () => {
    const channel = new FakeChannel();
    const sender = new ChannelSender(channel, true);
    const messages = Array.from({ length: 300 }, (_, i) => random(10_000 + i));
    for (const message of messages) sender.send(message, null);
    expect(channel.sent.length).toBeLessThan(messages.length);
    expect(sender.queuedBytes).toBeGreaterThan(0);
    for (let i = 0; i < 100 && sender.queuedBytes > 0; i++) channel.flush();
    expect(sender.queuedBytes).toBe(0);
    expect(channel.sent.length).toBe(messages.length);
    expect(channel.sent.every((sent, i) => same(sent, messages[i]!))).toBe(true);
  });

  it("fragments large messages", () => {
    const channel = new FakeChannel();
    new ChannelSender(channel, true).send(random(100_000), null);
    const reassembler = new Reassembler(1e6);
    const results = channel.sent.map((piece) => reassembler.accept(piece));
    expect(same(results.at(-1), random(100_000))).toBe(true);
  });
});

describe("ChannelSender, unreliable", () => {
  it("sends at once while the buffer is low", () => {
    const channel = new FakeChannel();
    const sender = new ChannelSender(channel, false);
    sender.send(Uint8Array.of(1), "a");
    sender.send(Uint8Array.of(2), "a");
    expect(channel.sent).toEqual([Uint8Array.of(1), Uint8Array.of(2)]);
    expect(sender.dropped).toBe(0);
  });

  it("keeps only the newest message per key while the buffer is full, and counts the rest", () => {
    const channel = new FakeChannel();
    const sender = new ChannelSender(channel, false);
    channel.bufferedAmount = 1_000_000;
    for (let i = 0; i < 10; i++) sender.send(Uint8Array.of(1, i), "player:1");
    for (let i = 0; i < 5; i++) sender.send(Uint8Array.of(2, i), "player:2");
    sender.send(Uint8Array.of(9), null); // nothing to coalesce with: dropped
    expect(channel.sent).toEqual([]);
    expect(sender.dropped).toBe(9 + 4 + 1);
    channel.flush();
    expect(channel.sent).toEqual([Uint8Array.of(1, 9), Uint8Array.of(2, 4)]);
  });

  it("drops the waiting messages whose key the caller names, keeps the rest, and counts them", () => {
    const channel = new FakeChannel();
    const sender = new ChannelSender(channel, false);
    channel.bufferedAmount = 1_000_000;
    for (const key of ["3:7:0", "3:7:1", "3:8:0", "5>3:7:0"]) sender.send(new TextEncoder().encode(key), key);
    sender.discardWaiting((key) => key.startsWith("3:7:"));
    expect(sender.dropped).toBe(2);
    channel.flush();
    expect(channel.sent.map((bytes) => new TextDecoder().decode(bytes))).toEqual(["3:8:0", "5>3:7:0"]);
  });

  it("holds a bounded number of kinds and bytes however many keys a sender invents", () => {
    const channel = new FakeChannel();
    const sender = new ChannelSender(channel, false);
    channel.bufferedAmount = 1_000_000;
    for (let i = 0; i < 200_000; i++) sender.send(Uint8Array.of(1, i & 255, i >> 8), `relay:${i}`);
    expect(sender.waitingUnreliable.messages).toBe(MAX_WAITING_UNRELIABLE);
    expect(sender.dropped).toBe(200_000 - MAX_WAITING_UNRELIABLE);
    for (let i = 0; i < 100; i++) sender.send(random(4000), `big:${i}`);
    expect(sender.waitingUnreliable.bytes).toBeLessThanOrEqual(MAX_WAITING_UNRELIABLE_BYTES);
    for (let i = 0; i < 1000 && sender.waitingUnreliable.messages > 0; i++) channel.flush();
    // The newest survive, oldest first.
    expect(same(channel.sent.at(-1), random(4000))).toBe(true);
    expect(sender.waitingUnreliable).toEqual({ messages: 0, bytes: 0 });
  });

  it("refuses a message too big for one data-channel message", () => {
    expect(() =>
      new ChannelSender(new FakeChannel(), false).send(random(FRAGMENT_CHUNK_BYTES + 1), "k"),
    ).toThrow(RangeError);
  });
});
