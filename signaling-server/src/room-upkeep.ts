import { HOST_PEER_ID, type IceServer, type JoinReply, type Reply } from "starwire-protocol";
import { GraceTimers } from "./grace-timers.js";
import type { LeaveOutcome, Room } from "./room-store.js";
import { RoomTimers } from "./room-timers.js";
import { type SignalingContext, tag } from "./signaling-context.js";
import { mintTurnCredentials, type TurnSettings } from "./turn-credentials.js";

/**
 * What this process keeps for live rooms beside the store, and the countdowns that act on them:
 * token and TURN refreshes (on the process holding the room's host socket), the empty-room
 * countdown, the grace of places whose socket dropped, and which address each room counts against.
 * Timers are keyed by room instance: rooms are snapshots (with Redis, shared by processes).
 */
export class RoomUpkeep {
  readonly graceTimers = new GraceTimers<string>();
  // Every live room whose host is on this process: its members get fresh tokens every third of
  // their lifetime.
  private readonly tokenRefreshes = new RoomTimers<string>();
  private readonly refreshMs: number;
  // With TURN credentials to mint: every live room's members get fresh ones every third of their
  // lifetime, so new connections (a late joiner, a reconnect) never allocate with an expired one.
  private readonly turn: TurnSettings | null;
  private readonly turnRefreshes = new RoomTimers<string>();
  // Rooms without a client: closed after EMPTY_ROOM_TIMEOUT_MS.
  readonly emptyRooms = new RoomTimers<string>();
  // The address each live room (by instance) counts against (MAX_ROOMS_PER_ADDRESS): its host's.
  private readonly roomHolders = new Map<string, string>();
  private stopped = false;

  constructor(private readonly ctx: SignalingContext) {
    const { config } = ctx;
    this.refreshMs = (config.tokenTtlSeconds * 1000) / 3;
    this.turn =
      config.turnUrls.length > 0 && config.turnSecret !== undefined
        ? { urls: config.turnUrls, secret: config.turnSecret, ttlSeconds: config.turnTtlSeconds }
        : null;
  }

  /** Per-room timers running now: token refreshes and empty-room countdowns. */
  get roomTimers(): number {
    return this.tokenRefreshes.size + this.turnRefreshes.size + this.emptyRooms.size;
  }

  /** The server closed: every countdown stops, and none starts again. */
  stopAll(): void {
    this.stopped = true;
    this.graceTimers.stopAll();
    this.tokenRefreshes.stopAll();
    this.turnRefreshes.stopAll();
    this.emptyRooms.stopAll();
  }

  /** The address the live room `instance` counts against, if it is held from here. */
  holderOf(instance: string): string | undefined {
    return this.roomHolders.get(instance);
  }

  /** The ICE servers for one member of a room: the configured ones, and TURN with its own credentials. */
  iceServersFor(room: Room, peerId: number): IceServer[] {
    if (!this.turn) return this.ctx.config.iceServers;
    // The label names the player in the TURN server's logs, as the room's tag does in ours.
    return [
      ...this.ctx.config.iceServers,
      mintTurnCredentials(this.turn, `${room.instance.slice(0, 8)}.${peerId}`),
    ];
  }

  /** A client's place, as join and resume answer it. */
  placeReply(room: Room, peerId: number): Reply<JoinReply> {
    return {
      ok: true,
      roomCode: room.code,
      peerId,
      iceServers: this.iceServersFor(room, peerId),
      resumeToken: this.ctx.tokens.issueResume(room.code, room.instance, peerId),
      reconnectGraceMs: room.reconnectGraceMs,
    };
  }

  /** Token and TURN refreshes run on the process that holds the room's host socket. */
  startRoomRefreshes(room: Room): void {
    if (!this.tokenRefreshes.has(room.instance)) {
      this.tokenRefreshes.every(room.instance, this.refreshMs, () => void this.refreshTokens(room));
    }
    const { turn } = this;
    if (turn && !this.turnRefreshes.has(room.instance)) {
      this.turnRefreshes.every(
        room.instance,
        (turn.ttlSeconds * 1000) / 3,
        () => void this.refreshTurnCredentials(room),
      );
    }
  }

