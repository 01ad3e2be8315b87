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
  | "signaling_error"
  | "ice_failed"
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
  /** Host only: drops a client; reports `peerDisconnected(id)` like any other disconnect. */
  disconnectPeer(id: number): void;
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
  ) {
    super(message);
    this.name = "ConnectionError";
  }
}
