import { randomInt } from "node:crypto";
import {
  HOST_PEER_ID,
  MAX_PEER_ID,
  normalizeRoomCode,
  type SignalingError,
  type SignalingErrorCode,
} from "starwire/signaling-protocol";
import { generateRoomCode, type RandomIndex, RoomCodeSpaceExhaustedError } from "./room-code.js";
import { RoomPassword } from "./room-password.js";

/** Success carries its fields next to `ok: true`, failure is a wire-ready `SignalingError`. */
export type Result<T> = ({ ok: true } & T) | SignalingError;

export interface Room {
  readonly code: string;
  readonly hostSocketId: string;
  /** Clients allowed at once; the host is not counted (Godot's max_clients). */
  readonly maxPlayers: number;
  readonly refusing: boolean;
  /** Set when joins must give a password; holds only a salted hash of it. */
  readonly password: RoomPassword | undefined;
  /** The room's clients: peer id → socket id. The host (peer 1) is not in it. */
  readonly clients: ReadonlyMap<number, string>;
  /**
   * Ids of clients a reclaiming host still talks to over WebRTC but that have no socket here:
   * never handed out, counted toward maxPlayers, until the host kicks them.
   */
  readonly reserved: ReadonlySet<number>;
}

export interface Membership {
  readonly room: Room;
  readonly peerId: number;
}

export type LeaveOutcome =
  | { kind: "client_left"; room: Room; peerId: number }
  | { kind: "room_closed"; room: Room; clientSocketIds: string[] };

export interface RoomRegistryOptions {
  maxRooms: number;
  roomCodeLength: number;
  /** Source of candidate client ids; crypto by default so ids cannot be predicted. */
  randomPeerId?: () => number;
  randomIndex?: RandomIndex;
}

interface MutableRoom extends Room {
  refusing: boolean;
  readonly clients: Map<number, string>;
  readonly reserved: Set<number>;
}

export interface ReclaimRequest {
  roomCode: string;
  /** Whether the host token given with the request is the one issued for `roomCode`. */
  tokenMatches: boolean;
  peers: readonly number[];
}

interface MutableMembership {
  room: MutableRoom;
  peerId: number;
}

/** Bounds the retry loop if an injected id source keeps returning taken ids. */
const PEER_ID_ATTEMPTS = 1000;

const cryptoPeerId = (): number => randomInt(HOST_PEER_ID + 1, MAX_PEER_ID + 1);

function fail(code: SignalingErrorCode, message: string): SignalingError {
  return { ok: false, code, message };
}

/**
 * Every live room and who is in it. Plain state with no sockets in it: the server maps its
 * outcomes to socket.io emits, and tests drive it directly.
 */
export class RoomRegistry {
  private readonly rooms = new Map<string, MutableRoom>();
  private readonly members = new Map<string, MutableMembership>();
  private readonly randomPeerId: () => number;

