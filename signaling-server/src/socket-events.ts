import type { Server, Socket } from "socket.io";
import {
  type ClientToServerEvents,
  type CreateReply,
  HOST_PEER_ID,
  type JoinReply,
  type Reply,
  type ServerToClientEvents,
  type SignalingError,
  type SignalingErrorCode,
} from "starwire/signaling-protocol";
import type { SignalingConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { TokenBucket } from "./rate-limit.js";
import type { LeaveOutcome, RoomRegistry } from "./rooms.js";
import {
  splitArguments,
  validateCreate,
  validateJoin,
  validateKick,
  validateLeave,
  validateSetRefusing,
  validateSignal,
} from "./validate.js";

export type SignalingIo = Server<ClientToServerEvents, ServerToClientEvents>;
type SignalingSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** One incoming event, with the one way to answer it. */
interface IncomingEvent {
  readonly socket: SignalingSocket;
  readonly socketId: string;
  readonly payload: unknown[];
  readonly hasReply: boolean;
  /**
   * Answers once: through the reply callback when the client gave one, otherwise errors become a
   * `signalingError` event and successes need no answer.
   */
  respond<T extends object>(reply: Reply<T>): void;
}

/**
 * Returns the answer, which the dispatcher sends. A handler that must answer before it notifies
 * other sockets calls `respond` itself; later answers are ignored.
 */
type EventHandler = (event: IncomingEvent) => Reply<object>;

/** Event names are echoed back in signalingError; a client chooses them, so keep them short. */
const MAX_ECHOED_EVENT_NAME = 64;

function invalid(message: string): SignalingError {
  return { ok: false, code: "invalid_request", message };
}

function errorOf(code: SignalingErrorCode, message: string): SignalingError {
  return { ok: false, code, message };
}

/**
 * Wires the signaling protocol onto socket.io. Every event, known or not, enters through one
 * `onAny` listener that rate-limits, validates and catches, so no payload can throw out of here.
 */
export function attachSignalingEvents(
  io: SignalingIo,
  registry: RoomRegistry,
  config: SignalingConfig,
  logger: Logger,
): void {
  // A logger that throws (a full disk, a closed stream) must not turn into a failed request.
  const log: Logger = (line) => {
    try {
      logger(line);
    } catch {}
  };
  const handlers = new Map<string, EventHandler>([
    ["create", create],
    ["join", join],
    ["signal", signal],
    ["setRefusing", setRefusing],
    ["kick", kick],
    ["leave", leave],
  ]);

  io.on("connection", (socket) => {
    // Read once: the id never changes, and the room registry is keyed by it.
    const socketId = socket.id;
    const bucket = new TokenBucket(config.eventsPerSecond, config.eventBurst);

    socket.onAny((name: unknown, ...args: unknown[]) => {
      // socket.io accepts numbers as event names too.
      const fullName = String(name);
      const eventName = fullName.slice(0, MAX_ECHOED_EVENT_NAME);
      const { payload, reply } = splitArguments(args);
      const event = incomingEvent(socket, socketId, eventName, payload, reply);
      try {
        if (!bucket.take()) {
          event.respond(errorOf("rate_limited", "too many events; slow down"));
          return;
        }
        const handler = handlers.get(fullName);
        if (handler === undefined) {
          event.respond(invalid(`unknown event "${eventName}"`));
          return;
        }
        event.respond(handler(event));
      } catch (error) {
        log(`error handling "${eventName}" from ${socketId}: ${describeError(error)}`);
        event.respond(invalid("the server could not process this request"));
      }
    });

    socket.on("disconnect", () => {
      try {
        announceLeave(registry.leave(socketId), "disconnected");
      } catch (error) {
        log(`error cleaning up after ${socketId}: ${describeError(error)}`);
      }
    });
  });

  function incomingEvent(
    socket: SignalingSocket,
    socketId: string,
    eventName: string,
    payload: unknown[],
    reply: ((reply: unknown) => void) | undefined,
  ): IncomingEvent {
    let answered = false;
    return {
      socket,
      socketId,
      payload,
      hasReply: reply !== undefined,
      respond<T extends object>(answer: Reply<T>) {
        if (answered) return;
        answered = true;
        try {
          if (reply !== undefined) reply(answer);
          else if (!answer.ok) socket.emit("signalingError", { ...answer, event: eventName });
        } catch (error) {
          log(`error answering "${eventName}" to ${socketId}: ${describeError(error)}`);
        }
      },
    };
  }

  function create({ socketId, payload, hasReply }: IncomingEvent): Reply<object> {
    const request = validateCreate(payload, config);
    if (!request.ok) return invalid(request.message);
    if (!hasReply) return invalid("create needs a reply callback to receive the room code");
    const result = registry.create(socketId, request.value.maxPlayers);
    if (!result.ok) return result;
    const { room } = result;
    log(`room ${room.code} created host=${socketId} maxPlayers=${room.maxPlayers}`);
    const reply: Reply<CreateReply> = {
      ok: true,
      roomCode: room.code,
      peerId: HOST_PEER_ID,
      iceServers: config.iceServers,
    };
    return reply;
  }

  function join({ socketId, payload, hasReply, respond }: IncomingEvent): Reply<object> {
    const request = validateJoin(payload);
    if (!request.ok) return invalid(request.message);
    if (!hasReply) return invalid("join needs a reply callback to receive the peer id");
    const result = registry.join(socketId, request.value.roomCode);
    if (!result.ok) return result;
    const { room, peerId } = result;
    const reply: Reply<JoinReply> = { ok: true, roomCode: room.code, peerId, iceServers: config.iceServers };
    // The client learns its id before the host hears of it.
    respond(reply);
    io.to(room.hostSocketId).emit("peerJoined", { peerId });
    log(
      `room ${room.code} joined peer=${peerId} socket=${socketId} players=${room.clients.size}/${room.maxPlayers}`,
    );
    return reply;
  }

  function signal({ socketId, payload }: IncomingEvent): Reply<object> {
    const request = validateSignal(payload, config);
    if (!request.ok) return invalid(request.message);
    const route = registry.signalRoute(socketId, request.value.to);
    if (!route.ok) return route;
    // `from` is the server's record of the sender, never anything the sender claimed.
    io.to(route.targetSocketId).emit("signal", { from: route.from, data: request.value.data });
    return { ok: true };
  }

  function setRefusing({ socketId, payload }: IncomingEvent): Reply<object> {
    const request = validateSetRefusing(payload);
    if (!request.ok) return invalid(request.message);
    const result = registry.setRefusing(socketId, request.value.refusing);
    if (!result.ok) return result;
    if (result.changed) log(`room ${result.room.code} refusing=${result.room.refusing}`);
    return { ok: true };
  }

  function kick({ socket, socketId, payload }: IncomingEvent): Reply<object> {
    const request = validateKick(payload);
    if (!request.ok) return invalid(request.message);
    const { peerId } = request.value;
    const result = registry.kick(socketId, peerId);
    if (!result.ok) return result;
    io.to(result.clientSocketId).emit("roomClosed", { reason: "kicked" });
    // peerLeft goes out before the reply, so when the host's kick settles its peer list is current.
    socket.emit("peerLeft", { peerId });
    log(`room ${result.room.code} kicked peer=${peerId} socket=${result.clientSocketId}`);
    return { ok: true };
  }

  function leave({ socketId, payload }: IncomingEvent): Reply<object> {
    const request = validateLeave(payload);
    if (!request.ok) return invalid(request.message);
    // Leaving when not in a room succeeds: the caller wanted to be out, and it is.
    announceLeave(registry.leave(socketId), "left");
    return { ok: true };
  }

  function announceLeave(outcome: LeaveOutcome | undefined, how: "left" | "disconnected"): void {
    if (outcome === undefined) return;
    const { room } = outcome;
    if (outcome.kind === "client_left") {
      io.to(room.hostSocketId).emit("peerLeft", { peerId: outcome.peerId });
      log(`room ${room.code} left peer=${outcome.peerId} (${how})`);
      return;
    }
    // One emit per socket: io.to([]) with an empty list would broadcast to every socket.
    for (const clientSocketId of outcome.clientSocketIds) {
      io.to(clientSocketId).emit("roomClosed", { reason: "host_left" });
    }
    log(`room ${room.code} closed reason=host_left (host ${how}) clients=${outcome.clientSocketIds.length}`);
  }
}

/** The error and where it was thrown, on one line: logs are one line per event. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const [headline, firstFrame] = (error.stack ?? error.message).split("\n");
  return firstFrame === undefined ? headline! : `${headline} (${firstFrame.trim()})`;
}
