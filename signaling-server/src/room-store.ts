import type { DropOutcome, KickOutcome, LeaveOutcome, Membership, Result, Room, Takeover } from "./rooms.js";

export type { DropOutcome, KickOutcome, LeaveOutcome, Membership, Result, Room, Takeover } from "./rooms.js";

/**
 * The store could not answer in time (Redis unreachable, or too slow): nothing is known about
 * whether the step happened. The request is answered `server_unavailable`; the process stays up.
 */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
}

/** A reclaim as the store sees it: the room instance the host token names, if the token is good. */
export interface ReclaimClaim {
  roomCode: string;
  /** From RoomTokens.hostInstance: null when the token is not one issued for this code. */
  claimedInstance: string | null;
  peers: readonly number[];
}

export interface ResumeClaim {
  roomCode: string;
  peerId: number;
  /** From RoomTokens.resumeInstance: null when the token is not one issued for this code and peer. */
  claimedInstance: string | null;
}

/** A place whose socket dropped: `detachId` names this detachment, so a later one is not ended by its timer. */
export type StoreDropOutcome = DropOutcome & { detachId?: string };

/** What an empty-room countdown finds when it runs out. */
export type EmptyCheck =
  /** The room closed: its host is told. */
  | { kind: "closed"; outcome: LeaveOutcome; hostSocketId: string }
  /** Empty, but not for long enough yet (the room emptied again since, or clocks differ). */
  | { kind: "wait"; ms: number }
  /** Occupied, gone, or its host is away: nothing to count down. */
  | { kind: "none" };

/**
 * Every live room and who is in it, for the signaling events (room-entry.ts and the other
 * handlers). Async because the shared implementation keeps rooms in Redis (redis-room-store.ts);
 * the embedded default (memory-room-store.ts) answers at once. Each call is one atomic step: two
 * processes acting on one room at the same moment see each other's step whole or not at all.
 *
 * Rooms handed out are snapshots of the moment: compare rooms by `instance`, never by identity.
 */
export interface RoomStore {
  /** Live rooms, as this process last saw them (exact for the embedded store). */
  readonly roomCount: number;
  room(code: string): Promise<Room | undefined>;
  membership(socketId: string): Promise<Membership | undefined>;
  create(
    socketId: string,
    maxPlayers: number,
    password: string | undefined,
    reconnectGraceMs: number,
  ): Promise<Result<{ room: Room }>>;
  /**
   * Reopens a room under its code, or takes it over while it is live (rooms.ts RoomRegistry.reclaim).
   * The token matches when it names the live room's instance, or, with no live room, an instance
   * that did not close while its tokens last.
   */
  reclaim(
    socketId: string,
    maxPlayers: number,
    password: string | undefined,
    claim: ReclaimClaim,
    reconnectGraceMs: number,
  ): Promise<Result<{ room: Room; takeover: Takeover | undefined }>>;
  join(
    socketId: string,
    roomCode: string,
    password?: string,
  ): Promise<Result<{ room: Room; peerId: number }>>;
  resume(
    socketId: string,
    claim: ResumeClaim,
  ): Promise<Result<{ room: Room; peerId: number; replacedSocketId: string | undefined }>>;
  leave(socketId: string): Promise<LeaveOutcome | undefined>;
  drop(socketId: string): Promise<StoreDropOutcome | undefined>;
  /** Ends a detached place whose grace ran out, unless it came back (or detached again since). */
  expire(room: Room, peerId: number, detachId: string | undefined): Promise<LeaveOutcome | undefined>;
  kick(hostSocketId: string, peerId: number): Promise<Result<KickOutcome>>;
  setRefusing(hostSocketId: string, refusing: boolean): Promise<Result<{ room: Room; changed: boolean }>>;
  signalRoute(
    socketId: string,
    to: number | undefined,
  ): Promise<Result<{ from: number; targetSocketId: string | undefined }>>;
  /** Closes the room if it has had no client and no reserved id for `emptyMs` while its host is here. */
  closeIfEmpty(room: Room, emptyMs: number): Promise<EmptyCheck>;
  /**
   * The server is going away, not the player: the embedded store forgets the socket's place; the
   * shared one keeps it, so the host and players take their places back on another process.
   */
  abandon(socketId: string): Promise<void>;
  /** Stops whatever the store runs (connections, renewals). */
  close(): Promise<void>;
}
