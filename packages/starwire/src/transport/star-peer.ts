import type {
  ConnectionFailedReason,
  ConnectionStatus,
  MultiplayerPeer,
  PeerEventHandler,
  TransferMode,
} from "./multiplayer-peer.js";

export interface ServerOptions {
  /** How many clients may join; the host is not counted (Godot's `max_clients`). */
  maxPlayers: number;
  /** Joins must give this password; the signaling server checks it before any connection is made. */
  password?: string;
}

export interface ClientOptions {
  password?: string;
}

export interface CreatedRoom {
  /** The code clients pass to `createClient`, e.g. "K7QXM2". */
  roomCode: string;
}

/** The events that wait in the backlog (statistics never do). */
type PeerEvent = {
  [K in Exclude<keyof PeerEventHandler, "statsUpdated">]: [K, ...Parameters<PeerEventHandler[K]>];
}[Exclude<keyof PeerEventHandler, "statsUpdated">];

/**
 * What every star transport shares: id and status bookkeeping, and holding events until a
 * handler is attached (README, "Connections": nothing between `createClient` and `multiplayer.peer = …`
 * may be lost).
 */
export abstract class StarPeer implements MultiplayerPeer {
  #uniqueId = 0;
  #status: ConnectionStatus = "disconnected";
  #refuseNewConnections = false;
  #handler: PeerEventHandler | null = null;
  readonly #pending: PeerEvent[] = [];

  get uniqueId(): number {
    return this.#uniqueId;
  }

  get connectionStatus(): ConnectionStatus {
    return this.#status;
  }

  get refuseNewConnections(): boolean {
    return this.#refuseNewConnections;
  }

  set refuseNewConnections(refuse: boolean) {
    if (refuse === this.#refuseNewConnections) return;
    this.#refuseNewConnections = refuse;
    this.refuseNewConnectionsChanged(refuse);
  }

  attach(handler: PeerEventHandler | null): void {
    this.#handler = handler;
    while (this.#handler === handler && handler && this.#pending.length > 0) {
      dispatch(handler, this.#pending.shift()!);
    }
  }

  abstract send(
    to: number,
    data: Uint8Array,
    transfer: TransferMode,
    channel: number,
    key?: string | null,
  ): void;
  abstract discardWaiting(to: number, matches: (key: string) => boolean): void;
  abstract disconnectPeer(id: number): void;
  abstract close(): void;

  protected abstract refuseNewConnectionsChanged(refuse: boolean): void;

  protected setState(status: ConnectionStatus, uniqueId = this.#uniqueId): void {
    this.#status = status;
    this.#uniqueId = uniqueId;
  }

  /** A peer that was closed forgets its handler's backlog: nothing more is reported. */
  protected dropPendingEvents(): void {
    this.#pending.length = 0;
  }

  protected reportPeerConnected(id: number): void {
    this.#report(["peerConnected", id]);
  }

  protected reportPeerDisconnected(id: number): void {
    this.#report(["peerDisconnected", id]);
  }

  protected reportPeerReconnecting(id: number): void {
    this.#report(["peerReconnecting", id]);
  }

  protected reportPeerReconnected(id: number): void {
    this.#report(["peerReconnected", id]);
  }

  protected reportPacket(from: number, data: Uint8Array, transfer: TransferMode, channel: number): void {
    // The hot path: no event tuple when it can go straight to the handler.
    if (this.#handler && this.#pending.length === 0) this.#handler.packet(from, data, transfer, channel);
    else this.#report(["packet", from, data, transfer, channel]);
  }

  /** Statistics are news only while someone listens: never held in the backlog. */
  protected reportStatsUpdated(id: number): void {
    if (this.#handler && this.#pending.length === 0) this.#handler.statsUpdated?.(id);
  }

  protected reportConnectionFailed(reason: ConnectionFailedReason, message: string): void {
    this.#report(["connectionFailed", reason, message]);
  }

  #report(event: PeerEvent): void {
    if (this.#handler && this.#pending.length === 0) dispatch(this.#handler, event);
    else this.#pending.push(event);
  }
}

function dispatch(handler: PeerEventHandler, event: PeerEvent): void {
  switch (event[0]) {
    case "peerConnected":
      return handler.peerConnected(event[1]);
    case "peerDisconnected":
      return handler.peerDisconnected(event[1]);
    case "peerReconnecting":
      return handler.peerReconnecting(event[1]);
    case "peerReconnected":
      return handler.peerReconnected(event[1]);
    case "packet":
      return handler.packet(event[1], event[2], event[3], event[4]);
    case "connectionFailed":
      return handler.connectionFailed(event[1], event[2]);
  }
}
