/**
 * The signaling protocol between Starwire peers and the signaling server (socket.io events):
 * requests, replies, errors, signals and the reasons a room closes. signaling-server/README.md
 * describes it in prose.
 */
import type { HOST_PEER_ID } from "./peer-ids.js";

export type SignalingErrorCode =
  | "invalid_request"
  | "rate_limited"
  | "no_such_room"
  | "room_full"
  | "room_refusing"
  | "server_full"
  | "already_in_room"
  | "not_in_room"
  | "not_host"
  | "unknown_peer"
  | "wrong_password"
  | "reclaim_refused"
  | "session_expired"
  /** `create`: the address already holds as many live rooms as the server allows (MAX_ROOMS_PER_ADDRESS). */
  | "too_many_rooms"
  /**
   * `create`, `join`, `resume`: the server is shutting down (it sent `serverDraining`); connect
   * again, which lands on another process behind a load balancer, or on this one once it is back.
   */
  | "server_draining"
  /**
   * Any request that needs the room store: the server cannot reach its shared room store (Redis)
   * right now. Connect again, which lands on another process behind a load balancer (this one
   * reports itself unhealthy meanwhile), or on this one once Redis is back.
   */
  | "server_unavailable";

export interface SignalingError {
  ok: false;
  code: SignalingErrorCode;
  message: string;
  /**
   * With `rate_limited`: whole seconds after which the same request would be allowed again (at
   * least 1). Absent when the server cannot say (too many sockets from one address: that depends on
   * when others close).
   */
  retryAfterSeconds?: number;
}

export type Reply<T> = ({ ok: true } & T) | SignalingError;

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface SessionDescriptionSignal {
  type: "offer" | "answer";
  sdp: string;
}

export interface CandidateSignal {
  type: "candidate";
  candidate: {
    candidate: string;
    sdpMid?: string | null;
    sdpMLineIndex?: number | null;
    usernameFragment?: string | null;
  };
}

/**
 * Host → client: "offer a new connection now". A host that got its signaling back after losing it
 * sends it to each reconnecting client, whose offer may have gone to the host's dead socket.
 */
export interface RenegotiateSignal {
  type: "renegotiate";
}

/** The only signals the server forwards: an offer or answer, trickled ICE candidates, and the host's nudge. */
export type SignalData = SessionDescriptionSignal | CandidateSignal | RenegotiateSignal;

/** Room passwords are at most this many characters. */
export const MAX_PASSWORD_LENGTH = 128;

/** The longest `reconnectGraceMs` a room may ask for unless the server is configured otherwise. */
export const DEFAULT_MAX_RECONNECT_GRACE_MS = 120_000;

export interface CreateRequest {
  maxPlayers: number;
  /** When set, joins must give the same password; checked by the server before any connection is brokered. */
  password?: string;
  /**
   * How long a player whose socket dropped without leaving keeps its place (its id, counted toward
   * maxPlayers) so it can `resume`; and how long the room outlives its host's dropped socket so the
   * host can reclaim it. Capped by the server (MAX_RECONNECT_GRACE_MS). 0 or absent: a dropped
   * socket leaves at once.
   */
  reconnectGraceMs?: number;
  /**
   * A host whose signaling connection dropped (say, the server restarted) asks for its room back:
   * the same code, with the token it was given, and the ids of the clients still connected to it
   * (the server will not hand those ids out again, and counts them toward maxPlayers).
   */
  reclaim?: { roomCode: string; hostToken: string; peers: number[] };
}
export interface CreateReply {
  roomCode: string;
  peerId: typeof HOST_PEER_ID;
  iceServers: IceServer[];
  /**
   * Proves ownership of `roomCode` when reclaiming it; valid across restarts when the server has a
   * fixed ROOM_SECRET. It expires (the server's TOKEN_TTL_SECONDS): while the host stays connected
   * the server sends a fresh one in a `hostToken` event well before that, which replaces this one.
   */
  hostToken?: string;
  /** The grace the server applies to this room: the one asked for, capped by the server's limit. */
  reconnectGraceMs?: number;
}
export interface JoinRequest {
  roomCode: string;
  password?: string;
}
export interface JoinReply {
  roomCode: string;
  peerId: number;
  iceServers: IceServer[];
  /**
   * Proves this client owns `peerId` in `roomCode` when it `resume`s; like the host token, valid
   * across restarts with a fixed ROOM_SECRET, and it expires: a fresh one comes in a `resumeToken`
   * event while the client stays connected, and replaces this one.
   */
  resumeToken?: string;
  /** The room's grace (CreateReply.reconnectGraceMs); a client keeps trying to come back this long. */
  reconnectGraceMs?: number;
}

/**
 * A client whose socket dropped (or that replaced a socket it no longer trusts) takes its place
 * back: same room, same id. Answered `session_expired` when the place is gone (the grace ran out, or
 * the host dropped the player), `no_such_room` while the room is not live (say, the server restarted
 * and its host has not reclaimed it yet: try again until the grace ends).
 */