  /** Whatever a room held beyond the store goes with it (the store keeps its tokens from reopening it). */
  roomEnded(room: Room): void {
    this.graceTimers.stopRoom(room.instance);
    this.tokenRefreshes.stop(room.instance);
    this.turnRefreshes.stop(room.instance);
    this.emptyRooms.stop(room.instance);
    const holder = this.roomHolders.get(room.instance);
    if (holder !== undefined) {
      this.ctx.addressLimits.closeRoom(holder);
      this.roomHolders.delete(room.instance);
    }
  }

  /** A room counts against its host's address; a takeover from elsewhere moves it there. */
  holdRoom(room: Room, address: string): void {
    const holder = this.roomHolders.get(room.instance);
    if (holder === address) return;
    if (holder !== undefined) this.ctx.addressLimits.closeRoom(holder);
    this.ctx.addressLimits.openRoom(address);
    this.roomHolders.set(room.instance, address);
  }

  /**
   * Starts the empty-room countdown when a live room has no client and no reserved id (reserved
   * ids are players still connected to the host over WebRTC), stops it when it has one. Called
   * after everything that changes a room's clients.
   */
  watchOccupancy(room: Room): void {
    const { config } = this.ctx;
    if (config.emptyRoomTimeoutMs === 0) return;
    if (room.clients.size > 0 || room.reserved.size > 0) {
      this.emptyRooms.stop(room.instance);
      return;
    }
    if (!this.emptyRooms.has(room.instance)) {
      this.emptyRooms.after(room.instance, config.emptyRoomTimeoutMs, () => void this.closeEmpty(room));
    }
  }

  /** A socket dropped in a room with a grace: its place waits for it, and nobody is told yet. */
  detached(room: Room, peerId: number, socketId: string, detachId: string | undefined): void {
    this.graceTimers.start(
      room.instance,
      peerId,
      room.reconnectGraceMs,
      () => void this.expire(room, peerId, detachId),
    );
    this.ctx.log(
      `room ${tag(room)} detached peer=${peerId} socket=${socketId} grace=${room.reconnectGraceMs}ms`,
    );
  }

  announceLeave(outcome: LeaveOutcome | undefined, how: "left" | "disconnected" | "expired"): void {
    if (outcome === undefined) return;
    const { ctx } = this;
    const { room } = outcome;
    if (outcome.kind === "client_left") {
      this.graceTimers.stop(room.instance, outcome.peerId);
      this.watchOccupancy(room);
      ctx.toHost(room)?.emit("peerLeft", { peerId: outcome.peerId });
      ctx.log(`room ${tag(room)} left peer=${outcome.peerId} (${how})`);
      return;
    }
    this.roomEnded(room);
    // One emit per socket: io.to([]) with an empty list would broadcast to every socket.
    for (const clientSocketId of outcome.clientSocketIds) {
      ctx.toSocket(clientSocketId).emit("roomClosed", { reason: "host_left" });
      ctx.outOfRoom(clientSocketId);
    }
    ctx.log(
      `room ${tag(room)} closed reason=host_left (host ${how}) clients=${outcome.clientSocketIds.length}`,
    );
  }

  /** A detached place's grace ran out: it goes as if it had left then. Runs from a timer. */
  private async expire(room: Room, peerId: number, detachId: string | undefined): Promise<void> {
    const { ctx } = this;
    try {
      const outcome = await ctx.registry.expire(room, peerId, detachId);
      if (outcome?.kind === "client_left") {
        this.watchOccupancy(outcome.room);
        ctx.toHost(outcome.room)?.emit("peerLeft", { peerId });
        ctx.log(`room ${tag(room)} expired peer=${peerId}`);
        return;
      }
      this.announceLeave(outcome, "expired");
    } catch (error) {
      ctx.logFailure(`error expiring peer ${peerId} of room ${tag(room)}`, error);
    }
  }

