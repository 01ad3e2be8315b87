import {
  type CreateReply,
  HOST_PEER_ID,
  normalizeRoomCode,
  type Reply,
  type SignalingError,
} from "starwire-protocol";
import { errorOf, type IncomingEvent, invalid } from "./incoming-event.js";
import type { Result, Room, Takeover } from "./room-store.js";
import type { RoomUpkeep } from "./room-upkeep.js";
import { type SignalingContext, tag } from "./signaling-context.js";
import { validateCreate, validateJoin, validateResume } from "./validate.js";

/**
 * The requests that give a socket a place in a room: `create` (a new room, or a host's reclaim or
 * takeover of its own), `join` (a client's new place) and `resume` (a client's place back, by
 * token). Each checks the per-address limits before the store, and answers before it tells others.
 */
export function roomEntryHandlers(ctx: SignalingContext, upkeep: RoomUpkeep) {
  const { config, registry, addressLimits, tokens, metrics, logs, idleSockets } = ctx;
  const log = (line: string): void => ctx.log(line);
  return { create, join, resume };

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
      return ctx.limitHit(
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
    const holdsClaimed = claimed !== null && upkeep.holderOf(claimed) === address;
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
    upkeep.holdRoom(room, address);
    // A takeover starts the empty-room countdown over.
    if (result.takeover !== undefined) upkeep.emptyRooms.stop(room.instance);
    upkeep.watchOccupancy(room);
    const reply: Reply<CreateReply> = {
      ok: true,
      roomCode: room.code,
      peerId: HOST_PEER_ID,
      iceServers: upkeep.iceServersFor(room, HOST_PEER_ID),
      hostToken: tokens.issueHost(room.code, room.instance),
      reconnectGraceMs: room.reconnectGraceMs,
    };
    const { takeover } = result;
    if (takeover !== undefined) {
      upkeep.graceTimers.stop(room.instance, HOST_PEER_ID);
      // With Redis the room may have lived on another process: its host's timers are here now.
      upkeep.startRoomRefreshes(room);
      // The host learns it has the room before it hears of the clients it missed.
      respond(reply);
      for (const peerId of takeover.unlistedPeers) socket.emit("peerJoined", { peerId });
      if (takeover.replacedSocketId !== undefined) ctx.dropReplaced(takeover.replacedSocketId);
      log(`room ${tag(room)} taken over host=${socketId}`);
      return reply;
    }
    upkeep.startRoomRefreshes(room);
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
      return ctx.limitHit(
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
    upkeep.watchOccupancy(room);
    const reply = upkeep.placeReply(room, peerId);
    // The client learns its id before the host hears of it. A host that is away hears of it when
    // it takes its room back (see create).
    respond(reply);
    ctx.toHost(room)?.emit("peerJoined", { peerId });
    log(
      `room ${tag(room)} joined peer=${peerId} socket=${socketId} players=${room.clients.size}/${room.maxPlayers}`,
    );
    return reply;
  }

  /** The answer once an address used up FAILED_JOINS_PER_MINUTE (joins, resumes and reclaims). */
  function tooManyFailures(address: string): SignalingError {
    return ctx.limitHit(
      "failed_joins_per_minute",
      `too many failed joins from your address (at most ${config.failedJoinsPerMinute} a minute); wait before trying again`,
      addressLimits.failedJoins.retryAfterSeconds(address),
    );
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
    upkeep.graceTimers.stop(room.instance, peerId);
    upkeep.watchOccupancy(room);
    idleSockets.stop(socketId);
    const reply = upkeep.placeReply(room, peerId);
    // The new socket hears that it has the place before the old one is closed, so a client that
    // owns both sees the reply first (ordering across two connections is not guaranteed, but likely).
    respond(reply);
    if (result.replacedSocketId !== undefined) ctx.dropReplaced(result.replacedSocketId);
    log(`room ${tag(room)} resumed peer=${peerId} socket=${socketId}`);
    return reply;
  }
}