  constructor(private readonly options: RoomRegistryOptions) {
    this.randomPeerId = options.randomPeerId ?? cryptoPeerId;
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  /** The room under a code as a user typed it, if it is live. */
  room(code: string): Room | undefined {
    return this.rooms.get(normalizeRoomCode(code));
  }

  membership(socketId: string): Membership | undefined {
    return this.members.get(socketId);
  }

  create(socketId: string, maxPlayers: number, password?: string): Result<{ room: Room }> {
    const refused = this.refuseCreate(socketId);
    if (refused !== undefined) return refused;
    let code: string;
    try {
      code = generateRoomCode(
        this.options.roomCodeLength,
        (candidate) => this.rooms.has(candidate),
        this.options.randomIndex,
      );
    } catch (error) {
      // Only a code space too small for MAX_ROOMS gets here; to the player it is a full server.
      if (error instanceof RoomCodeSpaceExhaustedError) {
        return fail("server_full", "the server could not find a free room code; try again later");
      }
      throw error;
    }
    return { ok: true, room: this.open(socketId, code, maxPlayers, password, []) };
  }

  /**
   * Reopens a room under the code its host was given before (by this process or, with the same
   * secret, an earlier one). The token is checked first, so without it nobody learns whether the
   * code is live. `peers` become reserved ids.
   */
  reclaim(
    socketId: string,
    maxPlayers: number,
    password: string | undefined,
    request: ReclaimRequest,
  ): Result<{ room: Room }> {
    const refused = this.refuseCreate(socketId);
    if (refused !== undefined) return refused;
    const code = normalizeRoomCode(request.roomCode);
    if (!request.tokenMatches) {
      return fail("reclaim_refused", "this host token does not belong to this room code (or this server)");
    }
    if (this.rooms.has(code)) return fail("reclaim_refused", "a live room already has this code");
    return { ok: true, room: this.open(socketId, code, maxPlayers, password, request.peers) };
  }

  private refuseCreate(socketId: string): SignalingError | undefined {
    const membership = this.members.get(socketId);
    if (membership !== undefined) return alreadyInRoom(membership);
    if (this.rooms.size >= this.options.maxRooms) {
      return fail("server_full", "the server has no room for another game; try again later");
    }
    return undefined;
  }

  private open(
    socketId: string,
    code: string,
    maxPlayers: number,
    password: string | undefined,
    reserved: readonly number[],
  ): MutableRoom {
    const room: MutableRoom = {
      code,
      hostSocketId: socketId,
      maxPlayers,
      refusing: false,
      // Hashed only once the room is certain to exist: the hash is the costly part of a create.
      password: password === undefined ? undefined : RoomPassword.hash(password),
      clients: new Map(),
      reserved: new Set(
        reserved.filter((id) => Number.isInteger(id) && id > HOST_PEER_ID && id <= MAX_PEER_ID),
      ),
    };
    this.rooms.set(code, room);
    this.members.set(socketId, { room, peerId: HOST_PEER_ID });
    return room;
  }

  /**
   * A room without a password takes joins with or without one (a client cannot know in advance,
   * and a password nobody asked for protects nothing).
   */
  join(socketId: string, roomCode: string, password?: string): Result<{ room: Room; peerId: number }> {
    if (this.members.has(socketId)) return alreadyInRoom(this.members.get(socketId)!);
    const room = this.rooms.get(normalizeRoomCode(roomCode));
    if (room === undefined) return fail("no_such_room", "no room has this code");
    // Before anything else about the room: without its password, nobody learns if it is full or refusing.
    if (room.password !== undefined && !room.password.matches(password)) {
      return password === undefined
        ? fail("wrong_password", "this room needs a password")
        : fail("wrong_password", "wrong password for this room");
    }
    // Refusal is checked first, as in Godot: a refusing host turns everyone away, full or not.
    if (room.refusing) return fail("room_refusing", "this room is not accepting new players");
    // Reserved ids hold their places: those clients still play, over WebRTC.
    if (room.clients.size + room.reserved.size >= room.maxPlayers) {
      return fail("room_full", `this room is full (${room.maxPlayers} players)`);
    }
    const peerId = this.freePeerId(room);
    room.clients.set(peerId, socketId);
    this.members.set(socketId, { room, peerId });
    return { ok: true, room, peerId };
  }

  /** Removes the socket from its room; a leaving host closes the room. Undefined if it was in none. */
  leave(socketId: string): LeaveOutcome | undefined {
    const membership = this.members.get(socketId);
    if (membership === undefined) return undefined;
    const { room, peerId } = membership;
    this.members.delete(socketId);
    if (peerId !== HOST_PEER_ID) {
      room.clients.delete(peerId);
      return { kind: "client_left", room, peerId };
    }
    const clientSocketIds = [...room.clients.values()];
    for (const clientSocketId of clientSocketIds) this.members.delete(clientSocketId);
    room.clients.clear();
    room.reserved.clear();
    this.rooms.delete(room.code);
    return { kind: "room_closed", room, clientSocketIds };
  }

  /**
   * Removes a client, or frees a reserved id (then `clientSocketId` is undefined: there is no
   * socket to tell).
   */
  kick(hostSocketId: string, peerId: number): Result<{ room: Room; clientSocketId: string | undefined }> {
    const host = this.hostMembership(hostSocketId, "kick");
    if (!host.ok) return host;
    if (host.room.reserved.delete(peerId)) return { ok: true, room: host.room, clientSocketId: undefined };
    const clientSocketId = host.room.clients.get(peerId);
    if (clientSocketId === undefined) return fail("unknown_peer", `peer ${peerId} is not in this room`);
    host.room.clients.delete(peerId);
    this.members.delete(clientSocketId);
    return { ok: true, room: host.room, clientSocketId };
  }

  setRefusing(hostSocketId: string, refusing: boolean): Result<{ room: Room; changed: boolean }> {
    const host = this.hostMembership(hostSocketId, "set refusing");
    if (!host.ok) return host;
    const changed = host.room.refusing !== refusing;
    host.room.refusing = refusing;
    return { ok: true, room: host.room, changed };
  }

  /**
   * Where a signal from this socket goes. A client's signal always goes to its host, whatever it
   * asked for (clients never reach each other); the host must name one of its own clients.
   */
  signalRoute(
    socketId: string,
    to: number | undefined,
  ): Result<{ room: Room; from: number; targetSocketId: string }> {
    const membership = this.members.get(socketId);
    if (membership === undefined) return fail("not_in_room", "signal needs a room; create or join one first");
    const { room, peerId } = membership;
    if (peerId !== HOST_PEER_ID) return { ok: true, room, from: peerId, targetSocketId: room.hostSocketId };
    if (to === undefined) return fail("unknown_peer", "the host must say which client a signal is for (to)");
    const targetSocketId = room.clients.get(to);
    if (targetSocketId === undefined) return fail("unknown_peer", `peer ${to} is not in this room`);
    return { ok: true, room, from: HOST_PEER_ID, targetSocketId };
  }

  private hostMembership(socketId: string, action: string): Result<{ room: MutableRoom }> {
    const membership = this.members.get(socketId);
    if (membership === undefined) return fail("not_in_room", `only a room's host can ${action}`);
    if (membership.peerId !== HOST_PEER_ID) return fail("not_host", `only the room's host can ${action}`);
    return { ok: true, room: membership.room };
  }

  private freePeerId(room: MutableRoom): number {
    for (let attempt = 0; attempt < PEER_ID_ATTEMPTS; attempt++) {
      const id = this.randomPeerId();
      const inRange = Number.isInteger(id) && id > HOST_PEER_ID && id <= MAX_PEER_ID;
      if (inRange && !room.clients.has(id) && !room.reserved.has(id)) return id;
    }
    throw new Error(`no free peer id in room ${room.code} after ${PEER_ID_ATTEMPTS} attempts`);
  }
}

function alreadyInRoom(membership: MutableMembership): SignalingError {
  const role = membership.peerId === HOST_PEER_ID ? "hosting" : "in";
  return fail(
    "already_in_room",
    `this connection is already ${role} room ${membership.room.code}; leave it first`,
  );
}
