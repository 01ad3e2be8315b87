import { randomInt } from "node:crypto";
import {
  HOST_PEER_ID,
  MAX_PEER_ID,
  normalizeRoomCode,
  type SignalingError,
  type SignalingErrorCode,
} from "starwire-protocol";
import { generateRoomCode, type RandomIndex, RoomCodeSpaceExhaustedError } from "./room-code.js";
import { RoomPassword } from "./room-password.js";
import { newRoomInstance } from "./tokens.js";

/** Success carries its fields next to `ok: true`, failure is a wire-ready `SignalingError`. */
export type Result<T> = ({ ok: true } & T) | SignalingError;

export interface Room {
  readonly code: string;
  /** Names this room among every room that ever had its code; host and resume tokens carry it. */
  readonly instance: string;
  /** Undefined while the host's socket has dropped and the room waits out its grace for a reclaim. */
  readonly hostSocketId: string | undefined;
  /** Clients allowed at once; the host is not counted (Godot's max_clients). */
  readonly maxPlayers: number;
  readonly refusing: boolean;
  /** Set when joins must give a password; holds only a salted hash of it. */
  readonly password: RoomPassword | undefined;
  /**
   * How long a dropped socket keeps its place (a client its id, the host its room) for a
   * `resume` or a reclaim; 0: a dropped socket leaves at once.
   */
  readonly reconnectGraceMs: number;
  /**
   * The room's clients: peer id → socket id, or undefined while the client's socket has dropped
   * and its place waits out the grace for a `resume`. The host (peer 1) is not in it.
   */
  readonly clients: ReadonlyMap<number, string | undefined>;
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
  /** `clientSocketIds`: the clients that have a socket to tell (detached ones have none). */
  | { kind: "room_closed"; room: Room; clientSocketIds: string[] };

export type KickOutcome =
  | { kind: "client"; room: Room; clientSocketId: string }
  | { kind: "detached"; room: Room }
  | { kind: "reserved"; room: Room };

/** What a dropped socket leads to: an ordinary leave, or a place kept for the room's grace. */
export type DropOutcome = LeaveOutcome | { kind: "detached"; room: Room; peerId: number };

export interface RoomRegistryOptions {
  maxRooms: number;
  roomCodeLength: number;
  /** Source of candidate client ids; crypto by default so ids cannot be predicted. */
  randomPeerId?: () => number;
  randomIndex?: RandomIndex;
}

interface MutableRoom extends Room {
  hostSocketId: string | undefined;
  maxPlayers: number;
  refusing: boolean;
  password: RoomPassword | undefined;
  reconnectGraceMs: number;
  readonly clients: Map<number, string | undefined>;
  readonly reserved: Set<number>;
}

/** A reclaim that found its room live: the new socket took the host's place in it. */
export interface Takeover {
  /** The socket that was the host until now, if it was still attached: it is in no room any more. */
  readonly replacedSocketId: string | undefined;
  /** Clients of the room the host did not list: it missed their joins, so it must hear of them again. */
  readonly unlistedPeers: readonly number[];
}

export interface ResumeRequest {
  roomCode: string;
  peerId: number;
  /** Whether the resume token given with the request is the one issued for `roomCode` and `peerId`. */
  tokenMatches: boolean;
}

export interface ReclaimRequest {
  roomCode: string;
  /** Whether the host token given with the request is the one issued for this room (tokens.ts). */
  tokenMatches: boolean;
  /** The room instance the token names: a room reopened after a restart keeps it. */
  instance?: string;
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

  create(
    socketId: string,
    maxPlayers: number,
    password?: string,
    reconnectGraceMs = 0,
  ): Result<{ room: Room }> {
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
    return { ok: true, room: this.open(socketId, code, maxPlayers, password, reconnectGraceMs, []) };
  }

