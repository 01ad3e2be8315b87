import type { Server, Socket } from "socket.io";
import {
  type ClientToServerEvents,
  type CreateReply,
  HOST_PEER_ID,
  type IceServer,
  type IncomingSignal,
  type JoinReply,
  normalizeRoomCode,
  type Reply,
  type ServerToClientEvents,
  type SignalingError,
  type SignalingErrorCode,
} from "starwire-protocol";
import type { AddressLimits } from "./address-limits.js";
import { clientAddress, ProxyAddresses } from "./client-address.js";
import type { SignalingConfig } from "./config.js";
import { GraceTimers } from "./grace-timers.js";
import { IdleSockets } from "./idle-sockets.js";
import type { SignalingLog } from "./logger.js";
import type { LimitName, SignalingMetrics } from "./metrics.js";
import { retryAfterSeconds, TokenBucket } from "./rate-limit.js";
import {
  type LeaveOutcome,
  type Result,
  type Room,
  type RoomStore,
  StoreUnavailableError,
  type Takeover,
} from "./room-store.js";
import { RoomTimers } from "./room-timers.js";
import type { RoomTokens } from "./tokens.js";
import { mintTurnCredentials, type TurnSettings } from "./turn-credentials.js";
import {
  splitArguments,
  validateCreate,
  validateJoin,
  validateKick,
  validateLeave,
  validateProbe,
  validateResume,
  validateSetRefusing,
  validateSignal,
} from "./validate.js";

export type SignalingIo = Server<ClientToServerEvents, ServerToClientEvents>;
type SignalingSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** One incoming event, with the one way to answer it. */
interface IncomingEvent {
  readonly socket: SignalingSocket;
  readonly socketId: string;
  /** The key of the per-address limits (client-address.ts). */
  readonly address: string;
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
type EventHandler = (event: IncomingEvent) => Reply<object> | Promise<Reply<object>>;

/** Event names are echoed back in signalingError; a client chooses them, so keep them short. */
const MAX_ECHOED_EVENT_NAME = 64;

function invalid(message: string): SignalingError {
  return { ok: false, code: "invalid_request", message };
}

function errorOf(code: SignalingErrorCode, message: string): SignalingError {
  return { ok: false, code, message };
}

/** A refusal by a limit: with when the same request would be allowed again, when known. */
function rateLimited(message: string, retryAfter?: number): SignalingError {
  return retryAfter === undefined
    ? errorOf("rate_limited", message)
    : { ...errorOf("rate_limited", message), retryAfterSeconds: retryAfter };
}

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
  // Room codes never appear in logs (a code is all it takes to join a room without a password):
  // rooms are named by `tag`. Client addresses only at debug level.
  const log = (line: string): void => logs.info(line);
  const handlers = new Map<string, EventHandler>([
    ["create", create],
    ["join", join],
    ["resume", resume],
    ["probe", probe],
    ["signal", signal],
    ["setRefusing", setRefusing],
    ["kick", kick],
    ["leave", leave],
  ]);
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

  // Timers are keyed by room instance: rooms are snapshots (with Redis, shared by processes).
  const graceTimers = new GraceTimers<string>();
  // Every live room whose host is on this process: its members get fresh tokens every third of
  // their lifetime.
  const tokenRefreshes = new RoomTimers<string>();
  const refreshMs = (config.tokenTtlSeconds * 1000) / 3;
  // With TURN credentials to mint: every live room's members get fresh ones every third of their
  // lifetime, so new connections (a late joiner, a reconnect) never allocate with an expired one.
  const turn: TurnSettings | null =
    config.turnUrls.length > 0 && config.turnSecret !== undefined
      ? { urls: config.turnUrls, secret: config.turnSecret, ttlSeconds: config.turnTtlSeconds }
      : null;
  const turnRefreshes = new RoomTimers<string>();
  // Rooms without a client: closed after EMPTY_ROOM_TIMEOUT_MS.
  const emptyRooms = new RoomTimers<string>();
  // The address each live room (by instance) counts against (MAX_ROOMS_PER_ADDRESS): its host's.
  const roomHolders = new Map<string, string>();
  let closed = false;
  let draining = false;

