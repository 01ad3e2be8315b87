import type { Server } from "socket.io";
import type { ClientToServerEvents, ServerToClientEvents, SignalingError } from "starwire-protocol";
import type { AddressLimits } from "./address-limits.js";
import type { SignalingConfig } from "./config.js";
import type { IdleSockets } from "./idle-sockets.js";
import { describeError, rateLimited } from "./incoming-event.js";
import type { SignalingLog } from "./logger.js";
import type { LimitName, SignalingMetrics } from "./metrics.js";
import { type Room, type RoomStore, StoreUnavailableError } from "./room-store.js";
import type { RoomTokens } from "./tokens.js";

export type SignalingIo = Server<ClientToServerEvents, ServerToClientEvents>;

/** Where an emit goes: one socket, here or (with Redis) on another process. */
export type SocketTarget = ReturnType<SignalingIo["to"]>;

/**
 * What every part of the signaling wiring shares: the server's parts, and how to reach a socket
 * (here or, with Redis, on another process), log, and count a limit.
 */
export class SignalingContext {
  constructor(
    readonly io: SignalingIo,
    readonly registry: RoomStore,
    readonly addressLimits: AddressLimits,
    readonly config: SignalingConfig,
    readonly logs: SignalingLog,
    readonly tokens: RoomTokens,
    readonly metrics: SignalingMetrics,
    readonly idleSockets: IdleSockets,
  ) {}

  // Room codes never appear in logs (a code is all it takes to join a room without a password):
  // rooms are named by `tag`. Client addresses only at debug level.
  log(line: string): void {
    this.logs.info(line);
  }

  /**
   * An error outside any request's answer. The store being unreachable hits every socket and
   * timer at once: one line per log window for all of them (the outage itself is logged by server.ts).
   */
  logFailure(what: string, error: unknown): void {
    if (error instanceof StoreUnavailableError) {
      this.logs.refusal("room store unavailable", `${what}: ${error.message}`);
    } else this.log(`${what}: ${describeError(error)}`);
  }

  /** A refusal by `limit`, counted. */
  limitHit(limit: LimitName, message: string, retryAfter?: number): SignalingError {
    this.metrics.limitHit(limit);
    return rateLimited(message, retryAfter);
  }

  /** A socket whose room ended for it while it stays connected is idle again. */
  outOfRoom(socketId: string): void {
    if (this.io.of("/").sockets.has(socketId)) this.idleSockets.start(socketId);
  }

  /**
   * A socket whose place another socket took (a client's `resume`, a host's takeover): it is in no
   * room any more, so its later disconnect announces nothing. Closed without a word: the place was
   * taken with its token, so the old socket belongs to the same player, who has moved on.
   */
  dropReplaced(socketId: string): void {
    // Through the adapter: with Redis the old socket may be on another process.
    this.io.in(socketId).disconnectSockets(true);
  }

  /**
   * Where an emit to one socket goes: straight to it when it is connected here; otherwise through
   * the adapter (with Redis, one stream entry that every process reads, and the one holding the
   * socket delivers).
   */
  toSocket(socketId: string): SocketTarget {
    const operator = this.io.to(socketId);
    return this.io.of("/").sockets.has(socketId) ? operator.local : operator;
  }

  /** The host's socket, or nothing while the host is away (the room waits out its grace). */
  toHost(room: Room): SocketTarget | undefined {
    return room.hostSocketId === undefined ? undefined : this.toSocket(room.hostSocketId);
  }
}

/**
 * How logs name a room: `#` and the first 8 characters of its instance (tokens.ts), which are
 * random and say nothing about its code. The same room keeps its tag across a reclaim.
 */
export function tag(room: Room): string {
  return `#${room.instance.slice(0, 8)}`;
}
