import type { ConnectionStats, TransferMode } from "../multiplayer-peer.js";
import type { NetworkConditions } from "./conditioner.js";
import { decodeLinkFrame, encodeLinkFrame, LINK_FRAME, LinkFrameKind } from "./link-frames.js";
import { LinkStats } from "./link-stats.js";
import type { ConnectionCallbacks, ConnectionEnd, PeerConnection } from "./peer-connection.js";
import { ResendLog } from "./resend-log.js";

/** How often an open connection says it is alive (and acknowledges what it received). */
export const HEARTBEAT_INTERVAL_MS = 500;
/** A connection that has not heard anything for this long is taken for dead. */
export const SILENCE_TIMEOUT_MS = 1500;
/**
 * Under load, acknowledge after this many reliable messages instead of waiting for the next
 * heartbeat: the sender then lets go of them before the garbage collector has to keep them.
 */
const ACKNOWLEDGE_EVERY = 128;
/** After a network change, the other side must be heard from within this long. */
export const SUSPECT_TIMEOUT_MS = 1000;
/** The heartbeat's key for newest-wins: under load only the latest heartbeat waits to go out. */
const HEARTBEAT_KEY = "\0link";
/** ICE's view (path, its round trip) is asked for once a second while someone read the stats this recently. */
const ICE_INTEREST_MS = 10_000;

/**
 * connecting: no connection has completed yet. open: one has, and carries traffic. reconnecting: it
 * was open and its connection is gone; another may take over. closed: over for good.
 */
export type SessionState = "connecting" | "open" | "reconnecting" | "closed";

/** Why a session's connection is gone. `bye`, `violation` and `overflow` leave nothing to resume. */
export type LostCause =
  | { kind: "ended"; end: ConnectionEnd }
  | { kind: "silence" }
  | { kind: "bye" }
  | { kind: "violation"; message: string }
  | { kind: "overflow"; message: string };

export const isFinal = (cause: LostCause): boolean =>
  cause.kind === "bye" || cause.kind === "violation" || cause.kind === "overflow";

export interface SessionOwner {
  /** A connection completed its handshake: traffic flows. `resumed` when the session was open before. */
  opened(session: Session, resumed: boolean): void;
  packet(session: Session, data: Uint8Array, transfer: TransferMode, channel: number): void;
  /** The session's connection is gone; the session is `connecting` or `reconnecting` now, never closed. */
  lost(session: Session, cause: LostCause): void;
}

/** Builds a connection that reports to the given callbacks (the owner adds where signals go). */
export type ConnectionFactory = (callbacks: Omit<ConnectionCallbacks, "signal">) => PeerConnection;

/**
 * One remote peer over one or more successive connections: a player keeps its session while its
 * connection is replaced. Every reliable message is counted on both sides and kept until the other
 * side acknowledges it, so a new connection resends exactly what the old one did not deliver.
 */
export class Session {
  readonly remoteId: number;
  #state: SessionState = "connecting";
  /** The number of the current connection attempt (the client counts them); -1 before the first. */
  connectionNumber = -1;
  readonly #owner: SessionOwner;
  /** Channel number of each reliable lane (channel 0's reliable lane first). */
  readonly #reliableChannels: readonly number[];
  readonly #logs: ResendLog[];
  /** Per reliable lane: whole messages received from the other side over the whole session. */
  readonly #received: number[];
  readonly #watchSilence: boolean;
  #connection: PeerConnection | null = null;
  /** Both sides said HELLO on the current connection. */
  #handshaken = false;
  /** Messages that arrived on other lanes before the HELLO; delivered right after it. */
  #early: Array<[Uint8Array, TransferMode, number]> = [];
  #lastHeard = 0;
  /** Something arrived since the last tick (cheaper than reading the clock per message). */
  #heard = false;
  #lastTick = 0;
  #lastSaid = 0;
  /** Reliable messages received since this side last acknowledged. */
  #unacknowledgedReceived = 0;
  /** When the network changed under this side with nothing heard since; 0 when nothing is suspected. */
  #suspectedAt = 0;
  readonly #stats = new LinkStats();
  #conditions: NetworkConditions | null = null;
  /** When `stats()` was last called (ICE is only asked while someone looks). */
  #statsReadAt = Number.NEGATIVE_INFINITY;
  #icePending = false;

  constructor(
    remoteId: number,
    reliableChannels: readonly number[],
    resendLimitBytes: number,
    watchSilence: boolean,
    owner: SessionOwner,
  ) {
    this.remoteId = remoteId;
    this.#reliableChannels = reliableChannels;
    this.#logs = reliableChannels.map(() => new ResendLog(resendLimitBytes));
    this.#received = reliableChannels.map(() => 0);
    this.#watchSilence = watchSilence;
    this.#owner = owner;
  }

  get state(): SessionState {
    return this.#state;
  }

  get connection(): PeerConnection | null {
    return this.#connection;
  }