  /**
   * A room nobody joined (or everyone left) for EMPTY_ROOM_TIMEOUT_MS closes: its host is told
   * with `roomExpired` and is outside any room again, so the idle countdown runs for its socket.
   * A host that is away is left to its grace (a takeover starts the countdown over). Runs from a
   * timer.
   */
  private async closeEmpty(room: Room): Promise<void> {
    const { ctx } = this;
    try {
      // The store knows since when the room is empty: with Redis, it may have filled and emptied
      // again on another process since this countdown started.
      const check = await ctx.registry.closeIfEmpty(room, ctx.config.emptyRoomTimeoutMs);
      if (check.kind === "wait") {
        if (!this.stopped && !this.emptyRooms.has(room.instance)) {
          this.emptyRooms.after(room.instance, check.ms, () => void this.closeEmpty(room));
        }
        return;
      }
      if (check.kind !== "closed") return;
      const { hostSocketId } = check;
      this.roomEnded(room);
      ctx.toSocket(hostSocketId).emit("roomExpired", { reason: "empty_room" });
      ctx.outOfRoom(hostSocketId);
      ctx.log(
        `room ${tag(room)} closed reason=empty_room (no client for ${ctx.config.emptyRoomTimeoutMs} ms)`,
      );
    } catch (error) {
      ctx.logFailure(`error closing empty room ${tag(room)}`, error);
    }
  }

  /**
   * Fresh tokens for everyone in a live room who has a socket (a detached place keeps the token it
   * has, with at least two thirds of its lifetime left). Runs from a timer.
   */
  private async refreshTokens(room: Room): Promise<void> {
    const { ctx } = this;
    try {
      const live = await this.hostedHere(room);
      if (live === undefined) {
        this.tokenRefreshes.stop(room.instance);
        return;
      }
      room = live;
      // With Redis, the process that emptied the room may have died with its countdown: the
      // host's process starts one (the store knows since when the room is empty).
      this.watchOccupancy(room);
      if (room.hostSocketId !== undefined) {
        ctx.toSocket(room.hostSocketId).emit("hostToken", {
          hostToken: ctx.tokens.issueHost(room.code, room.instance),
        });
      }
      for (const [peerId, socketId] of room.clients) {
        if (socketId === undefined) continue;
        ctx.toSocket(socketId).emit("resumeToken", {
          resumeToken: ctx.tokens.issueResume(room.code, room.instance, peerId),
        });
      }
    } catch (error) {
      ctx.logFailure(`error refreshing the tokens of room ${tag(room)}`, error);
    }
  }

  /**
   * Fresh TURN credentials for everyone in a live room who has a socket (a detached place gets
   * fresh ones when it resumes or reclaims). Runs from a timer.
   */
  private async refreshTurnCredentials(room: Room): Promise<void> {
    const { ctx } = this;
    try {
      const live = await this.hostedHere(room);
      if (live === undefined) {
        this.turnRefreshes.stop(room.instance);
        return;
      }
      room = live;
      if (room.hostSocketId !== undefined) {
        ctx.toSocket(room.hostSocketId).emit("iceServers", {
          iceServers: this.iceServersFor(room, HOST_PEER_ID),
        });
      }
      for (const [peerId, socketId] of room.clients) {
        if (socketId !== undefined)
          ctx.toSocket(socketId).emit("iceServers", { iceServers: this.iceServersFor(room, peerId) });
      }
    } catch (error) {
      ctx.logFailure(`error refreshing the TURN credentials of room ${tag(room)}`, error);
    }
  }

  /**
   * The room as it is now, if it is still live and its host is connected here or away (a host
   * that came back on another process gets its refreshes there).
   */
  private async hostedHere(room: Room): Promise<Room | undefined> {
    const live = await this.ctx.registry.room(room.code);
    if (live?.instance !== room.instance) return undefined;
    if (live.hostSocketId !== undefined && !this.ctx.io.of("/").sockets.has(live.hostSocketId)) {
      return undefined;
    }
    return live;
  }
}
