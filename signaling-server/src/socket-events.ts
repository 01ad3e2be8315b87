import { CLIENT_EVENTS, type ClientEvent, type Reply } from "starwire-protocol";
import type { AddressLimits } from "./address-limits.js";
import type { SignalingConfig } from "./config.js";
import { ConnectionAddresses } from "./connection-address.js";
import { EventQueue } from "./event-queue.js";
import { IdleSockets } from "./idle-sockets.js";
import {
  type EventHandler,
  errorOf,
  eventNameOf,
  type IncomingEvent,
  incomingEvent,
  invalid,
  MAX_ECHOED_EVENT_NAME,
  type SignalingSocket,
} from "./incoming-event.js";
import type { SignalingLog } from "./logger.js";
import type { SignalingMetrics } from "./metrics.js";
import { retryAfterSeconds, TokenBucket } from "./rate-limit.js";
import { roomEntryHandlers } from "./room-entry.js";
import { roomRequestHandlers } from "./room-requests.js";
import { type RoomStore, StoreUnavailableError } from "./room-store.js";
import { RoomUpkeep } from "./room-upkeep.js";
import { signalRelay } from "./signal-relay.js";
import { SignalingContext, type SignalingIo } from "./signaling-context.js";
import type { RoomTokens } from "./tokens.js";
import { splitArguments } from "./validate.js";

export type { SignalingIo } from "./signaling-context.js";

/**
 * The `event` of a signalingError the server sends on its own, about the connection rather than
 * an event: too many sockets from one address, or a socket idle outside a room.
 */
export const CONNECTION_EVENT = "connection";

/** What a draining server no longer does: take places that would have to move again at once. */
const DRAINED_EVENTS: ReadonlySet<string> = new Set(["create", "join", "resume"]);

/**
 * socket.io's disconnect reasons that mean someone meant it: the client called
 * `socket.disconnect()`, or the server closed the socket (a replaced socket, an idle one, a
 * shutdown). Every other reason ("transport close", "ping timeout", "transport error", "parse
 * error", …) is a drop, and in a room with a reconnect grace the socket's place waits for it.
 */
const DELIBERATE_DISCONNECTS: ReadonlySet<string> = new Set([
  "client namespace disconnect",
  "server namespace disconnect",
  "server shutting down",
  "forced server close",
]);

/** What the wiring keeps that tests may want to count. */
export interface SignalingEvents {
  /** Idle countdowns running now: one per connected socket outside a room. */
  readonly idleTimers: number;
  /** Grace countdowns running now: one per place whose socket dropped. */
  readonly graceTimers: number;
  /** Per-room timers running now: token refreshes and empty-room countdowns. */
  readonly roomTimers: number;
  /** Stops every grace countdown, and keeps no place for sockets that drop from now on. */
  close(): void;
  /**
   * The server is about to shut down: every connected socket is told `serverDraining` (move to
   * another process, or back here once restarted), and those outside a room (nothing to move,
   * as the idle countdown knows them) are closed; from now on `create`, `join` and `resume` are
   * answered `server_draining`, and sockets that go away are forgotten without telling anyone
   * (their games go on over their data channels).
   */
  drain(): void;
}

/**
 * Wires the signaling protocol onto socket.io. Every event, known or not, enters through one
 * `onAny` listener that rate-limits, validates and catches, so no payload can throw out of here.
 */