  /** Reliable bytes kept for resending until the other side confirms them. */
  get unacknowledgedBytes(): number {
    return this.#logs.reduce((sum, log) => sum + log.bytes, 0);
  }

  /** Emulated network conditions for what this side sends to the remote (null: none), on every connection. */
  get conditions(): NetworkConditions | null {
    return this.#conditions;
  }

  set conditions(conditions: NetworkConditions | null) {
    this.#conditions = conditions;
    if (this.#connection) this.#connection.conditions = conditions;
  }

  /** The connection's statistics; null before the first connection completed. */
  stats(): ConnectionStats | null {
    if (this.#state === "connecting" || this.#state === "closed") return null;
    const now = performance.now();
    const firstLook = this.#statsReadAt < now - ICE_INTEREST_MS;
    this.#statsReadAt = now;
    if (firstLook) this.#askIce();
    return this.#stats.snapshot(this.remoteId, this.#state === "reconnecting", now);
  }

  /** Replaces the current connection (dropped without a report) with a new attempt. */
  connect(number: number, create: ConnectionFactory): PeerConnection {
    this.#dropConnection();
    this.connectionNumber = number;
    const connection = create({
      open: () => this.#connectionOpened(connection),
      packet: (data, transfer, channel) => this.#received_(connection, data, transfer, channel),
      end: (end) => {
        if (connection !== this.#connection) return;
        this.#connection = null;
        this.#handshaken = false;
        this.#lose(
          end.kind === "violation" ? { kind: "violation", message: end.message } : { kind: "ended", end },
        );
      },
    });
    this.#connection = connection;
    if (this.#conditions) connection.conditions = this.#conditions;
    return connection;
  }

  /**
   * Reliable messages are kept until acknowledged and go out now if the connection is up, else with
   * the next one. Unreliable ones go out only over an up connection.
   */
  send(data: Uint8Array, transfer: TransferMode, channel: number, key: string | null): void {
    if (this.#state === "closed") return;
    const log = this.#logs[this.#reliableLane(transfer, channel)];
    if (log) {
      if (!log.append(data)) {
        this.#dropConnection();
        this.#lose({
          kind: "overflow",
          message: `over ${log.bytes} bytes of reliable messages not yet confirmed by peer ${this.remoteId}`,
        });
        return;
      }
    }
    if (this.#handshaken) this.#connection!.send(data, transfer, channel, key);
  }

  /** Unreliable messages wait only in the current connection's senders (a dropped one took its own with it). */
  discardWaiting(matches: (key: string) => boolean): void {
    this.#connection?.discardWaiting(matches);
  }

  /**
   * Sends a heartbeat when one is due; takes a silent connection for dead. `stalled`: this side
   * was too busy to hear anything lately, so silence starts counting now. True when the
   * statistics were updated (once a second while the connection is up).
   */
  tick(now: number, stalled = false): boolean {
    if (!this.#handshaken) return false;
    const clock = performance.now();
    const rolled = this.#stats.due(clock) && this.#stats.roll(clock, this.#connection!.traffic());
    if (rolled && clock - this.#statsReadAt < ICE_INTEREST_MS) this.#askIce();
    // Heard since the last tick: at the last tick at the earliest, so silence is never overstated.
    if (stalled) this.#lastHeard = now;
    else if (this.#heard) this.#lastHeard = Math.max(this.#lastHeard, this.#lastTick);
    this.#heard = false;
    this.#lastTick = now;
    if (this.#suspectedAt !== 0 && now - this.#suspectedAt > SUSPECT_TIMEOUT_MS) {
      this.#suspectedAt = 0;
      this.#dropConnection();
      this.#lose({ kind: "silence" });
      return false;
    }
    this.#heartbeatIfDue(now);
    if (this.#watchSilence && now - this.#lastHeard > SILENCE_TIMEOUT_MS) {
      this.#dropConnection();
      this.#lose({ kind: "silence" });
      return false;
    }
    return rolled;
  }

  /** Asks the connection's ICE for its path and round trip, one question at a time. */
  #askIce(): void {
    const connection = this.#connection;
    if (!connection || !this.#handshaken || this.#icePending) return;
    this.#icePending = true;
    connection
      .ice()
      .then(
        (report) => {
          if (connection === this.#connection) this.#stats.ice = report;
        },
        () => {}, // a connection closing under getStats(): nothing to report
      )
      .finally(() => {
        this.#icePending = false;
      });
  }

  /** Drops the current connection without reporting it (an attempt that took too long). */
  abandonConnection(): void {
    this.#dropConnection();
  }

  /**
   * The network under this side changed (a phone from Wi-Fi to cellular): the connection may be
   * dead already. It is given up unless the other side is heard from within SUSPECT_TIMEOUT_MS,
   * rather than after the usual silence.
   */
  suspect(now: number): void {
    if (!this.#handshaken || !this.#watchSilence) return;
    this.#suspectedAt = now;
    this.#lastSaid = 0;
    this.#heartbeatIfDue(now);
  }

  /**
   * Timers of a hidden browser tab fire at most once a second; answering the other side's
   * heartbeats as they arrive keeps a hidden tab from looking silent.
   */
  #heartbeatIfDue(now: number): void {
    if (now - this.#lastSaid >= HEARTBEAT_INTERVAL_MS) this.#sendHeartbeat(now);
  }

  #sendHeartbeat(now: number): void {
    const connection = this.#connection;
    if (!connection) return;
    this.#lastSaid = now;
    this.#unacknowledgedReceived = 0;
    const heartbeat = encodeLinkFrame({
      kind: LinkFrameKind.HEARTBEAT,
      counts: this.#received,
      ...this.#stats.outgoing(performance.now(), connection.unreliableSent),
    });
    connection.send(heartbeat, "unreliable", 0, HEARTBEAT_KEY);
  }

  /** Ends the session; `sayBye` tells the other side first that this is on purpose. */
  close(sayBye: boolean): void {
    if (this.#state === "closed") return;
    if (sayBye && this.#handshaken) {
      this.#connection!.send(encodeLinkFrame({ kind: LinkFrameKind.BYE }), "reliable", 0, null);
    }
    this.#state = "closed";
    this.#dropConnection();
    this.#early = [];
  }

  #connectionOpened(connection: PeerConnection): void {
    if (connection !== this.#connection) return;
    this.#lastHeard = Date.now();
    connection.send(
      encodeLinkFrame({ kind: LinkFrameKind.HELLO, counts: this.#received }),
      "reliable",
      0,
      null,
    );
  }

  #received_(connection: PeerConnection, data: Uint8Array, transfer: TransferMode, channel: number): void {
    if (connection !== this.#connection) return;
    this.#heard = true;
    this.#suspectedAt = 0;
    if (data[0] === LINK_FRAME) return this.#linkFrame(connection, data);
    if (this.#handshaken) this.#deliver(data, transfer, channel);
    else this.#early.push([data, transfer, channel]);
  }

  #linkFrame(connection: PeerConnection, data: Uint8Array): void {
    const frame = decodeLinkFrame(data, this.#reliableChannels.length);
    if (typeof frame === "string") return connection.violated(frame);
    if (frame.kind === LinkFrameKind.BYE) {
      this.#dropConnection();
      return this.#lose({ kind: "bye" });
    }
    if (frame.kind === LinkFrameKind.HEARTBEAT) {
      if (!this.#handshaken) return;
      if (!this.#acknowledge(frame.counts))
        return connection.violated("heartbeat acknowledges messages never sent");
      this.#stats.incoming(performance.now(), frame, connection.unreliableReceived);
      return this.#heartbeatIfDue(Date.now());
    }
    if (this.#handshaken) return connection.violated("a second HELLO on one connection");
    if (!this.#acknowledge(frame.counts)) return connection.violated("HELLO does not match this session");
    this.#handshaken = true;
    this.#lastSaid = 0;
    this.#stats.restart(performance.now());
    // What the last connection did not deliver goes first, in its order.
    this.#logs.forEach((log, lane) => {
      for (const message of log.unacknowledged()) {
        connection.send(message, "reliable", this.#reliableChannels[lane]!, null);
      }
    });
    const resumed = this.#state !== "connecting";
    if (resumed) this.#stats.reconnects++;
    this.#state = "open";
    this.#owner.opened(this, resumed);
    const early = this.#early;
    this.#early = [];
    for (const [message, transfer, channel] of early) {
      if (connection === this.#connection) this.#deliver(message, transfer, channel);
    }
  }

  #acknowledge(counts: readonly number[]): boolean {
    return this.#logs.every((log, lane) => log.acknowledge(counts[lane]!));
  }

  #deliver(data: Uint8Array, transfer: TransferMode, channel: number): void {
    if (transfer === "reliable") {
      this.#received[this.#reliableLane(transfer, channel)]!++;
      if (++this.#unacknowledgedReceived >= ACKNOWLEDGE_EVERY) this.#sendHeartbeat(Date.now());
    }
    this.#owner.packet(this, data, transfer, channel);
  }

  /**
   * Which reliable lane a message travels on, or -1: channel 0 has a lane per transfer mode, an
   * extra channel one lane of its declared mode (whatever the call asked for).
   */
  #reliableLane(transfer: TransferMode, channel: number): number {
    if (channel !== 0) return this.#reliableChannels.indexOf(channel);
    return transfer === "reliable" ? 0 : -1;
  }

  #dropConnection(): void {
    const connection = this.#connection;
    this.#connection = null;
    this.#handshaken = false;
    this.#suspectedAt = 0;
    connection?.destroy();
  }

  #lose(cause: LostCause): void {
    if (this.#state === "closed") return;
    if (this.#state === "open") this.#state = "reconnecting";
    this.#early = [];
    this.#owner.lost(this, cause);
  }
}
