// A session over successive connections: the exactly-once, in-order promise of a reconnect,
// checked over fake connections whose delivery the test controls message by message.
import { describe, expect, it } from "vitest";
import type { TransferMode } from "../src/transport/multiplayer-peer.js";
import type { ConnectionCallbacks, PeerConnection } from "../src/transport/webrtc/peer-connection.js";
import {
  type LostCause,
  Session,
  type SessionOwner,
  SILENCE_TIMEOUT_MS,
  SUSPECT_TIMEOUT_MS,
} from "../src/transport/webrtc/session.js";

type Message = [data: Uint8Array, transfer: TransferMode, channel: number];

class FakeConnection {
  readonly outbox: Message[] = [];
  destroyed = false;
  unreliableSent = 0;
  unreliableReceived = 0;
  conditions: unknown = null;
  constructor(readonly callbacks: Omit<ConnectionCallbacks, "signal">) {}
  send(data: Uint8Array, transfer: TransferMode, channel: number): void {
    if (this.destroyed) return;
    if (transfer !== "reliable") this.unreliableSent++;
    this.outbox.push([data, transfer, channel]);
  }
  traffic() {
    return {
      sentBytes: 0,
      sentMessages: 0,
      receivedBytes: 0,
      receivedMessages: 0,
      unreliableSent: this.unreliableSent,
      unreliableReceived: this.unreliableReceived,
      unreliableDropped: 0,
    };
  }
  async ice() {
    return { rttMs: null, path: null };
  }
  destroy(): void {
    this.destroyed = true;
  }
  violated(message: string): void {
    this.callbacks.end({ kind: "violation", message });
  }
}

class Side implements SessionOwner {
  readonly session: Session;
  readonly received: string[] = [];
  readonly events: string[] = [];
  readonly losses: LostCause[] = [];
  connection: FakeConnection | null = null;

  constructor(watchSilence = true, limitBytes = 1 << 20) {
    this.session = new Session(1, [0], limitBytes, watchSilence, this);
  }
  opened(_session: Session, resumed: boolean): void {
    this.events.push(resumed ? "reconnected" : "connected");
  }
  packet(_session: Session, data: Uint8Array): void {
    this.received.push(new TextDecoder().decode(data));
  }
  lost(_session: Session, cause: LostCause): void {
    this.losses.push(cause);
  }
  connect(number: number): void {
    this.session.connect(number, (callbacks) => {
      this.connection = new FakeConnection(callbacks);
      return this.connection as unknown as PeerConnection;
    });
  }
  send(text: string, transfer: TransferMode = "reliable"): void {
    this.session.send(new TextEncoder().encode(text), transfer, 0, null);
  }
}

/** Hands everything `from` has sent to `to` (up to `count` messages), as the network would. */
function deliver(from: Side, to: Side, count = Number.POSITIVE_INFINITY): void {
  const outbox = from.connection!.outbox;
  for (const [data, transfer, channel] of outbox.splice(0, count)) {
    if (to.connection && transfer !== "reliable") to.connection.unreliableReceived++;
    to.connection?.callbacks.packet(data, transfer, channel);
  }
}

function connectBoth(a: Side, b: Side, number: number): void {
  a.connect(number);
  b.connect(number);
  a.connection!.callbacks.open();
  b.connection!.callbacks.open();
  // HELLOs cross, then what each HELLO made the other side resend.
  for (let round = 0; round < 2; round++) {
    deliver(a, b);
    deliver(b, a);
  }
}

