/**
 * The transport contract. Everything above it (MultiplayerAPI, RPC, lobby) talks only to this,
 * so the whole stack runs over WebRTC in a browser, over node-datachannel in Node, or in memory
 * in unit tests.
 */

export type TransferMode = "reliable" | "unreliable" | "unreliable_ordered";
export const TRANSFER_MODES: readonly TransferMode[] = ["reliable", "unreliable", "unreliable_ordered"];

export type ConnectionStatus = "disconnected" | "connecting" | "connected";

/** Why a client never reached "connected". */
export type ConnectionFailedReason =
  | "no_such_room"
  | "room_full"
  | "room_refusing"
  | "wrong_password"
  | "signaling_unreachable"
  /**
   * The signaling server refused for one of its limits (too many joins or failed joins from this
   * address, too many rooms created, too many sockets): `ConnectionError.retryAfterSeconds` says
   * when to try again, when the server said.
   */
  | "rate_limited"
  | "signaling_error"
  | "ice_failed"
  /** The TURN server refused this peer's credentials (wrong or expired) where the platform says so (browsers). */
  | "turn_auth_failed"
  | "timeout"
  | "host_left"
  | "kicked"
  | "auth_failed"
  /** Host: the signaling server closed its room, which nobody had joined for a long while. */
  | "room_expired";

/** What a transport reports. A client's connection to the host is peer 1 connecting. */
export interface PeerEventHandler {
  peerConnected(id: number): void;
  peerDisconnected(id: number): void;
  /**
   * The connection to a connected peer dropped; the transport is trying to get it back. The peer
   * is still in the game: reliable messages to it wait and arrive once it is back.
   */
  peerReconnecting(id: number): void;
  /** A reconnecting peer is back. Nothing sent reliably either way in between was lost. */
  peerReconnected(id: number): void;
  packet(from: number, data: Uint8Array, transfer: TransferMode, channel: number): void;
  connectionFailed(reason: ConnectionFailedReason, message: string): void;
  /**
   * A direct peer's connection statistics were updated (about once a second): read them with
   * `MultiplayerPeer.getStats(id)`. Never held for a handler attached later.
   */
  statsUpdated?(id: number): void;
}

/** An ICE candidate's type: a local address, one seen through NAT (server or peer reflexive), a TURN relay. */
export type CandidateType = "host" | "srflx" | "prflx" | "relay";

/** The network path a connection uses: the ICE candidate pair WebRTC selected. */
export interface ConnectionPath {
  /** `"relay"` when either end goes through a TURN server; otherwise this side's own candidate type. */
  type: CandidateType;
  local: CandidateType;
  remote: CandidateType;
  /**
   * How this side reaches its TURN server when `local` is `"relay"`: `"udp"`, `"tcp"` or `"tls"`;
   * null otherwise, or where the platform does not say (Node).
   */
  relayProtocol: "udp" | "tcp" | "tls" | null;
}

/** One direction of a connection, measured over the last second (loss: over the last 5 s). */
export interface DirectionStats {
  /** Bytes of data-channel messages (Starwire's own headers and link frames included; no IP, UDP, DTLS or SCTP overhead). */
  bytesPerSecond: number;
  /** Data-channel messages (a reliable message over 16 KiB counts once per piece). */
  messagesPerSecond: number;
  /**
   * Fraction (0–1) of the unreliable messages sent this way that did not arrive, over the last 5 s;
   * null until two heartbeats have measured it.
   */
  unreliableLoss: number | null;
}

/** A direct connection's statistics (`multiplayer.getStats(id)`, the `stats` event). */
export interface ConnectionStats {
  /** The remote peer: a client on the host, 1 on a client. */
  peerId: number;
  /** The connection is down and being replaced; the figures are the last connection's. */
  reconnecting: boolean;
  /**
   * Round trip of Starwire's heartbeats over the data channels (a timestamp echo, twice a second),
   * smoothed, in ms; what an RPC's round trip costs, the network conditioner included. Null until
   * measured.
   */
  rttMs: number | null;
  /** ICE's own round trip on the selected candidate pair, in ms (no conditioner); null where not reported. */
  iceRttMs: number | null;
  /** Variation in how long the other side's heartbeats take to arrive (RFC 3550 interarrival jitter), in ms. */
  jitterMs: number | null;
  /** What this side sent: rates, and how much of its unreliable traffic was lost on the way. */
  sent: DirectionStats & {
    /** Unreliable messages per second dropped before sending: a congested channel keeps only the newest of each kind. */
    droppedPerSecond: number;
  };
  /** What this side received from the other, and how much of the other's unreliable traffic was lost. */
  received: DirectionStats;
  /** The network path in use; null until WebRTC reports it. */
  path: ConnectionPath | null;
  /** How many times this peer's connection was replaced after a drop (each `peerReconnected`). */
  reconnects: number;
}

export interface MultiplayerPeer {
  /** 1 on the host; the id the signaling server assigned on a client; 0 before either. */
  readonly uniqueId: number;
  readonly connectionStatus: ConnectionStatus;
  /** Host only: while true, new clients are turned away with `room_refusing`. */
  refuseNewConnections: boolean;
  /**
   * Sends to one directly connected peer (a client is only connected to 1). Fan-out is the
   * caller's job. `key` names what an unreliable message updates: under load, only the newest
   * message per key needs to go out.
   */
  send(to: number, data: Uint8Array, transfer: TransferMode, channel: number, key?: string | null): void;
  /**
   * Drops the unreliable messages to `to` still waiting for a congested channel (the newest per
   * key that `send` kept) whose key `matches`; what was already handed to the network is not
   * touched. The API calls it when a node's path id is released (WIRE.md, "Path ids"): a waiting
   * call to that node has no target any more. A transport that keeps no such queue does nothing.
   */
  discardWaiting(to: number, matches: (key: string) => boolean): void;
  /** Host only: drops a client; reports `peerDisconnected(id)` like any other disconnect. */
  disconnectPeer(id: number): void;
  /**
   * The statistics of the direct connection to `id` (a client on the host, 1 on a client); null
   * when there is none, or the transport does not measure (the in-memory and offline peers).
   */
  getStats?(id: number): ConnectionStats | null;
  /** Ends every connection without reporting them; the peer cannot be reused. */
  close(): void;
  /**
   * Routes events to `handler`. Events that happened while no handler was attached are kept and
   * replayed first, in order, so a peer can connect before it is given to a MultiplayerAPI.
   */
  attach(handler: PeerEventHandler | null): void;
}

/** Thrown (or rejected) for requests the transport refuses; `reason` is machine-readable. */
export class ConnectionError extends Error {
  constructor(
    readonly reason: ConnectionFailedReason,
    message: string,
    /** The signaling server's own error code, when it was the one that refused. */
    readonly signalingCode?: string,
    /** With `rate_limited`: whole seconds after which the same request would be allowed, when the server said. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "ConnectionError";
  }
}