export interface ResumeRequest {
  roomCode: string;
  peerId: number;
  resumeToken: string;
}
export type ResumeReply = JoinReply;

/** A client sends its signals without `to` (they always go to its host); the host names the client. */
export interface OutgoingSignal {
  to?: number;
  data: SignalData;
  /**
   * Which connection attempt between the client and its host the signal belongs to: the client
   * numbers its attempts 0, 1, 2… and the host answers with the same number. Relayed unchanged.
   */
  connection?: number;
}
export interface IncomingSignal {
  from: number;
  data: SignalData;
  connection?: number;
}

/** Connection attempt numbers stay below this (a varint-sized integer; relayed as is). */
export const MAX_CONNECTION_NUMBER = 2 ** 31 - 1;

/** `session_expired`: a client's reconnect grace ran out on the server before it resumed. */
export type RoomClosedReason = "host_left" | "kicked" | "session_expired";

/**
 * Why the server closed a host's room under it. `empty_room`: the room had no client (and no
 * reserved id) for the server's EMPTY_ROOM_TIMEOUT_MS.
 */
export type RoomExpiredReason = "empty_room";

export interface ClientToServerEvents {
  create(request: CreateRequest, reply: (reply: Reply<CreateReply>) => void): void;
  join(request: JoinRequest, reply: (reply: Reply<JoinReply>) => void): void;
  resume(request: ResumeRequest, reply: (reply: Reply<ResumeReply>) => void): void;
  /** Answers `{ ok: true }` at once: lets a peer check that its socket still reaches the server. */
  probe(reply: (reply: Reply<object>) => void): void;
  signal(signal: OutgoingSignal): void;
  /** Host only: while true, joins are answered with `room_refusing`. */
  setRefusing(request: { refusing: boolean }, reply?: (reply: Reply<object>) => void): void;
  /** Host only: removes a client from the room; it is told with `roomClosed("kicked")`. */
  kick(request: { peerId: number }, reply?: (reply: Reply<object>) => void): void;
  leave(reply?: (reply: Reply<object>) => void): void;
}

/** Every event a client may send, by name: the server's handler table and its metrics count these. */
export const CLIENT_EVENTS = [
  "create",
  "join",
  "resume",
  "probe",
  "signal",
  "setRefusing",
  "kick",
  "leave",
] as const satisfies readonly (keyof ClientToServerEvents)[];
export type ClientEvent = (typeof CLIENT_EVENTS)[number];
// A ClientToServerEvents member missing from the list above fails to compile here.
const everyClientEventListed: [Exclude<keyof ClientToServerEvents, ClientEvent>] extends [never]
  ? true
  : never = true;
void everyClientEventListed;

export interface ServerToClientEvents {
  /** To the host: a client was admitted by the server and will send an offer. */
  peerJoined(event: { peerId: number }): void;
  /** To the host: a client left, was kicked, or its socket dropped. */
  peerLeft(event: { peerId: number }): void;
  signal(signal: IncomingSignal): void;
  /** To a client: it is no longer in the room. */
  roomClosed(event: { reason: RoomClosedReason }): void;
  /**
   * To the host: the server closed its room (see RoomExpiredReason). The code and every token of
   * the room are spent (a reclaim with its host token is `reclaim_refused`), and the host's socket is
   * outside any room: it may `create` a new one, or is closed after IDLE_SOCKET_TIMEOUT_MS.
   */
  roomExpired(event: { reason: RoomExpiredReason }): void;
  /**
   * To the host, every third of the server's token lifetime while it is connected: a fresh host
   * token for its room. Store it in place of the one from `create` (or the previous event) and
   * reclaim with the newest: an old one expires, and then a reclaim with it is `reclaim_refused`.
   */
  hostToken(event: { hostToken: string }): void;
  /**
   * To each client, every third of the server's token lifetime while it is connected: a fresh
   * resume token for its place. Store it in place of the one from `join`/`resume` (or the previous
   * event) and resume with the newest: an old one expires, and then a resume with it is refused.
   */
  resumeToken(event: { resumeToken: string }): void;
  /**
   * To the host and each client, every third of the server's TURN credential lifetime
   * (TURN_TTL_SECONDS) while it is connected, when the server mints TURN credentials: the ICE
   * servers with fresh ones. New connections use the newest (a connection already open keeps its
   * relay: the TURN server checks a credential's expiry when a relay is allocated).
   */
  iceServers(event: { iceServers: IceServer[] }): void;
  /**
   * To every socket, once: the server is shutting down (SIGTERM). Open a new socket and take your
   * place there (a host reclaims its room, a client resumes): behind a load balancer it reaches
   * another process; with one process, the restarted one. The server keeps serving this socket
   * (signals are still relayed) until it closes it at the end of its drain time, so a host keeps
   * it until the new one has its room (players still joining finish through it), and a client
   * still connecting keeps it until it is connected.
   */
  serverDraining(event: Record<string, never>): void;
  /** A reply to an event that carried no reply callback (signal, or a request sent without one). */
  signalingError(error: SignalingError & { event: string }): void;
}
