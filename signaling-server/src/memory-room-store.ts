import type { EmptyCheck, ReclaimClaim, ResumeClaim, RoomStore, StoreDropOutcome } from "./room-store.js";
import { type LeaveOutcome, type Room, RoomRegistry, type RoomRegistryOptions } from "./rooms.js";
import { ClosedInstances } from "./tokens.js";

/**
 * The embedded room store: one process's RoomRegistry, answered at once. Nothing to install;
 * rooms die with the process (hosts reclaim them on the next one with their tokens).
 */
export class MemoryRoomStore implements RoomStore {
  private readonly registry: RoomRegistry;
  /** Rooms that closed here, so their host tokens cannot reopen them while they last. */
  private readonly closedInstances: ClosedInstances;
  /** Instance → when the room last became empty (no client, no reserved id). */
  private readonly emptySince = new Map<string, number>();

  constructor(
    options: RoomRegistryOptions,
    tokenTtlSeconds: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.registry = new RoomRegistry(options);
    this.closedInstances = new ClosedInstances(tokenTtlSeconds * 1000);
  }

  get roomCount(): number {
    return this.registry.roomCount;
  }

  async room(code: string) {
    return this.registry.room(code);
  }

  async membership(socketId: string) {
    return this.registry.membership(socketId);
  }

  async create(socketId: string, maxPlayers: number, password: string | undefined, grace: number) {
    return this.watched(this.registry.create(socketId, maxPlayers, password, grace));
  }

  async reclaim(
    socketId: string,
    maxPlayers: number,
    password: string | undefined,
    claim: ReclaimClaim,
    grace: number,
  ) {
    const { claimedInstance } = claim;
    const live = this.registry.room(claim.roomCode);
    const tokenMatches =
      claimedInstance !== null &&
      (live === undefined ? !this.closedInstances.has(claimedInstance) : live.instance === claimedInstance);
    const result = this.registry.reclaim(
      socketId,
      maxPlayers,
      password,
      {
        roomCode: claim.roomCode,
        tokenMatches,
        ...(claimedInstance !== null ? { instance: claimedInstance } : {}),
        peers: claim.peers,
      },
      grace,
    );
    // A takeover starts the empty-room countdown over.
    if (result.ok && result.takeover !== undefined) this.emptySince.delete(result.room.instance);
    return this.watched(result);
  }

  async join(socketId: string, roomCode: string, password?: string) {
    return this.watched(this.registry.join(socketId, roomCode, password));
  }

  async resume(socketId: string, claim: ResumeClaim) {
    const live = this.registry.room(claim.roomCode);
    const { claimedInstance } = claim;
    return this.watched(
      this.registry.resume(socketId, {
        roomCode: claim.roomCode,
        peerId: claim.peerId,
        // Valid for this room only: a token from an earlier room with this code opens nothing.
        tokenMatches: claimedInstance !== null && (live === undefined || live.instance === claimedInstance),
      }),
    );
  }

  async leave(socketId: string) {
    return this.ended(this.registry.leave(socketId));
  }

  async drop(socketId: string): Promise<StoreDropOutcome | undefined> {
    const outcome = this.registry.drop(socketId);
    if (outcome?.kind === "detached") return outcome;
    return this.ended(outcome);
  }

  /** One process runs every countdown and restarts it on a new detachment: `detachId` is not needed. */
  async expire(room: Room, peerId: number) {
    const live = this.registry.room(room.code);
    if (live === undefined || live.instance !== room.instance) return undefined;
    return this.ended(this.registry.expire(live, peerId));
  }

  async kick(hostSocketId: string, peerId: number) {
    return this.watched(this.registry.kick(hostSocketId, peerId));
  }

  async setRefusing(hostSocketId: string, refusing: boolean) {
    return this.registry.setRefusing(hostSocketId, refusing);
  }

  async signalRoute(socketId: string, to: number | undefined) {
    return this.registry.signalRoute(socketId, to);
  }

  async closeIfEmpty(room: Room, emptyMs: number): Promise<EmptyCheck> {
    const live = this.registry.room(room.code);
    if (live === undefined || live.instance !== room.instance) return { kind: "none" };
    const since = this.emptySince.get(live.instance);
    const hostSocketId = live.hostSocketId;
    if (since === undefined || hostSocketId === undefined) return { kind: "none" };
    const left = since + emptyMs - this.now();
    if (left > 0) return { kind: "wait", ms: Math.ceil(left) };
    const outcome = this.ended(this.registry.leave(hostSocketId));
    if (outcome === undefined) return { kind: "none" };
    return { kind: "closed", outcome, hostSocketId };
  }

  async abandon(socketId: string) {
    this.ended(this.registry.leave(socketId));
  }

  async close() {}

  /** Keeps `emptySince` in step with a room an operation changed. */
  private watched<T extends { ok: boolean; room?: Room; kind?: string }>(result: T): T {
    const room = result.room;
    if (!result.ok || room === undefined) return result;
    if (this.registry.room(room.code) !== room) return result;
    if (room.clients.size > 0 || room.reserved.size > 0) this.emptySince.delete(room.instance);
    else if (!this.emptySince.has(room.instance)) this.emptySince.set(room.instance, this.now());
    return result;
  }

  private ended<T extends LeaveOutcome | undefined>(outcome: T): T {
    if (outcome === undefined) return outcome;
    if (outcome.kind === "room_closed") {
      this.closedInstances.add(outcome.room.instance);
      this.emptySince.delete(outcome.room.instance);
    } else if (outcome.kind === "client_left") {
      this.watched({ ok: true, room: outcome.room });
    }
    return outcome;
  }
}