  /**
   * Reopens a room under the code its host was given before (by this process or, with the same
   * secret, an earlier one). The token is checked first, so without it nobody learns whether the
   * code is live. `peers` become reserved ids.
   *
   * If the room is live (its host's socket dropped, or the host opened a new one), the socket takes
   * it over instead (`takeover` is set): it becomes the host, with the settings it sent; its
   * clients stay; listed ids that are not clients become the reserved ids, replacing any earlier.
   */
  reclaim(
    socketId: string,
    maxPlayers: number,
    password: string | undefined,
    request: ReclaimRequest,
    reconnectGraceMs = 0,
  ): Result<{ room: Room; takeover: Takeover | undefined }> {
    const membership = this.members.get(socketId);
    if (membership !== undefined) return alreadyInRoom(membership);
    const code = normalizeRoomCode(request.roomCode);
    if (!request.tokenMatches) {
      return fail("reclaim_refused", "this host token does not belong to this room code (or this server)");
    }
    const live = this.rooms.get(code);
    if (live !== undefined) {
      const takeover = this.takeOver(live, socketId, maxPlayers, password, reconnectGraceMs, request.peers);
      return { ok: true, room: live, takeover };
    }
    const full = this.refuseNewRoom();
    if (full !== undefined) return full;
    const room = this.open(
      socketId,
      code,
      maxPlayers,
      password,
      reconnectGraceMs,
      request.peers,
      request.instance,
    );
    return { ok: true, room, takeover: undefined };
  }

  /** The state a fresh reclaim would leave, but with the room's clients kept. */
  private takeOver(
    room: MutableRoom,
    socketId: string,
    maxPlayers: number,
    password: string | undefined,
    reconnectGraceMs: number,
    peers: readonly number[],
  ): Takeover {
    const replacedSocketId = room.hostSocketId;
    if (replacedSocketId !== undefined) this.members.delete(replacedSocketId);
    room.hostSocketId = socketId;
    this.members.set(socketId, { room, peerId: HOST_PEER_ID });
    room.maxPlayers = maxPlayers;
    room.password = password === undefined ? undefined : RoomPassword.hash(password);
    room.reconnectGraceMs = reconnectGraceMs;
    // As after a restart: the host says again whether it refuses.
    room.refusing = false;
    const listed = new Set(peers.filter(isClientId));
    room.reserved.clear();
    for (const id of listed) if (!room.clients.has(id)) room.reserved.add(id);
    const unlistedPeers = [...room.clients.keys()].filter((id) => !listed.has(id));
    return { replacedSocketId, unlistedPeers };
  }

  private refuseCreate(socketId: string): SignalingError | undefined {
    const membership = this.members.get(socketId);
    if (membership !== undefined) return alreadyInRoom(membership);
    return this.refuseNewRoom();
  }

