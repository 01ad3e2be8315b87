import { HOST_PEER_ID, type IceServer } from "../../signaling/protocol.js";
import { connectSignaling, request, type SignalingSocket } from "../../signaling/signaling-client.js";
import { ConnectionError, type ConnectionFailedReason, type TransferMode } from "../multiplayer-peer.js";
import { type ClientOptions, type CreatedRoom, type ServerOptions, StarPeer } from "../star-peer.js";
import {
  type ConnectionCallbacks,
  PeerConnection,
  type SimplePeerConstructor,
  type WebRTCImplementation,
} from "./peer-connection.js";

export interface WebRTCPeerOptions {
  /** The signaling server, e.g. "https://signal.example.com" or "http://localhost:8787". */
  signalingUrl: string;
  /** A client that is not connected after this long fails with `timeout`; also bounds the host's wait. Default 15 000. */
  connectTimeoutMs?: number;
  /** Replaces the ICE servers the signaling server hands out (which are the right choice for most games). */
  iceServers?: IceServer[];
  /** Further RTCPeerConnection settings, e.g. `iceTransportPolicy: "relay"`. */
  rtcConfiguration?: RTCConfiguration;
  /**
   * Extra channels 1, 2, … with their transfer modes (Godot's `channels_config`). Every peer of
   * a game must declare the same list; an RPC with `channel: n` travels on channel n.
   */
  channels?: TransferMode[];
  /** Largest message accepted from a peer, reassembled (default 1 MiB); larger ones drop the peer. */
  maxMessageBytes?: number;
  /** A WebRTC implementation where the platform has none (Node). */
  wrtc?: WebRTCImplementation;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const RECONNECT_FIRST_DELAY_MS = 250;
const RECONNECT_MAX_DELAY_MS = 5000;
/** Matches MultiplayerAPI's default send limit, plus room for headers. */
const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 1024;

/**
 * The WebRTC star: the host holds one connection per client, a client one to the host, each with
 * a reliable, an unreliable and an unreliable-ordered data channel. The signaling socket stays
 * open to learn at once when a tab closes.
 *
 * The browser and Node entry points subclass this with their build of simple-peer.
 */
export abstract class WebRTCMultiplayerPeerBase extends StarPeer {
  protected abstract readonly simplePeer: SimplePeerConstructor;
  readonly #options: WebRTCPeerOptions;
  readonly #connections = new Map<number, PeerConnection>();
  readonly #connectTimers = new Map<number, ReturnType<typeof setTimeout>>();
  #socket: SignalingSocket | null = null;
  /** Host: what it takes to register the room again after the signaling server went away. */
  #room: { maxPlayers: number; password: string | undefined; hostToken: string } | null = null;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #webrtc: WebRTCImplementation | undefined;
  #iceServers: IceServer[] = [];
  #roomCode: string | null = null;
  #used = false;

  constructor(options: WebRTCPeerOptions) {
    super();
    this.#options = options;
  }

  get roomCode(): string | null {
    return this.#roomCode;
  }

  /** The WebRTC implementation to use; Node loads one here (the browser has its own). */
  protected async loadWebRTC(): Promise<WebRTCImplementation | undefined> {
    return this.#options.wrtc;
  }

  /** RTCPeerConnection settings beyond the ICE servers. */
  protected rtcConfiguration(): RTCConfiguration {
    return { ...this.#options.rtcConfiguration };
  }

  get #connectTimeoutMs(): number {
    return this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  /** Opens a room with this peer as its host (peer 1); resolves once the signaling server created it. */
  async createServer(options: ServerOptions): Promise<CreatedRoom> {
    this.#claim();
    if (!Number.isInteger(options.maxPlayers) || options.maxPlayers < 1) {
      throw new RangeError(`maxPlayers must be a positive integer, got ${options.maxPlayers}`);
    }
    this.#webrtc = await this.loadWebRTC();
    this.#room = { maxPlayers: options.maxPlayers, password: options.password, hostToken: "" };
    const socket = await this.#openSignaling();
    await this.#registerRoom(socket, null).catch((error: unknown) => {
      this.#closeSignaling();
      throw error;
    });
    this.setState("connected", HOST_PEER_ID);
    return { roomCode: this.#roomCode! };
  }

