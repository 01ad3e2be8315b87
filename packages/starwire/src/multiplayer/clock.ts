import { HOST_PEER_ID } from "../signaling/protocol.js";
import {
  CLOCK_PING_HEAD,
  CLOCK_PONG_HEAD,
  decodeClockPing,
  decodeClockPong,
  encodeClockPing,
  encodeClockPong,
} from "../wire/clock-packet.js";
import { ClockEstimator } from "./clock-estimator.js";
import type { Rejection } from "./rejection.js";
import type { Delivery, Subsystem } from "./subsystem.js";

/** Pings right after connecting, until synchronized: a fast first estimate. */
export const BURST_INTERVAL_MS = 100;
/** Pings once synchronized: enough to follow drift and route changes, a few bytes a second. */
export const PING_INTERVAL_MS = 1000;
/** Unanswered pings a client remembers; a pong must answer one of them. */
const MAX_PENDING = 16;

const localTime = () => performance.now();

/** What the clock needs from its MultiplayerAPI. */
export interface ClockHost {
  isServer(): boolean;
  /** Sends to a directly connected peer over the unreliable channel (dropped when not connected). */
  send(to: number, packet: Uint8Array): void;
  reject(rejection: Rejection): void;
  /** The tick number at a time in ms (NetworkTick.tickAt, at the current tick rate). */
  tickAt(time: number): number;
  /** Client: whether ticks are counted at the host's rate yet (it announced it). */
  ticksAgreed(): boolean;
  /** The clock's time stepped (a new session, or the first synchronization): ticks count from it afresh. */
  stepped(): void;
}

/**
 * The host's time on every peer (`multiplayer.clock`): on the host its own time since its
 * transport was set, on a client an estimate from pings, corrected without jumps.
 */
export class NetworkClock {
  readonly #sync: ClockSync;

  /** @internal One per MultiplayerAPI, built by it. */
  constructor(sync: ClockSync) {
    this.#sync = sync;
  }

  /**
   * The host's time in ms. On a client, its estimate: a local stand-in until `synchronized`, then
   * one step to the estimate, then never backwards (corrections run the clock at most 5 % fast or
   * slow).
   */
  now(): number {
    return this.#sync.now();
  }

  /** The host's tick number now: `floor(now() × tickRate / 1000)`, the same on every synchronized peer. */
  get tick(): number {
    return this.#sync.tick();
  }

  /**
   * Whether `now()` and `tick` follow the host: always on the host; on a client after its first
   * few pongs, once the host's tick rate arrived too (it comes first after joining).
   */
  get synchronized(): boolean {
    return this.#sync.synchronized();
  }

  /** Round trip to the host in ms (median of the last samples): 0 on the host, null before a pong. */
  get rttMs(): number | null {
    return this.#sync.rttOf(HOST_PEER_ID);
  }

  /** `now()` minus this machine's `performance.now()`, ms. */
  get offsetMs(): number {
    return this.#sync.offset();
  }

  /**
   * A peer's round trip to the host in ms: on the host, what each client reported (its `rttMs`),
   * 0 for the host itself; on a client, its own for peer 1. Null when unknown.
   */
  rttOf(peerId: number): number | null {
    return this.#sync.rttOf(peerId);
  }
}

/**
 * The clock's subsystem: a client pings the host from `poll` (every BURST_INTERVAL_MS until
 * synchronized, then every PING_INTERVAL_MS), the host answers each ping at once with its time.
 * Pings and pongs go between a client and the host only, never through a relay. A flood of pings
 * is bounded by the host's per-client rate limits like any other packet.
 */
export class ClockSync implements Subsystem {
  readonly commands = [CLOCK_PING_HEAD, CLOCK_PONG_HEAD];
  readonly clock = new NetworkClock(this);
  readonly #host: ClockHost;
  #epoch = localTime();
  #estimator = new ClockEstimator(-this.#epoch);
  /** Client: the host is in the game, so pings go out. */
  #linked = false;
  #nextPingAt = 0;
  /** Client: send times of pings not answered yet, oldest first. */
  #pending: number[] = [];
  /** Host: the round trip each client reported, ms. */
  readonly #reported = new Map<number, number>();