  private refuseNewRoom(): SignalingError | undefined {
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
    reconnectGraceMs: number,
    reserved: readonly number[],
    instance = newRoomInstance(),
  ): MutableRoom {
    const room: MutableRoom = {
      code,
      instance,
      hostSocketId: socketId,
      maxPlayers,
      refusing: false,
      // Hashed only once the room is certain to exist: the hash is the costly part of a create.
      password: password === undefined ? undefined : RoomPassword.hash(password),
      reconnectGraceMs,
      clients: new Map(),
      reserved: new Set(reserved.filter(isClientId)),
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

  /**
   * A client takes its place back from a new socket: a client of the room (whether its socket
   * dropped or is still attached, in which case that socket loses the place) or a reserved id. The
   * token is checked first, so without it nobody learns whether the room is live.
   */
  resume(
    socketId: string,
    request: ResumeRequest,
  ): Result<{ room: Room; peerId: number; replacedSocketId: string | undefined }> {
    const membership = this.members.get(socketId);
    if (membership !== undefined) return alreadyInRoom(membership);
    if (!request.tokenMatches) {
      return fail("invalid_request", "this resume token does not belong to this room and peer");
    }
    const room = this.rooms.get(normalizeRoomCode(request.roomCode));
    if (room === undefined) return fail("no_such_room", "no room has this code (yet); try again shortly");
    const { peerId } = request;
    if (!room.clients.has(peerId) && !room.reserved.has(peerId)) {
      return fail("session_expired", `peer ${peerId} is no longer in this room; join it again`);
    }
    const replacedSocketId = room.clients.get(peerId);
    if (replacedSocketId !== undefined) this.members.delete(replacedSocketId);
    room.reserved.delete(peerId);
    room.clients.set(peerId, socketId);
    this.members.set(socketId, { room, peerId });
    return { ok: true, room, peerId, replacedSocketId };
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
    return this.close(room);
  }

  /**
   * A socket dropped without leaving: in a room with a grace, its place is kept without a socket
   * (`detached`) until it comes back or `expire` ends it; otherwise it leaves.
   */
  drop(socketId: string): DropOutcome | undefined {
    const membership = this.members.get(socketId);
    if (membership === undefined) return undefined;
    const { room, peerId } = membership;
    if (room.reconnectGraceMs === 0) return this.leave(socketId);
    this.members.delete(socketId);
    if (peerId === HOST_PEER_ID) room.hostSocketId = undefined;
    else room.clients.set(peerId, undefined);
    return { kind: "detached", room, peerId };
  }

  /**
   * Ends a detached place whose grace ran out: the client leaves, or the host's room closes.
   * Undefined if the place is not detached in that room any more (it came back, was kicked, or the
   * room closed).
   */
  expire(room: Room, peerId: number): LeaveOutcome | undefined {
    const live = this.rooms.get(room.code);
    if (live !== room) return undefined;
    if (peerId === HOST_PEER_ID) return live.hostSocketId === undefined ? this.close(live) : undefined;
    if (!live.clients.has(peerId) || live.clients.get(peerId) !== undefined) return undefined;
    live.clients.delete(peerId);
    return { kind: "client_left", room: live, peerId };
  }

  private close(room: MutableRoom): LeaveOutcome {
    if (room.hostSocketId !== undefined) this.members.delete(room.hostSocketId);
    const clientSocketIds = [...room.clients.values()].filter((id) => id !== undefined);
    for (const clientSocketId of clientSocketIds) this.members.delete(clientSocketId);
    room.clients.clear();
    room.reserved.clear();
    this.rooms.delete(room.code);
    return { kind: "room_closed", room, clientSocketIds };
  }

  /**
   * Removes a client (`detached` when its socket had dropped: there is no socket to tell), or
   * frees a reserved id (`reserved`).
   */
  kick(hostSocketId: string, peerId: number): Result<KickOutcome> {
    const host = this.hostMembership(hostSocketId, "kick");
    if (!host.ok) return host;
    const { room } = host;
    if (room.reserved.delete(peerId)) return { ok: true, kind: "reserved", room };
    if (!room.clients.has(peerId)) return fail("unknown_peer", `peer ${peerId} is not in this room`);
    const clientSocketId = room.clients.get(peerId);
    room.clients.delete(peerId);
    if (clientSocketId === undefined) return { ok: true, kind: "detached", room };
    this.members.delete(clientSocketId);
    return { ok: true, kind: "client", room, clientSocketId };
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
   * `targetSocketId` is undefined when the target's socket dropped and its place waits out the
   * grace: the signal has nowhere to go, and the peer starts over when it is back.
   */
  signalRoute(
    socketId: string,
    to: number | undefined,
  ): Result<{ room: Room; from: number; targetSocketId: string | undefined }> {
    const membership = this.members.get(socketId);
    if (membership === undefined) return fail("not_in_room", "signal needs a room; create or join one first");
    const { room, peerId } = membership;
    if (peerId !== HOST_PEER_ID) return { ok: true, room, from: peerId, targetSocketId: room.hostSocketId };
    if (to === undefined) return fail("unknown_peer", "the host must say which client a signal is for (to)");
    if (!room.clients.has(to)) return fail("unknown_peer", `peer ${to} is not in this room`);
    return { ok: true, room, from: HOST_PEER_ID, targetSocketId: room.clients.get(to) };
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
      if (isClientId(id) && !room.clients.has(id) && !room.reserved.has(id)) return id;
    }
    throw new Error(
      `no free peer id in room #${room.instance.slice(0, 8)} after ${PEER_ID_ATTEMPTS} attempts`,
    );
  }
}

function isClientId(id: number): boolean {
  return Number.isInteger(id) && id > HOST_PEER_ID && id <= MAX_PEER_ID;
}

function alreadyInRoom(membership: MutableMembership): SignalingError {
  const role = membership.peerId === HOST_PEER_ID ? "hosting" : "in";
  return fail(
    "already_in_room",
    `this connection is already ${role} room ${membership.room.code}; leave it first`,
  );
}