  /** Host: creates (or, after losing the signaling server, reclaims) the room and listens on it. */
  async #registerRoom(socket: SignalingSocket, reclaim: { roomCode: string; hostToken: string } | null) {
    const room = this.#room!;
    const request_ = {
      maxPlayers: room.maxPlayers,
      ...(room.password && { password: room.password }),
      ...(reclaim && { reclaim: { ...reclaim, peers: [...this.#connections.keys()] } }),
    };
    const reply = await request(socket, "create", request_, this.#connectTimeoutMs);
    this.#iceServers = reply.iceServers;
    this.#roomCode = reply.roomCode;
    room.hostToken = reply.hostToken ?? "";
    if (this.refuseNewConnections) socket.emit("setRefusing", { refusing: true });
    socket.on("peerJoined", ({ peerId }) => this.#acceptClient(peerId));
    socket.on("peerLeft", ({ peerId }) => this.#dropClient(peerId, false));
    socket.on("signal", ({ from, data }) => this.#connections.get(from)?.signal(data));
    socket.on("disconnect", (reason) => {
      // Our own disconnect() says "io client disconnect"; anything else is the server going away.
      if (reason !== "io client disconnect") this.#reconnectSignaling(RECONNECT_FIRST_DELAY_MS);
    });
  }

  /**
   * The games go on over their data channels; meanwhile the host keeps trying to get its room
   * back (same code, with its token) so that new players can join again once the server is back.
   */
  #reconnectSignaling(delayMs: number): void {
    this.#socket = null;
    if (this.connectionStatus !== "connected" || !this.#room) return;
    this.#reconnectTimer = setTimeout(async () => {
      this.#reconnectTimer = null;
      const previous = { roomCode: this.#roomCode!, hostToken: this.#room!.hostToken };
      try {
        const socket = await this.#openSignaling();
        if (this.connectionStatus !== "connected") return this.#closeSignaling();
        try {
          await this.#registerRoom(socket, previous);
        } catch (error) {
          // The code could not be reclaimed (another server, or no shared ROOM_SECRET): open a new room.
          // Any refusal (another server, no shared ROOM_SECRET, an older server): a fresh room instead.
          if (!(error instanceof ConnectionError) || error.signalingCode === undefined) throw error;
          socket.removeAllListeners();
          await this.#registerRoom(socket, null);
        }
      } catch {
        this.#closeSignaling();
        this.#reconnectSignaling(Math.min(delayMs * 2, RECONNECT_MAX_DELAY_MS));
      }
    }, delayMs);
  }

  /**
   * Joins a room; resolves once the signaling server accepted (the peer is then "connecting" with
   * its id) and rejects with a ConnectionError when it refused. The connection itself completes
   * through `peerConnected(1)`, or `connectionFailed`, reported to the MultiplayerAPI.
   */
  async createClient(roomCode: string, options: ClientOptions = {}): Promise<void> {
    this.#claim();
    this.#webrtc = await this.loadWebRTC();
    this.setState("connecting");
    let joined: { roomCode: string; peerId: number; iceServers: IceServer[] };
    try {
      const socket = await this.#openSignaling();
      const password = options.password ? { password: options.password } : {};
      joined = await request(socket, "join", { roomCode, ...password }, this.#connectTimeoutMs);
    } catch (error) {
      const failure =
        error instanceof ConnectionError ? error : new ConnectionError("signaling_error", String(error));
      this.#fail(failure.reason, failure.message);
      throw failure;
    }
    const socket = this.#socket!;
    this.#iceServers = joined.iceServers;
    this.#roomCode = joined.roomCode;
    this.setState("connecting", joined.peerId);
    socket.on("signal", ({ from, data }) => {
      if (from === HOST_PEER_ID) this.#connections.get(HOST_PEER_ID)?.signal(data);
    });
    socket.on("roomClosed", ({ reason }) => this.#lostHost(reason, `signaling server: ${reason}`));
    socket.on("disconnect", () => {
      if (this.connectionStatus === "connecting") {
        this.#fail("signaling_unreachable", "lost the signaling server while connecting");
      }
    });
    this.#connect(HOST_PEER_ID, true, {
      signal: (data) => socket.emit("signal", { data }),
      open: () => {
        this.setState("connected");
        this.reportPeerConnected(HOST_PEER_ID);
      },
      packet: (data, transfer, channel) => this.reportPacket(HOST_PEER_ID, data, transfer, channel),
      end: (end) => {
        const ice = end.kind === "failed" && end.ice;
        this.#lostHost(
          ice ? "ice_failed" : "signaling_error",
          end.kind === "failed" ? end.message : "connection closed",
        );
      },
    });
  }

  /** What this peer holds, for leak checks: connections, pending connect timers, the signaling socket. */
  debugStats() {
    let unreliableDropped = 0;
    let reliableQueuedBytes = 0;
    let bufferedBytes = 0;
    for (const connection of this.#connections.values()) {
      const stats = connection.sendStats;
      unreliableDropped += stats.unreliableDropped;
      reliableQueuedBytes += stats.reliableQueuedBytes;
      bufferedBytes += stats.bufferedBytes;
    }
    return {
      connections: this.#connections.size,
      connectTimers: this.#connectTimers.size + (this.#reconnectTimer ? 1 : 0),
      signalingOpen: this.#socket?.connected ?? false,
      unreliableDropped,
      reliableQueuedBytes,
      /** What the data channels themselves hold, not yet handed to the network. */
      bufferedBytes,
    };
  }

  send(
    to: number,
    data: Uint8Array,
    transfer: TransferMode,
    channel: number,
    key: string | null = null,
  ): void {
    const extra = this.#options.channels?.length ?? 0;
    if (!Number.isInteger(channel) || channel < 0 || channel > extra) {
      throw new RangeError(`channel ${channel} is not declared (WebRTCPeerOptions.channels has ${extra})`);
    }
    this.#connections.get(to)?.send(data, transfer, channel, key);
  }

  disconnectPeer(id: number): void {
    if (this.uniqueId !== HOST_PEER_ID || !this.#connections.has(id)) return;
    const wasOpen = this.#removeConnection(id);
    this.#socket?.emit("kick", { peerId: id });
    if (wasOpen) this.reportPeerDisconnected(id);
  }

  close(): void {
    for (const id of [...this.#connections.keys()]) this.#removeConnection(id);
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    this.#closeSignaling();
    this.dropPendingEvents();
    this.setState("disconnected");
  }

  protected refuseNewConnectionsChanged(refuse: boolean): void {
    if (this.uniqueId === HOST_PEER_ID) this.#socket?.emit("setRefusing", { refusing: refuse });
  }

  #claim(): void {
    if (this.#used) throw new Error("this peer was already used; create a new WebRTCMultiplayerPeer");
    this.#used = true;
  }

  async #openSignaling(): Promise<SignalingSocket> {
    this.#socket = await connectSignaling(this.#options.signalingUrl, this.#connectTimeoutMs);
    return this.#socket;
  }

  #closeSignaling(): void {
    this.#socket?.removeAllListeners();
    this.#socket?.disconnect();
    this.#socket = null;
  }

  #acceptClient(peerId: number): void {
    if (this.#connections.has(peerId)) return;
    if (this.refuseNewConnections) {
      this.#socket?.emit("kick", { peerId });
      return;
    }
    this.#connect(peerId, false, {
      signal: (data) => this.#socket?.emit("signal", { to: peerId, data }),
      open: () => this.reportPeerConnected(peerId),
      packet: (data, transfer, channel) => this.reportPacket(peerId, data, transfer, channel),
      end: () => this.#dropClient(peerId),
    });
  }

  /**
   * A client is gone (left, dropped or failed): forget it, and have the signaling server free its
   * place, unless the server is the one that reported it gone.
   */
  #dropClient(peerId: number, freePlace = true): void {
    if (!this.#connections.has(peerId)) return;
    const wasOpen = this.#removeConnection(peerId);
    if (wasOpen) this.reportPeerDisconnected(peerId);
    // The server still counts this client (or, after a reclaim, its reserved id): free the place.
    if (freePlace) this.#socket?.emit("kick", { peerId });
  }

  #connect(remoteId: number, initiator: boolean, callbacks: ConnectionCallbacks): void {
    const config: RTCConfiguration = {
      ...this.rtcConfiguration(),
      iceServers: this.#options.iceServers ?? this.#iceServers,
    };
    const connection = new PeerConnection(
      this.simplePeer,
      { initiator, config, trickle: true, ...(this.#webrtc ? { wrtc: this.#webrtc } : {}) },
      this.#options.channels ?? [],
      this.#options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      {
        ...callbacks,
        open: () => {
          this.#clearConnectTimer(remoteId);
          callbacks.open();
        },
      },
    );
    this.#connections.set(remoteId, connection);
    this.#connectTimers.set(
      remoteId,
      setTimeout(() => {
        this.#connectTimers.delete(remoteId);
        if (initiator) this.#fail("timeout", `not connected after ${this.#connectTimeoutMs} ms`);
        else this.#dropClient(remoteId);
      }, this.#connectTimeoutMs),
    );
  }

  /** Returns whether the connection had opened (so its end is a disconnect, not a failure). */
  #removeConnection(remoteId: number): boolean {
    const connection = this.#connections.get(remoteId);
    this.#connections.delete(remoteId);
    this.#clearConnectTimer(remoteId);
    connection?.destroy();
    return connection?.opened ?? false;
  }

  #clearConnectTimer(remoteId: number): void {
    clearTimeout(this.#connectTimers.get(remoteId));
    this.#connectTimers.delete(remoteId);
  }

  /** Client: the host is unreachable. Before connecting that is a failure, after it a disconnect. */
  #lostHost(reason: ConnectionFailedReason, message: string): void {
    if (this.connectionStatus === "connecting") return this.#fail(reason, message);
    if (this.connectionStatus !== "connected") return;
    this.#removeConnection(HOST_PEER_ID);
    this.#closeSignaling();
    this.setState("disconnected");
    this.reportPeerDisconnected(HOST_PEER_ID);
  }

  #fail(reason: ConnectionFailedReason, message: string): void {
    if (this.connectionStatus === "disconnected") return;
    this.#removeConnection(HOST_PEER_ID);
    this.#closeSignaling();
    this.setState("disconnected");
    this.reportConnectionFailed(reason, message);
  }
}