  let warnedAboutProxy = false;
  const proxies = new ProxyAddresses(config.trustedProxyAddresses);

  io.on("connection", (socket) => {
    // Read once: the id never changes, and the room registry is keyed by it.
    const socketId = socket.id;
    let address: string;
    try {
      const { headers } = socket.handshake;
      // Behind a proxy without TRUST_PROXY every player shares the proxy's address and its limits.
      if (!warnedAboutProxy && config.trustedProxies === 0 && headers["x-forwarded-for"] !== undefined) {
        warnedAboutProxy = true;
        log(
          "warning: a connection came with X-Forwarded-For but TRUST_PROXY=0, so per-address limits count the proxy's address for everyone behind it; set TRUST_PROXY to the number of proxies in front if there are any (logged once)",
        );
      }
      if (
        config.trustedProxies > 0 &&
        headers["x-forwarded-for"] !== undefined &&
        !proxies.has(socket.handshake.address)
      ) {
        logs.refusal(
          "X-Forwarded-For ignored",
          "X-Forwarded-For ignored: the connection does not come from TRUSTED_PROXY_ADDRESSES, so it counts under its own address (a client reaching the server directly, or a proxy missing from that list)",
          `address=${socket.handshake.address}`,
        );
      }
      address = clientAddress(socket.handshake.address, headers, config.trustedProxies, proxies);
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
    // A socket's events run one after another, its disconnect last: a join still waiting for the
    // room store must not be overtaken by the socket's next signal or by its leaving.
    let queue: Promise<void> = Promise.resolve();
    // Registered before anything else can fail, so the count above is always given back.
    socket.on("disconnect", (reason) => {
      idleSockets.stop(socketId);
      addressLimits.closeSocket(address);
      queue = queue.then(() => disconnected(socketId, reason));
    });
    idleSockets.start(socketId);
    const bucket = new TokenBucket(config.eventsPerSecond, config.eventBurst);

    socket.onAny((name: unknown, ...args: unknown[]) => {
      const fullName = eventNameOf(name);
      const eventName = fullName.slice(0, MAX_ECHOED_EVENT_NAME);
      const { payload, reply } = splitArguments(args);
      const event = incomingEvent(socket, socketId, address, eventName, payload, reply);
      try {
        // Refusals that need no turn in the queue are answered at once.
        if (!bucket.take()) {
          const retryAfter = retryAfterSeconds(bucket.msUntilToken());
          answer(fullName, event, limitHit("events_per_socket", "too many events; slow down", retryAfter));
          return;
        }
        const handler = handlers.get(fullName);
        if (handler === undefined) {
          answer(fullName, event, invalid(`unknown event "${eventName}"`));
          return;
        }
        queue = queue.then(() => handle(fullName, handler, event, eventName));
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
      if (outcome?.kind === "detached") detached(outcome.room, outcome.peerId, socketId, outcome.detachId);
      else announceLeave(outcome, "disconnected");
    } catch (error) {
      logFailure(`error cleaning up after ${socketId}`, error);
    }
  }

  const events: SignalingEvents = {
    get idleTimers() {
      return idleSockets.size;
    },
    get graceTimers() {
      return graceTimers.size;
    },
    get roomTimers() {
      return tokenRefreshes.size + turnRefreshes.size + emptyRooms.size;
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
      graceTimers.stopAll();
      tokenRefreshes.stopAll();
      turnRefreshes.stopAll();
      emptyRooms.stopAll();
    },
  };
  return events;

  /**
   * An error outside any request's answer. The store being unreachable hits every socket and
   * timer at once: one line per log window for all of them (the outage itself is logged by server.ts).
   */
  function logFailure(what: string, error: unknown): void {
    if (error instanceof StoreUnavailableError)
      logs.refusal("room store unavailable", `${what}: ${error.message}`);
    else log(`${what}: ${describeError(error)}`);
  }

  /** A refusal by `limit`, counted. */
  function limitHit(limit: LimitName, message: string, retryAfter?: number): SignalingError {
    metrics.limitHit(limit);
    return rateLimited(message, retryAfter);
  }

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

  /** A socket whose room ended for it while it stays connected is idle again. */
  function outOfRoom(socketId: string): void {
    if (io.of("/").sockets.has(socketId)) idleSockets.start(socketId);
  }

  /**
   * A socket whose place another socket took (a client's `resume`, a host's takeover): it is in no
   * room any more, so its later disconnect announces nothing. Closed without a word: the place was
   * taken with its token, so the old socket belongs to the same player, who has moved on.
   */
  function dropReplaced(socketId: string): void {
    // Through the adapter: with Redis the old socket may be on another process.
    io.in(socketId).disconnectSockets(true);
  }

  /**
   * Where an emit to one socket goes: straight to it when it is connected here; otherwise through
   * the adapter (with Redis, one stream entry that every process reads, and the one holding the
   * socket delivers).
   */
  function toSocket(socketId: string) {
    const operator = io.to(socketId);
    return io.of("/").sockets.has(socketId) ? operator.local : operator;
  }

  /** The host's socket, or nothing while the host is away (the room waits out its grace). */
  function toHost(room: Room) {
    return room.hostSocketId === undefined ? undefined : toSocket(room.hostSocketId);
  }

  function incomingEvent(
    socket: SignalingSocket,
    socketId: string,
    address: string,
    eventName: string,
    payload: unknown[],
    reply: ((reply: unknown) => void) | undefined,
  ): IncomingEvent {
    let answered = false;
    return {
      socket,
      socketId,
      address,
      payload,
      hasReply: reply !== undefined,
      respond<T extends object>(answer: Reply<T>) {
        if (answered) return;
        answered = true;
        try {
          if (reply !== undefined) reply(answer);
          else if (!answer.ok) socket.emit("signalingError", { ...answer, event: eventName });
        } catch (error) {
          logFailure(`error answering "${eventName}" to ${socketId}`, error);
        }
      },
    };
  }

  async function create({
    socket,
    socketId,
    address,
    payload,
    hasReply,
    respond,
  }: IncomingEvent): Promise<Reply<object>> {
    const request = validateCreate(payload, config);
    if (!request.ok) return invalid(request.message);
    if (!hasReply) return invalid("create needs a reply callback to receive the room code");
    // Rooms created count, not requests: a refused create cost nothing worth limiting.
    if (!addressLimits.roomCreates.allows(address)) {
      return limitHit(
        "room_creates_per_minute",
        `too many rooms created from your address (at most ${config.roomCreatesPerMinute} a minute); try again shortly`,
        addressLimits.roomCreates.retryAfterSeconds(address),
      );
    }
    const { maxPlayers, password, reclaim } = request.value;
    // A refused reclaim counts as a failed join: trying tokens against codes is guessing, like
    // trying codes, and must not tell quickly which codes are live.
    if (reclaim !== undefined && !addressLimits.failedJoins.allows(address)) return tooManyFailures(address);
    // A token names one room: it reopens that room after a restart, or takes it over while it is
    // live, but never a later room that got the same code, never once it expired, and never a room
    // that closed (its host left, or its grace or emptiness ran out): the store decides.
    const claimed = reclaim === undefined ? null : tokens.hostInstance(reclaim.roomCode, reclaim.hostToken);
    // A create, or a reclaim with a genuine token, needs room under the address's cap (a takeover
    // by the address already holding the room changes nothing). A forged token is answered
    // reclaim_refused whatever the address holds.
    const holdsClaimed = claimed !== null && roomHolders.get(claimed) === address;
    if ((reclaim === undefined || claimed !== null) && !holdsClaimed && !addressLimits.mayOpenRoom(address)) {
      metrics.limitHit("rooms_per_address");
      return errorOf(
        "too_many_rooms",
        `your address already holds ${config.maxRoomsPerAddress} live rooms, the most this server allows; close one first`,
      );
    }
    const grace = Math.min(request.value.reconnectGraceMs ?? 0, config.maxReconnectGraceMs);
    const result: Result<{ room: Room; takeover?: Takeover | undefined }> =
      reclaim === undefined
        ? await registry.create(socketId, maxPlayers, password, grace)
        : await registry.reclaim(
            socketId,
            maxPlayers,
            password,
            { roomCode: reclaim.roomCode, claimedInstance: claimed, peers: reclaim.peers },
            grace,
          );
    if (!result.ok) {
      if (result.code === "reclaim_refused") {
        addressLimits.failedJoins.take(address);
        // Never the token (it is what proves the room is this host's), nor the code it was for.
        logs.refusal(
          "reclaim refused",
          `reclaim refused socket=${socketId}: ${result.message}`,
          `address=${address}`,
        );
      }
      return result;
    }
    addressLimits.roomCreates.take(address);
    idleSockets.stop(socketId);
    const { room } = result;
    holdRoom(room, address);
    // A takeover starts the empty-room countdown over.
    if (result.takeover !== undefined) emptyRooms.stop(room.instance);
    watchOccupancy(room);
    const reply: Reply<CreateReply> = {
      ok: true,
      roomCode: room.code,
      peerId: HOST_PEER_ID,
      iceServers: iceServersFor(room, HOST_PEER_ID),
      hostToken: tokens.issueHost(room.code, room.instance),
      reconnectGraceMs: room.reconnectGraceMs,
    };
    const { takeover } = result;
    if (takeover !== undefined) {
      graceTimers.stop(room.instance, HOST_PEER_ID);
      // With Redis the room may have lived on another process: its host's timers are here now.
      startRoomRefreshes(room);
      // The host learns it has the room before it hears of the clients it missed.
      respond(reply);
      for (const peerId of takeover.unlistedPeers) socket.emit("peerJoined", { peerId });
      if (takeover.replacedSocketId !== undefined) dropReplaced(takeover.replacedSocketId);
      log(`room ${tag(room)} taken over host=${socketId}`);
      return reply;
    }
    startRoomRefreshes(room);
    const locked = room.password === undefined ? "" : " password=yes";
    const graceNote = room.reconnectGraceMs === 0 ? "" : ` grace=${room.reconnectGraceMs}ms`;
    if (reclaim === undefined) {
      log(`room ${tag(room)} created host=${socketId} maxPlayers=${room.maxPlayers}${locked}${graceNote}`);
    } else {
      log(
        `room ${tag(room)} reclaimed host=${socketId} reserved=${room.reserved.size} maxPlayers=${room.maxPlayers}${locked}${graceNote}`,
      );
    }
    return reply;
  }

  async function join({
    socketId,
    address,
    payload,
    hasReply,
    respond,
  }: IncomingEvent): Promise<Reply<object>> {
    const request = validateJoin(payload);
    if (!request.ok) return invalid(request.message);
    if (!hasReply) return invalid("join needs a reply callback to receive the peer id");
    // Failures first: an address that used them up is guessing codes or passwords, and is
    // refused before its attempt is counted or a password is hashed.
    if (!addressLimits.failedJoins.allows(address)) return tooManyFailures(address);
    if (!addressLimits.joinAttempts.take(address)) {
      return limitHit(
        "join_attempts_per_minute",
        `too many joins from your address (at most ${config.joinAttemptsPerMinute} a minute); try again shortly`,
        addressLimits.joinAttempts.retryAfterSeconds(address),
      );
    }
    const { roomCode, password } = request.value;
    const result = await registry.join(socketId, roomCode, password);
    if (!result.ok) {
      if (result.code === "no_such_room" || result.code === "wrong_password") {
        addressLimits.failedJoins.take(address);
      }
      if (result.code === "wrong_password") {
        // Never the attempt itself: a near miss in a log is most of a password.
        const given = password === undefined ? "none given" : "wrong";
        const room = await registry.room(roomCode);
        logs.refusal(
          "join refused (password)",
          `room ${room === undefined ? "?" : tag(room)} refused socket=${socketId} password=${given}`,
          `address=${address}`,
        );
      }
      return result;
    }
    idleSockets.stop(socketId);
    const { room, peerId } = result;
    watchOccupancy(room);
    const reply = placeReply(room, peerId);
    // The client learns its id before the host hears of it. A host that is away hears of it when
    // it takes its room back (see create).
    respond(reply);
    toHost(room)?.emit("peerJoined", { peerId });
    log(
      `room ${tag(room)} joined peer=${peerId} socket=${socketId} players=${room.clients.size}/${room.maxPlayers}`,
    );
    return reply;
  }

  /** The answer once an address used up FAILED_JOINS_PER_MINUTE (joins, resumes and reclaims). */
  function tooManyFailures(address: string): SignalingError {
    return limitHit(
      "failed_joins_per_minute",
      `too many failed joins from your address (at most ${config.failedJoinsPerMinute} a minute); wait before trying again`,
      addressLimits.failedJoins.retryAfterSeconds(address),
    );
  }

  /**
   * Fresh tokens for everyone in a live room who has a socket (a detached place keeps the token it
   * has, with at least two thirds of its lifetime left). Runs from a timer.
   */
  async function refreshTokens(room: Room): Promise<void> {
    try {
      const live = await hostedHere(room);
      if (live === undefined) {
        tokenRefreshes.stop(room.instance);
        return;
      }
      room = live;
      // With Redis, the process that emptied the room may have died with its countdown: the
      // host's process starts one (the store knows since when the room is empty).
      watchOccupancy(room);
      if (room.hostSocketId !== undefined) {
        toSocket(room.hostSocketId).emit("hostToken", {
          hostToken: tokens.issueHost(room.code, room.instance),
        });
      }
      for (const [peerId, socketId] of room.clients) {
        if (socketId === undefined) continue;
        toSocket(socketId).emit("resumeToken", {
          resumeToken: tokens.issueResume(room.code, room.instance, peerId),
        });
      }
    } catch (error) {
      logFailure(`error refreshing the tokens of room ${tag(room)}`, error);
    }
  }

  /** The ICE servers for one member of a room: the configured ones, and TURN with its own credentials. */
  function iceServersFor(room: Room, peerId: number): IceServer[] {
    if (!turn) return config.iceServers;
    // The label names the player in the TURN server's logs, as the room's tag does in ours.
    return [...config.iceServers, mintTurnCredentials(turn, `${room.instance.slice(0, 8)}.${peerId}`)];
  }

  /**
   * Fresh TURN credentials for everyone in a live room who has a socket (a detached place gets
   * fresh ones when it resumes or reclaims). Runs from a timer.
   */
  async function refreshTurnCredentials(room: Room): Promise<void> {
    try {
      const live = await hostedHere(room);
      if (live === undefined) {
        turnRefreshes.stop(room.instance);
        return;
      }
      room = live;
      if (room.hostSocketId !== undefined) {
        toSocket(room.hostSocketId).emit("iceServers", { iceServers: iceServersFor(room, HOST_PEER_ID) });
      }
      for (const [peerId, socketId] of room.clients) {
        if (socketId !== undefined)
          toSocket(socketId).emit("iceServers", { iceServers: iceServersFor(room, peerId) });
      }
    } catch (error) {
      logFailure(`error refreshing the TURN credentials of room ${tag(room)}`, error);
    }
  }

  /** Token and TURN refreshes run on the process that holds the room's host socket. */
  function startRoomRefreshes(room: Room): void {
    if (!tokenRefreshes.has(room.instance)) {
      tokenRefreshes.every(room.instance, refreshMs, () => void refreshTokens(room));
    }
    if (turn && !turnRefreshes.has(room.instance)) {
      turnRefreshes.every(
        room.instance,
        (turn.ttlSeconds * 1000) / 3,
        () => void refreshTurnCredentials(room),
      );
    }
  }

  /**
   * The room as it is now, if it is still live and its host is connected here or away (a host
   * that came back on another process gets its refreshes there).
   */
  async function hostedHere(room: Room): Promise<Room | undefined> {
    const live = await registry.room(room.code);
    if (live?.instance !== room.instance) return undefined;
    if (live.hostSocketId !== undefined && !io.of("/").sockets.has(live.hostSocketId)) return undefined;
    return live;
  }

  /** Whatever a room held beyond the store goes with it (the store keeps its tokens from reopening it). */
  function roomEnded(room: Room): void {
    graceTimers.stopRoom(room.instance);
    tokenRefreshes.stop(room.instance);
    turnRefreshes.stop(room.instance);
    emptyRooms.stop(room.instance);
    const holder = roomHolders.get(room.instance);
    if (holder !== undefined) {
      addressLimits.closeRoom(holder);
      roomHolders.delete(room.instance);
    }
  }

  /** A room counts against its host's address; a takeover from elsewhere moves it there. */
  function holdRoom(room: Room, address: string): void {
    const holder = roomHolders.get(room.instance);
    if (holder === address) return;
    if (holder !== undefined) addressLimits.closeRoom(holder);
    addressLimits.openRoom(address);
    roomHolders.set(room.instance, address);
  }

  /**
   * Starts the empty-room countdown when a live room has no client and no reserved id (reserved
   * ids are players still connected to the host over WebRTC), stops it when it has one. Called
   * after everything that changes a room's clients.
   */
  function watchOccupancy(room: Room): void {
    if (config.emptyRoomTimeoutMs === 0) return;
    if (room.clients.size > 0 || room.reserved.size > 0) {
      emptyRooms.stop(room.instance);
      return;
    }
    if (!emptyRooms.has(room.instance)) {
      emptyRooms.after(room.instance, config.emptyRoomTimeoutMs, () => void closeEmpty(room));
    }
  }

  /**
   * A room nobody joined (or everyone left) for EMPTY_ROOM_TIMEOUT_MS closes: its host is told
   * with `roomExpired` and is outside any room again, so the idle countdown runs for its socket.
   * A host that is away is left to its grace (a takeover starts the countdown over). Runs from a
   * timer.
   */
  async function closeEmpty(room: Room): Promise<void> {
    try {
      // The store knows since when the room is empty: with Redis, it may have filled and emptied
      // again on another process since this countdown started.
      const check = await registry.closeIfEmpty(room, config.emptyRoomTimeoutMs);
      if (check.kind === "wait") {
        if (!closed && !emptyRooms.has(room.instance)) {
          emptyRooms.after(room.instance, check.ms, () => void closeEmpty(room));
        }
        return;
      }
      if (check.kind !== "closed") return;
      const { hostSocketId } = check;
      roomEnded(room);
      toSocket(hostSocketId).emit("roomExpired", { reason: "empty_room" });
      outOfRoom(hostSocketId);
      log(`room ${tag(room)} closed reason=empty_room (no client for ${config.emptyRoomTimeoutMs} ms)`);
    } catch (error) {
      logFailure(`error closing empty room ${tag(room)}`, error);
    }
  }

  /** A client's place, as join and resume answer it. */
  function placeReply(room: Room, peerId: number): Reply<JoinReply> {
    return {
      ok: true,
      roomCode: room.code,
      peerId,
      iceServers: iceServersFor(room, peerId),
      resumeToken: tokens.issueResume(room.code, room.instance, peerId),
      reconnectGraceMs: room.reconnectGraceMs,
    };
  }

  /**
   * A client takes its place back from this socket. The host is not told: it learns of the client's
   * return over WebRTC (or from the client's next offer).
   */
  async function resume({
    socketId,
    address,
    payload,
    hasReply,
    respond,
  }: IncomingEvent): Promise<Reply<object>> {
    const request = validateResume(payload);
    if (!request.ok) return invalid(request.message);
    if (!hasReply) return invalid("resume needs a reply callback to receive its place back");
    // A wrong or expired token counts as a failed join: it is guessing, like a wrong code or password.
    if (!addressLimits.failedJoins.allows(address)) return tooManyFailures(address);
    const { peerId, resumeToken } = request.value;
    const roomCode = normalizeRoomCode(request.value.roomCode);
    // Valid for this room only: a token from an earlier room with this code opens nothing.
    const claimedInstance = tokens.resumeInstance(roomCode, peerId, resumeToken);
    const result = await registry.resume(socketId, { roomCode, peerId, claimedInstance });
    if (!result.ok) {
      if (result.code === "invalid_request") {
        addressLimits.failedJoins.take(address);
        // Never the token, nor the code it was for.
        logs.refusal(
          "resume refused",
          `resume refused peer=${peerId} socket=${socketId}: ${result.message}`,
          `address=${address}`,
        );
      }
      return result;
    }
    const { room } = result;
    graceTimers.stop(room.instance, peerId);
    watchOccupancy(room);
    idleSockets.stop(socketId);
    const reply = placeReply(room, peerId);
    // The new socket hears that it has the place before the old one is closed, so a client that
    // owns both sees the reply first (ordering across two connections is not guaranteed, but likely).
    respond(reply);
    if (result.replacedSocketId !== undefined) dropReplaced(result.replacedSocketId);
    log(`room ${tag(room)} resumed peer=${peerId} socket=${socketId}`);
    return reply;
  }

  /** Answers at once, in a room or not; changes nothing (not even the idle countdown). */
  function probe({ payload }: IncomingEvent): Reply<object> {
    const request = validateProbe(payload);
    if (!request.ok) return invalid(request.message);
    return { ok: true };
  }

  async function signal({ socketId, payload }: IncomingEvent): Promise<Reply<object>> {
    const request = validateSignal(payload, config);
    if (!request.ok) return invalid(request.message);
    const { to, data, connection } = request.value;
    const route = await registry.signalRoute(socketId, to);
    if (!route.ok) return route;
    // The target's socket dropped and its place waits out the grace: nowhere to deliver. Dropped
    // without an error, since the sender did nothing wrong; the peers start a new connection
    // attempt once the target is back.
    if (route.targetSocketId === undefined) return { ok: true };
    // `from` is the server's record of the sender, never anything the sender claimed.
    const relayed: IncomingSignal = { from: route.from, data };
    if (connection !== undefined) relayed.connection = connection;
    toSocket(route.targetSocketId).emit("signal", relayed);
    metrics.relayed(data.type);
    return { ok: true };
  }

  async function setRefusing({ socketId, payload }: IncomingEvent): Promise<Reply<object>> {
    const request = validateSetRefusing(payload);
    if (!request.ok) return invalid(request.message);
    const result = await registry.setRefusing(socketId, request.value.refusing);
    if (!result.ok) return result;
    if (result.changed) log(`room ${tag(result.room)} refusing=${result.room.refusing}`);
    return { ok: true };
  }

  async function kick({ socket, socketId, payload }: IncomingEvent): Promise<Reply<object>> {
    const request = validateKick(payload);
    if (!request.ok) return invalid(request.message);
    const { peerId } = request.value;
    const result = await registry.kick(socketId, peerId);
    if (!result.ok) return result;
    watchOccupancy(result.room);
    if (result.kind === "reserved") {
      // A reserved id from a reclaim: no socket to tell, and the host already knows it is gone.
      log(`room ${tag(result.room)} released reserved peer=${peerId}`);
      return { ok: true };
    }
    if (result.kind === "detached") {
      // Its socket had dropped: nobody to tell but the host, as for any kick; a resume now gets
      // session_expired.
      graceTimers.stop(result.room.instance, peerId);
      socket.emit("peerLeft", { peerId });
      log(`room ${tag(result.room)} kicked peer=${peerId} (detached)`);
      return { ok: true };
    }
    toSocket(result.clientSocketId).emit("roomClosed", { reason: "kicked" });
    outOfRoom(result.clientSocketId);
    // peerLeft goes out before the reply, so when the host's kick settles its peer list is current.
    socket.emit("peerLeft", { peerId });
    log(`room ${tag(result.room)} kicked peer=${peerId} socket=${result.clientSocketId}`);
    return { ok: true };
  }

  async function leave({ socketId, payload }: IncomingEvent): Promise<Reply<object>> {
    const request = validateLeave(payload);
    if (!request.ok) return invalid(request.message);
    // Leaving when not in a room succeeds: the caller wanted to be out, and it is.
    const outcome = await registry.leave(socketId);
    announceLeave(outcome, "left");
    if (outcome !== undefined) outOfRoom(socketId);
    return { ok: true };
  }

  /** A socket dropped in a room with a grace: its place waits for it, and nobody is told yet. */
  function detached(room: Room, peerId: number, socketId: string, detachId: string | undefined): void {
    graceTimers.start(
      room.instance,
      peerId,
      room.reconnectGraceMs,
      () => void expire(room, peerId, detachId),
    );
    log(`room ${tag(room)} detached peer=${peerId} socket=${socketId} grace=${room.reconnectGraceMs}ms`);
  }

  /** A detached place's grace ran out: it goes as if it had left then. Runs from a timer. */
  async function expire(room: Room, peerId: number, detachId: string | undefined): Promise<void> {
    try {
      const outcome = await registry.expire(room, peerId, detachId);
      if (outcome?.kind === "client_left") {
        watchOccupancy(outcome.room);
        toHost(outcome.room)?.emit("peerLeft", { peerId });
        log(`room ${tag(room)} expired peer=${peerId}`);
        return;
      }
      announceLeave(outcome, "expired");
    } catch (error) {
      logFailure(`error expiring peer ${peerId} of room ${tag(room)}`, error);
    }
  }

  function announceLeave(outcome: LeaveOutcome | undefined, how: "left" | "disconnected" | "expired"): void {
    if (outcome === undefined) return;
    const { room } = outcome;
    if (outcome.kind === "client_left") {
      graceTimers.stop(room.instance, outcome.peerId);
      watchOccupancy(room);
      toHost(room)?.emit("peerLeft", { peerId: outcome.peerId });
      log(`room ${tag(room)} left peer=${outcome.peerId} (${how})`);
      return;
    }
    roomEnded(room);
    // One emit per socket: io.to([]) with an empty list would broadcast to every socket.
    for (const clientSocketId of outcome.clientSocketIds) {
      toSocket(clientSocketId).emit("roomClosed", { reason: "host_left" });
      outOfRoom(clientSocketId);
    }
    log(`room ${tag(room)} closed reason=host_left (host ${how}) clients=${outcome.clientSocketIds.length}`);
  }
}

/**
 * How logs name a room: `#` and the first 8 characters of its instance (tokens.ts), which are
 * random and say nothing about its code. The same room keeps its tag across a reclaim.
 */
export function tag(room: Room): string {
  return `#${room.instance.slice(0, 8)}`;
}

/**
 * socket.io's parser lets strings and numbers through as event names; anything else (only possible
 * with a custom parser, or in-process) is named by its type, since String() can throw on objects.
 */
function eventNameOf(name: unknown): string {
  return typeof name === "string" || typeof name === "number" ? String(name) : `(${typeof name})`;
}

/** The error and where it was thrown, on one line: logs are one line per event. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const [headline, firstFrame] = (error.stack ?? error.message).split("\n");
  return firstFrame === undefined ? headline! : `${headline} (${firstFrame.trim()})`;
}