  constructor(host: ClockHost) {
    this.#host = host;
  }

  now(): number {
    return this.#estimator.time(localTime());
  }

  tick(): number {
    return this.#host.tickAt(this.now());
  }

  /** A client's tick numbers are the host's only with the host's time and the host's rate. */
  synchronized(): boolean {
    return this.#host.isServer() || (this.#estimator.synchronized && this.#host.ticksAgreed());
  }

  offset(): number {
    this.now(); // brings the slew up to date
    return this.#estimator.offset;
  }

  rttOf(peer: number): number | null {
    if (this.#host.isServer()) return peer === HOST_PEER_ID ? 0 : (this.#reported.get(peer) ?? null);
    return peer === HOST_PEER_ID ? this.#estimator.rtt : null;
  }

  /** Pings and pongs travel directly between a client and the host: a relayed one is refused. */
  check(from: number, packet: Uint8Array, { relayed }: Delivery): (() => void) | null {
    const ping = packet[0] === CLOCK_PING_HEAD;
    const server = this.#host.isServer();
    if (relayed || (ping ? !server : server || from !== HOST_PEER_ID)) {
      const what = ping ? "a clock ping goes from a client to the host" : "a clock pong comes from the host";
      return this.#reject(from, "forbidden", `${what}, directly (from ${from}${relayed ? ", relayed" : ""})`);
    }
    if (ping) {
      const decoded = decodeClockPing(packet);
      if (typeof decoded === "string") return this.#reject(from, "malformed", decoded);
      return () => this.#answer(from, decoded.sent, decoded.rttUs);
    }
    const pong = decodeClockPong(packet);
    if (typeof pong === "string") return this.#reject(from, "malformed", pong);
    const pending = this.#pending.indexOf(pong.sent);
    if (pending < 0) return this.#reject(from, "malformed", "clock pong answers no ping of this client");
    return () => {
      this.#pending.splice(pending, 1);
      if (this.#estimator.addSample(pong.sent, pong.hostTime, localTime())) this.#host.stepped();
    };
  }

  peerAdded(id: number): void {
    if (id === HOST_PEER_ID && !this.#host.isServer()) {
      this.#linked = true;
      this.#nextPingAt = 0;
    }
  }

  peerRemoved(id: number): void {
    this.#reported.delete(id);
    if (id === HOST_PEER_ID) this.#linked = false;
  }

  reset(): void {
    this.#epoch = localTime();
    this.#estimator = new ClockEstimator(-this.#epoch);
    this.#linked = false;
    this.#pending = [];
    this.#reported.clear();
    this.#host.stepped();
  }

  poll(): void {
    if (!this.#linked) return;
    const local = localTime();
    if (local < this.#nextPingAt) return;
    this.#nextPingAt = local + (this.#estimator.synchronized ? PING_INTERVAL_MS : BURST_INTERVAL_MS);
    this.#pending.push(local);
    if (this.#pending.length > MAX_PENDING) this.#pending.shift();
    const rtt = this.#estimator.rtt;
    this.#host.send(
      HOST_PEER_ID,
      encodeClockPing({ sent: local, rttUs: rtt === null ? null : Math.round(rtt * 1000) }),
    );
  }

  /** Host: answers at once, so the time it sends is the time the ping arrived. */
  #answer(from: number, sent: number, rttUs: number | null): void {
    if (rttUs !== null) this.#reported.set(from, rttUs / 1000);
    this.#host.send(from, encodeClockPong({ sent, hostTime: this.now() }));
  }

  #reject(from: number, reason: Rejection["reason"], message: string): null {
    this.#host.reject({ from, reason, message });
    return null;
  }
}