export function attachSignalingEvents(
  io: SignalingIo,
  registry: RoomStore,
  addressLimits: AddressLimits,
  config: SignalingConfig,
  logs: SignalingLog,
  tokens: RoomTokens,
  metrics: SignalingMetrics,
): SignalingEvents {
  const idleSockets = new IdleSockets(config.idleSocketTimeoutMs, (socketId) => {
    const socket = io.of("/").sockets.get(socketId);
    if (socket === undefined) return;
    const seconds = config.idleSocketTimeoutMs / 1000;
    closeConnection(
      socket,
      "socket closed (idle)",
      `idle: no room created or joined within ${seconds} s; connect again when you are ready to play`,
    );
  });
  const ctx = new SignalingContext(io, registry, addressLimits, config, logs, tokens, metrics, idleSockets);
  const log = (line: string): void => ctx.log(line);
  const logFailure = (what: string, error: unknown): void => ctx.logFailure(what, error);
  const upkeep = new RoomUpkeep(ctx);
  const { create, join, resume } = roomEntryHandlers(ctx, upkeep);
  const { probe, setRefusing, kick, leave } = roomRequestHandlers(ctx, upkeep);
  const byEvent: Record<ClientEvent, EventHandler> = {
    create,
    join,
    resume,
    probe,
    signal: signalRelay(ctx),
    setRefusing,
    kick,
    leave,
  };
  const handlers = new Map<string, EventHandler>(CLIENT_EVENTS.map((event) => [event, byEvent[event]]));
  let closed = false;
  let draining = false;

  const addresses = new ConnectionAddresses(config, logs);

  io.on("connection", (socket) => {
    // Read once: the id never changes, and the room registry is keyed by it.
    const socketId = socket.id;
    let address: string;
    try {
      address = addresses.of(socket);
      if (!addressLimits.openSocket(address)) {
        metrics.limitHit("sockets_per_address");
        closeConnection(
          socket,
          "socket closed (too many connections)",
          `too many connections from your address (at most ${config.maxSocketsPerAddress}); close some first`,
          address,
        );
        return;
      }
    } catch (error) {
      // Nothing is counted yet, so dropping the socket leaves no state behind.
      logFailure(`error accepting ${socketId}`, error);
      socket.disconnect(true);
      return;
    }
    metrics.connected();
    const queue = new EventQueue();
    // Registered before anything else can fail, so the count above is always given back.
    socket.on("disconnect", (reason) => {
      idleSockets.stop(socketId);
      addressLimits.closeSocket(address);
      queue.push(() => disconnected(socketId, reason));
    });
    idleSockets.start(socketId);
    const bucket = new TokenBucket(config.eventsPerSecond, config.eventBurst);

    socket.onAny((name: unknown, ...args: unknown[]) => {
      const fullName = eventNameOf(name);
      const eventName = fullName.slice(0, MAX_ECHOED_EVENT_NAME);
      const { payload, reply } = splitArguments(args);
      const event = incomingEvent(socket, socketId, address, eventName, payload, reply, logFailure);
      try {
        // Refusals that need no turn in the queue are answered at once.
        if (!bucket.take()) {
          const retryAfter = retryAfterSeconds(bucket.msUntilToken());
          answer(
            fullName,
            event,
            ctx.limitHit("events_per_socket", "too many events; slow down", retryAfter),
          );
          return;
        }
        const handler = handlers.get(fullName);
        if (handler === undefined) {
          answer(fullName, event, invalid(`unknown event "${eventName}"`));
          return;
        }
        queue.push(() => handle(fullName, handler, event, eventName));
      } catch (error) {
        logFailure(`error handling "${eventName}" from ${socketId}`, error);
        answer(fullName, event, invalid("the server could not process this request"));
      }
    });
  });

  /** An event's turn came: a draining server refuses new places, any other is its handler's to answer. */
  async function handle(
    fullName: string,
    handler: EventHandler,
    event: IncomingEvent,
    eventName: string,
  ): Promise<void> {
    let reply: Reply<object>;
    try {
      reply =
        draining && DRAINED_EVENTS.has(fullName)
          ? errorOf(
              "server_draining",
              "this signaling server is shutting down; connect again (to another one, or to this one once it is back)",
            )
          : await handler(event);
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        logFailure(`"${eventName}" from ${event.socketId} answered server_unavailable`, error);
        reply = errorOf(
          "server_unavailable",
          "this signaling server cannot reach its room store right now; connect again (to another one, or to this one shortly)",
        );
      } else {
        logFailure(`error handling "${eventName}" from ${event.socketId}`, error);
        reply = invalid("the server could not process this request");
      }
    }
    answer(fullName, event, reply);
  }

  /** Sends the answer to an event, and counts it by outcome. */
  function answer(fullName: string, event: IncomingEvent, reply: Reply<object>): void {
    metrics.request(fullName, reply.ok ? "ok" : reply.code);
    event.respond(reply);
  }

  async function disconnected(socketId: string, reason: string): Promise<void> {
    try {
      if (closed || draining) {
        // The server is going away, not the player: nobody is told anyone left (games go on over
        // their data channels, and hosts and players come back to the next server). A shared
        // store keeps the place: the host or player may already hold it again on another process.
        await registry.abandon(socketId);
        return;
      }
      const dropped = !DELIBERATE_DISCONNECTS.has(reason);
      const outcome = dropped ? await registry.drop(socketId) : await registry.leave(socketId);
      if (outcome?.kind === "detached")
        upkeep.detached(outcome.room, outcome.peerId, socketId, outcome.detachId);
      else upkeep.announceLeave(outcome, "disconnected");
    } catch (error) {
      logFailure(`error cleaning up after ${socketId}`, error);
    }
  }

  const events: SignalingEvents = {
    get idleTimers() {
      return idleSockets.size;
    },
    get graceTimers() {
      return upkeep.graceTimers.size;
    },
    get roomTimers() {
      return upkeep.roomTimers;
    },
    drain() {
      if (draining || closed) return;
      draining = true;
      // Local: with Redis a broadcast would reach every process's sockets, and only ours move.
      io.local.emit("serverDraining", {});
      // A socket outside a room has nothing to move: it goes now rather than hold up the drain.
      for (const socketId of idleSockets.ids()) io.of("/").sockets.get(socketId)?.disconnect(true);
      log(`draining: ${io.of("/").sockets.size} sockets told to reconnect elsewhere`);
    },
    close() {
      closed = true;
      upkeep.stopAll();
    },
  };
  return events;

  /**
   * Tells the socket why (a signalingError with code rate_limited: the protocol has no better
   * code) and closes its whole connection, so the client cannot keep the transport open.
   */
  function closeConnection(socket: SignalingSocket, kind: string, message: string, address?: string): void {
    const socketId = socket.id;
    try {
      socket.emit("signalingError", { ...errorOf("rate_limited", message), event: CONNECTION_EVENT });
      socket.disconnect(true);
      // Anyone can open sockets to be closed, as fast as it likes: aggregated.
      logs.refusal(
        kind,
        `socket ${socketId} closed: ${message.split(";")[0]}`,
        address === undefined ? undefined : `address=${address}`,
      );
    } catch (error) {
      logFailure(`error closing ${socketId}`, error);
    }
  }
}