describe("Session", () => {
  it("opens once both sides said HELLO", () => {
    const [a, b] = [new Side(), new Side()];
    connectBoth(a, b, 0);
    expect([a.events, b.events, a.session.state]).toEqual([["connected"], ["connected"], "open"]);
  });

  it("after a new connection, delivers exactly what the old one lost, once and in order", () => {
    const [a, b] = [new Side(), new Side()];
    connectBoth(a, b, 0);
    for (const text of ["one", "two", "three", "four"]) a.send(text);
    a.send("lost anyway", "unreliable");
    deliver(a, b, 2); // "one" and "two" got through; the rest dies with the connection
    // B's acknowledgement of "one" and "two" never reaches A either.
    a.session.abandonConnection();
    b.session.abandonConnection();
    a.send("five"); // sent while away: kept for the next connection
    connectBoth(a, b, 1);
    expect(b.received).toEqual(["one", "two", "three", "four", "five"]);
    expect([a.events.at(-1), b.events.at(-1)]).toEqual(["reconnected", "reconnected"]);
    a.send("six");
    deliver(a, b);
    expect(b.received.at(-1)).toBe("six");
  });

  it("acknowledges a burst without waiting for the next heartbeat", () => {
    const [a, b] = [new Side(), new Side()];
    connectBoth(a, b, 0);
    for (let i = 0; i < 300; i++) a.send(`m${i}`);
    deliver(a, b);
    deliver(b, a);
    // Two acknowledgements went back on their own (after 128 and 256 messages).
    expect(a.session.unacknowledgedBytes).toBe(44 * 4);
    expect(b.received).toHaveLength(300);
  });

  it("forgets what a heartbeat acknowledges", () => {
    const [a, b] = [new Side(), new Side()];
    connectBoth(a, b, 0);
    a.send("one");
    a.send("two");
    deliver(a, b);
    expect(a.session.unacknowledgedBytes).toBe(6);
    b.session.tick(Date.now());
    deliver(b, a);
    expect(a.session.unacknowledgedBytes).toBe(0);
  });

  it("takes a silent connection for dead, unless silence is not watched (no grace)", () => {
    const [a, b] = [new Side(), new Side()];
    connectBoth(a, b, 0);
    a.session.tick(Date.now()); // what arrived so far counts as heard now
    a.session.tick(Date.now() + SILENCE_TIMEOUT_MS + 1);
    expect(a.losses).toEqual([{ kind: "silence" }]);
    expect(a.session.state).toBe("reconnecting");
    expect(a.connection!.destroyed).toBe(true);

    const [c, d] = [new Side(false), new Side(false)];
    connectBoth(c, d, 0);
    c.session.tick(Date.now());
    c.session.tick(Date.now() + SILENCE_TIMEOUT_MS + 1);
    expect(c.losses).toEqual([]);
  });

  it("a stalled side does not blame the other for its own silence", () => {
    const [a, b] = [new Side(), new Side()];
    connectBoth(a, b, 0);
    a.session.tick(Date.now());
    a.session.tick(Date.now() + SILENCE_TIMEOUT_MS + 1, true);
    expect(a.losses).toEqual([]);
  });

  it("after a network change, gives the connection up unless the other side answers in time", () => {
    const [a, b] = [new Side(), new Side()];
    connectBoth(a, b, 0);
    const now = Date.now();
    a.session.suspect(now);
    deliver(a, b); // the immediate heartbeat
    deliver(b, a, 0); // ...whose answer never comes
    a.session.tick(now + SUSPECT_TIMEOUT_MS + 1);
    expect(a.losses).toEqual([{ kind: "silence" }]);

    const [c, d] = [new Side(), new Side()];
    connectBoth(c, d, 0);
    c.session.suspect(Date.now());
    deliver(c, d);
    d.session.tick(Date.now() + 600); // d's own heartbeat is due
    deliver(d, c);
    c.session.tick(Date.now() + SUSPECT_TIMEOUT_MS + 1);
    expect(c.losses).toEqual([]);
  });

  it("a goodbye ends it as final; broken or impossible link frames are violations", () => {
    const [a, b] = [new Side(), new Side()];
    connectBoth(a, b, 0);
    b.session.close(true);
    deliver(b, a);
    expect(a.losses).toEqual([{ kind: "bye" }]);

    const [c, d] = [new Side(), new Side()];
    connectBoth(c, d, 0);
    d.connection!.callbacks.packet(Uint8Array.of(6, 9), "reliable", 0);
    expect(d.losses.map((l) => l.kind)).toEqual(["violation"]);

    // A HELLO that claims messages this side never sent.
    const [e, f] = [new Side(), new Side()];
    e.connect(0);
    e.connection!.callbacks.open();
    e.connection!.callbacks.packet(Uint8Array.of(6, 1, 5), "reliable", 0);
    expect(e.losses.map((l) => l.kind)).toEqual(["violation"]);
    expect(f.losses).toEqual([]);
  });

  it("past its resend limit, the peer is dropped rather than silently missing messages", () => {
    const a = new Side(true, 10);
    const b = new Side();
    connectBoth(a, b, 0);
    a.send("12345");
    a.send("1234567");
    expect(a.losses.map((l) => l.kind)).toEqual(["overflow"]);
  });
});
