import { EventPacer } from "../../signaling/event-pacer.js";
import {
  type ClientToServerEvents,
  HOST_PEER_ID,
  type IceServer,
  type SignalData,
} from "../../signaling/protocol.js";
import {
  abandonSignaling,
  connectSignaling,
  connectSignalingSoon,
  probeSignaling,
  request,
  type SignalingSocket,
} from "../../signaling/signaling-client.js";
import { getOrCreate } from "../../util/memo.js";
import { TokenBucket } from "../../util/token-bucket.js";
import {
  ConnectionError,
  type ConnectionFailedReason,
  type ConnectionStats,
  type TransferMode,
} from "../multiplayer-peer.js";
import { type ClientOptions, type CreatedRoom, type ServerOptions, StarPeer } from "../star-peer.js";
import { type NetworkConditions, normalizeConditions } from "./conditioner.js";
import { expiredCredentials, type GatheringFailure, IceWatch } from "./ice-watch.js";
import {
  type ConnectionCallbacks,
  PeerConnection,
  type SimplePeerConstructor,
  type WebRTCImplementation,
} from "./peer-connection.js";
import { isFinal, type LostCause, Session, type SessionOwner } from "./session.js";

export interface WebRTCPeerOptions {
  /** The signaling server, e.g. "https://signal.example.com" or "http://localhost:8787". */
  signalingUrl: string;
  /** A client that is not connected after this long fails with `timeout`; also bounds the host's wait. Default 15 000. */
  connectTimeoutMs?: number;
  /**
   * Host: how long a player whose connection dropped (a phone changing networks, a tunnel) stays
   * in the game as *reconnecting* before it is gone; its id, place and everything the game knows of
   * it are kept meanwhile. Default 60 000; 0 drops it at once. Clients follow their host's value.
   */
  reconnectGraceMs?: number;
  /** Replaces the ICE servers the signaling server hands out (which are the right choice for most games). */
  iceServers?: IceServer[];
  /** Further RTCPeerConnection settings, e.g. `iceTransportPolicy: "relay"`. */
  rtcConfiguration?: RTCConfiguration;
  /**
   * `"relay"`: connect only through TURN servers, never directly (default `"all"`). A privacy
   * option: the other side (a client's host, the host's clients) only ever sees the TURN server's
   * address, never this peer's IP. Needs TURN servers (the signaling server's TURN_URLS). A
   * connection that gets no relay candidate fails at once: `turn_auth_failed` when the TURN server
   * refused the credentials and the platform says so (browsers), `ice_failed` otherwise (Node).
   */
  iceTransportPolicy?: RTCIceTransportPolicy;
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
const DEFAULT_RECONNECT_GRACE_MS = 60_000;
/** One connection attempt that has not opened by then is abandoned for a new one. */
const ATTEMPT_TIMEOUT_MS = 5000;
/** A join negotiates at most this many connections before it fails. */
const MAX_JOIN_ATTEMPTS = 3;
/** Host: a client may start this many connections at once, then one every 2 s (a join takes 3 at most). */
const NEW_CONNECTION_BURST = 5;
const NEW_CONNECTIONS_PER_SECOND = 0.5;
/** How long a signaling socket may take to answer a probe before it is replaced. */
const PROBE_TIMEOUT_MS = 1000;
/** A replacement socket: a fresh connect attempt this often while earlier ones are pending… */
const SIGNALING_CONNECT_STAGGER_MS = 400;
/** …for this long in all (signaling-client.ts, connectSignalingSoon). */
const SIGNALING_CONNECT_TIMEOUT_MS = 3000;
/** A request on a replacement socket (resume, reclaim, kick). */
const SIGNALING_REQUEST_TIMEOUT_MS = 2000;
const RETRY_FIRST_DELAY_MS = 250;
/** While a player is reconnecting, retries stay close together: the link may be back any moment. */
const RECONNECT_MAX_DELAY_MS = 500;
/** A reconnect attempt that has not opened by then is replaced; each further one waits twice as long. */
const RECONNECT_ATTEMPT_FIRST_TIMEOUT_MS = 2000;
/** Early signals (candidates ahead of their offer) kept per client. */
const MAX_STASHED_SIGNALS = 64;
/** A healthy game without signaling retries less eagerly. */
const SIGNALING_MAX_DELAY_MS = 5000;
const TICK_MS = 200;
/** A tick this much later than due means this side stalled. */
const STALL_MS = 500;
/** Reliable messages kept for resending, per peer; past it the player cannot be caught up and is dropped. */
const RESEND_LIMIT_BYTES = 64 * 1024 * 1024;
/** Matches MultiplayerAPI's default send limit, plus room for headers. */
const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 1024;

/** How a connection attempt ended: it opened, it made no progress in time, the host asked for a new one, it died, or it gathered nothing to connect with. */
type AttemptOutcome =
  | "opened"
  | "timeout"
  | "redo"
  | LostCause
  | { kind: "gathering"; failure: GatheringFailure };

/** Every peer not closed yet, so a page that goes away can say goodbye for all of them. */
const livePeers = new Set<WebRTCMultiplayerPeerBase>();

/** Closes every WebRTC peer of this page or process, as `close()` does (the browser entry calls it on pagehide). */
export function closeAllPeers(): void {
  for (const peer of [...livePeers]) peer.close();
}

/** The network changed (the browser entry calls it on `online` and on a connection change). */
export function networkChanged(): void {
  for (const peer of livePeers) peer.networkChanged();
}

/**
 * The WebRTC star: the host holds one session per client, a client one with the host. A session
 * outlives its connections: when one dies it is replaced under the same id (see session.ts), and
 * each connection carries a reliable, an unreliable and an unreliable-ordered data channel. The
 * signaling socket stays open to broker replacements and to learn at once when a player leaves.
 *
 * The browser and Node entry points subclass this with their build of simple-peer.
 */
export abstract class WebRTCMultiplayerPeerBase extends StarPeer {
  protected abstract readonly simplePeer: SimplePeerConstructor;
  readonly #options: WebRTCPeerOptions;
  readonly #sessions = new Map<number, Session>();
  /** Per remote: the deadline to open (host), or the end of its reconnect grace. */
  readonly #deadlines = new Map<number, ReturnType<typeof setTimeout>>();
  /** Timers of retries and of the client's current attempt. */
  readonly #retryTimers = new Set<ReturnType<typeof setTimeout>>();
  #ticker: ReturnType<typeof setInterval> | null = null;
  #socket: SignalingSocket | null = null;
  /** Host: what it takes to register the room again after losing the signaling server. */
  #room: { maxPlayers: number; password: string | undefined; hostToken: string } | null = null;
  /** Client: what it takes to take its place back from a new socket. */
  #seat: { roomCode: string; peerId: number; resumeToken: string } | null = null;
  #graceMs = 0;
  #webrtc: WebRTCImplementation | undefined;
  #iceServers: IceServer[] = [];
  /** A TURN server that refused this peer's credentials (the URL), when the platform said so. */
  #turnRefusal: string | null = null;
  #roomCode: string | null = null;
  #used = false;
  #closed = false;
  /** Client: settles the connection attempt in progress. */
  #settleAttempt: ((outcome: AttemptOutcome) => void) | null = null;
  /** A signaling repair (probe, replace, resume or reclaim) is running. */
  #repairingSignaling = false;
  #recovering = false;
  /** Client: the socket whose server said it is draining while this client was still connecting. */
  #drainingSocket: SignalingSocket | null = null;
  /** Client: connection attempts that died or stalled before opening (each was retried or reported). */
  #failedAttempts = 0;
  /** Host: signals of a client's next connection that came ahead of its offer. */
  readonly #stashedSignals = new Map<number, { number: number; signals: SignalData[] }>();
  /** Aborts the replacement socket attempts under way (networkChanged). */
  #replacementAttempts = new AbortController();
  #networkChangedAt = 0;
  /** Host: clients it dropped while the server could not hear it; it frees their places once it can. */
  readonly #pendingKicks = new Set<number>();
  /** Keeps this peer's signaling events within the server's per-socket budget. */
  readonly #pacer = new EventPacer();
  /**
   * Host: how often each client may start a new connection. Each one costs the host a
   * connection and an answer from its signaling budget, so a client cannot spend it all.
   */
  readonly #newConnectionBudgets = new Map<number, TokenBucket>();
  #conditions: NetworkConditions | null = null;
  /** Conditions for one remote, overriding `#conditions`. */
  readonly #peerConditions = new Map<number, NetworkConditions | null>();

  constructor(options: WebRTCPeerOptions) {
    super();
    this.#options = options;
  }

  get roomCode(): string | null {
    return this.#roomCode;
  }

  /** The reconnect grace in force: the host's own setting, or on a client the one its host's room has. */
  get reconnectGraceMs(): number {
    return this.#graceMs;
  }

  /** The WebRTC implementation to use; Node loads one here (the browser has its own). */
  protected async loadWebRTC(): Promise<WebRTCImplementation | undefined> {
    return this.#options.wrtc;
  }

  /** RTCPeerConnection settings beyond the ICE servers. */
  protected rtcConfiguration(): RTCConfiguration {
    const policy = this.#options.iceTransportPolicy;
    return { ...this.#options.rtcConfiguration, ...(policy && { iceTransportPolicy: policy }) };
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
    const grace = this.#options.reconnectGraceMs ?? DEFAULT_RECONNECT_GRACE_MS;
    if (!Number.isInteger(grace) || grace < 0) {
      throw new RangeError(`reconnectGraceMs must be a non-negative integer, got ${grace}`);
    }
    this.#graceMs = grace;
    this.#webrtc = await this.loadWebRTC();
    this.#room = { maxPlayers: options.maxPlayers, password: options.password, hostToken: "" };
    const socket = await this.#openSignaling(this.#connectTimeoutMs);
    await this.#registerRoom(socket, null, this.#connectTimeoutMs).catch((error: unknown) => {
      this.#closeSignaling();
      throw error;
    });
    this.setState("connected", HOST_PEER_ID);
    livePeers.add(this);
    return { roomCode: this.#roomCode! };
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
    livePeers.add(this);
    let joined: Awaited<ReturnType<typeof request<"join">>>;
    try {
      const socket = await this.#openSignaling(this.#connectTimeoutMs);
      const password = options.password ? { password: options.password } : {};
      joined = await request(socket, "join", { roomCode, ...password }, this.#connectTimeoutMs);
    } catch (error) {
      const failure =
        error instanceof ConnectionError ? error : new ConnectionError("signaling_error", String(error));
      this.#fail(failure.reason, failure.message);
      throw failure;
    }
    this.#iceServers = joined.iceServers;
    this.#roomCode = joined.roomCode;
    this.#graceMs = joined.reconnectGraceMs ?? 0;
    this.#seat = { roomCode: joined.roomCode, peerId: joined.peerId, resumeToken: joined.resumeToken ?? "" };
    this.setState("connecting", joined.peerId);
    this.#listenAsClient(this.#socket!);
    void this.#join(this.#addSession(HOST_PEER_ID, this.#clientSessionOwner));
  }

  /**
   * Tells the peer its network changed: every connection must show it is alive within a moment,
   * or it is replaced at once instead of after 1.5 s of silence. Browsers call it by themselves.
   */
  networkChanged(): void {
    const now = Date.now();
    for (const session of this.#sessions.values()) session.suspect(now);
    // Socket attempts begun on the old network wait out TCP's retries: start afresh, at once.
    this.#networkChangedAt = now;
    this.#replacementAttempts.abort();
    this.#replacementAttempts = new AbortController();
  }

  /**
   * The network conditioner (README, "Network conditions"): latency, jitter, loss, duplication and
   * a bandwidth cap applied to everything this peer sends, to every peer; null (the default) is off
   * and costs nothing. Takes effect at once, on open connections too.
   */
  get conditions(): NetworkConditions | null {
    return this.#conditions;
  }

  set conditions(conditions: NetworkConditions | null) {
    this.#conditions = normalizeConditions(conditions);
    for (const [id, session] of this.#sessions) session.conditions = this.#conditionsFor(id);
  }

  /** Conditions for what this peer sends to `peerId` alone, over `conditions`; null follows `conditions` again. */
  setConditions(peerId: number, conditions: NetworkConditions | null): void {
    if (conditions === null) this.#peerConditions.delete(peerId);
    else this.#peerConditions.set(peerId, normalizeConditions(conditions));
    const session = this.#sessions.get(peerId);
    if (session) session.conditions = this.#conditionsFor(peerId);
  }

  #conditionsFor(peerId: number): NetworkConditions | null {
    return this.#peerConditions.has(peerId) ? this.#peerConditions.get(peerId)! : this.#conditions;
  }

  /** The direct connection's statistics: a client's on the host, the host's (1) on a client. */
  getStats(peerId: number): ConnectionStats | null {
    return this.#sessions.get(peerId)?.stats() ?? null;
  }

  /** What this peer holds, for leak checks: sessions, pending timers, the signaling socket. */
  debugStats() {
    let unreliableDropped = 0;
    let unreliableWaitingBytes = 0;
    let reliableQueuedBytes = 0;
    let bufferedBytes = 0;
    let unacknowledgedBytes = 0;
    let reconnecting = 0;
    for (const session of this.#sessions.values()) {
      unacknowledgedBytes += session.unacknowledgedBytes;
      if (session.state === "reconnecting") reconnecting++;
      const stats = session.connection?.sendStats;
      if (!stats) continue;
      unreliableDropped += stats.unreliableDropped;
      unreliableWaitingBytes += stats.unreliableWaitingBytes;
      reliableQueuedBytes += stats.reliableQueuedBytes;
      bufferedBytes += stats.bufferedBytes;
    }
    return {
      connections: this.#sessions.size,
      reconnecting,
      failedAttempts: this.#failedAttempts,
      connectTimers: this.#deadlines.size + this.#retryTimers.size + (this.#ticker ? 1 : 0),
      signalingOpen: this.#socket?.connected ?? false,
      /** Signaling events waiting for the server's budget, and the server's rate refusals. */
      signalingWaiting: this.#pacer.stats.waiting,
      signalingRefusals: this.#pacer.stats.refusals,
      unreliableDropped,
      /** Unreliable messages waiting for a congested channel (only the newest of each kind). */
      unreliableWaitingBytes,
      reliableQueuedBytes,
      /** Reliable messages kept until the other side confirms them (resent after a reconnect). */
      unacknowledgedBytes,
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
    this.#sessions.get(to)?.send(data, transfer, channel, key);
  }

  discardWaiting(to: number, matches: (key: string) => boolean): void {
    this.#sessions.get(to)?.discardWaiting(matches);
  }

  disconnectPeer(id: number): void {
    const session = this.#sessions.get(id);
    if (this.uniqueId !== HOST_PEER_ID || !session) return;
    const wasIn = session.state !== "connecting";
    this.#removeSession(id, true);
    this.#kick(id);
    if (wasIn) this.reportPeerDisconnected(id);
  }

  close(): void {
    this.#closed = true;
    livePeers.delete(this);
    for (const id of [...this.#sessions.keys()]) this.#removeSession(id, true);
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
    this.#settleAttempt = null;
    this.#pendingKicks.clear();
    this.#pacer.close();
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

  // ─── host ──────────────────────────────────────────────────────────────────────────────────

  /** Creates the room, or takes it back after losing the signaling socket, and listens on it. */
  async #registerRoom(
    socket: SignalingSocket,
    reclaim: { roomCode: string; hostToken: string } | null,
    timeoutMs: number,
  ): Promise<void> {
    const room = this.#room!;
    const request_ = {
      maxPlayers: room.maxPlayers,
      reconnectGraceMs: this.#graceMs,
      ...(room.password && { password: room.password }),
      ...(reclaim && { reclaim: { ...reclaim, peers: [...this.#sessions.keys()] } }),
    };
    // Listening first: a takeover announces the players the host missed right after its reply.
    socket.on("peerJoined", ({ peerId }) => this.#acceptClient(peerId));
    socket.on("peerLeft", ({ peerId }) => this.#dropClient(peerId, false));
    socket.on("signal", ({ from, data, connection }) => this.#hostSignal(from, data, connection ?? 0));
    // Tokens expire; the server sends fresh ones while we are connected, and a reclaim needs the newest.
    socket.on("hostToken", ({ hostToken }) => {
      if (typeof hostToken === "string") room.hostToken = hostToken;
    });
    // So do TURN credentials: new connections use the newest.
    socket.on("iceServers", ({ iceServers }) => {
      if (Array.isArray(iceServers)) this.#iceServers = iceServers;
    });
    socket.on("roomExpired", () => {
      if (socket === this.#socket) this.#roomExpired();
    });
    // The server is shutting down: take the room to another process (or to the restarted one).
    socket.on("serverDraining", () => {
      if (socket === this.#socket) void this.#repairHostSignaling("moving");
    });
    this.#listenForRefusals(socket);
    socket.on("disconnect", (reason) => {
      // Our own disconnect() says "io client disconnect"; anything else is the server going away.
      if (reason !== "io client disconnect" && socket === this.#socket) this.#repairHostSignaling(true);
    });
    try {
      const reply = await request(socket, "create", request_, timeoutMs);
      // The server may cap the grace; its value is the one the room's places are kept for.
      if (reply.reconnectGraceMs !== undefined) this.#graceMs = reply.reconnectGraceMs;
      this.#iceServers = reply.iceServers;
      this.#roomCode = reply.roomCode;
      room.hostToken = reply.hostToken ?? "";
    } catch (error) {
      socket.removeAllListeners();
      throw error;
    }
    if (this.refuseNewConnections) socket.emit("setRefusing", { refusing: true });
    for (const peerId of this.#pendingKicks) this.#kick(peerId);
    this.#askForOffers();
  }

  /**
   * The server closed the room: nobody was in it for the server's empty-room timeout. Its code is
   * spent, and a host nobody joins stops holding one (making a new room would defeat the point).
   */
  #roomExpired(): void {
    this.close();
    this.reportConnectionFailed(
      "room_expired",
      "the signaling server closed this room: nobody was in it for the server's empty-room timeout",
    );
  }

  /**
   * The games go on over their data channels; meanwhile the host gets a socket that answers back,
   * with its room (same code, by its token) so that players can join and come back through it.
   * `lost`: the socket is known dead; otherwise it is probed first. `"moving"`: its server is
   * shutting down (`serverDraining`): it keeps serving, so that players still joining finish
   * through it, until a new socket has the room (or the server closes it).
   */
  async #repairHostSignaling(lost: boolean | "moving"): Promise<void> {
    if (this.#repairingSignaling || this.connectionStatus !== "connected" || !this.#room) return;
    this.#repairingSignaling = true;
    try {
      const current = this.#socket;
      if (lost === false && current?.connected && (await probeSignaling(current, PROBE_TIMEOUT_MS))) return;
      if (this.#closed) return;
      const keep = lost === "moving" ? current : null;
      if (keep === null) {
        abandonSignaling(current);
        this.#socket = null;
      }
      let delay = RETRY_FIRST_DELAY_MS;
      while (!this.#closed) {
        const started = Date.now();
        if (await this.#reclaimRoom(keep)) return;
        // A refusal comes at once (the server is down): back off. A timeout has waited already.
        if (Date.now() - started >= SIGNALING_CONNECT_TIMEOUT_MS || this.#networkChangedAt >= started)
          continue;
        await this.#sleep(delay);
        delay = Math.min(
          delay * 2,
          this.#reconnectingCount() > 0 ? RECONNECT_MAX_DELAY_MS : SIGNALING_MAX_DELAY_MS,
        );
      }
    } finally {
      this.#repairingSignaling = false;
    }
  }

  /** `keep`: the draining server's socket, serving until this one has the room, then let go. */
  async #reclaimRoom(keep: SignalingSocket | null): Promise<boolean> {
    const previous = { roomCode: this.#roomCode!, hostToken: this.#room!.hostToken };
    let socket: SignalingSocket | null = null;
    try {
      socket = await this.#connectReplacementSocket();
      if (this.#closed) {
        abandonSignaling(socket);
        return true;
      }
      this.#socket = socket;
      try {
        await this.#registerRoom(socket, previous, SIGNALING_REQUEST_TIMEOUT_MS);
      } catch (error) {
        // Any refusal (another server, no shared ROOM_SECRET, an older server): a fresh room instead.
        // A server that cannot serve right now (draining, or cut off from Redis) refused nothing:
        // the reclaim is tried again later, so the room keeps its code.
        if (!(error instanceof ConnectionError) || error.signalingCode === undefined) throw error;
        if (error.reason === "signaling_unreachable") throw error;
        await this.#registerRoom(socket, null, SIGNALING_REQUEST_TIMEOUT_MS);
      }
      abandonSignaling(keep);
      return true;
    } catch {
      if (socket && this.#socket === socket) this.#socket = keep?.connected ? keep : null;
      abandonSignaling(socket);
      return false;
    }
  }

  #acceptClient(peerId: number): void {
    if (this.#sessions.has(peerId) || this.#closed) return;
    if (this.refuseNewConnections || this.#pendingKicks.has(peerId)) return this.#kick(peerId);
    this.#addSession(peerId, this.#hostSessionOwner);
    this.#setDeadline(peerId, this.#connectTimeoutMs, () => this.#dropClient(peerId));
  }

  /**
   * A client's signal. A higher connection number is a new attempt: its offer replaces the old
   * connection. Candidates may overtake their offer; they wait for it.
   */
  #hostSignal(from: number, data: SignalData, number: number): void {
    const session = this.#sessions.get(from);
    if (!session || !Number.isInteger(number) || number < session.connectionNumber) return;
    if (data.type === "renegotiate") return;
    if (number === session.connectionNumber) return session.connection?.signal(data);
    if (data.type === "offer" && !this.#mayConnectAgain(from)) return;
    if (data.type !== "offer") {
      const stash = this.#stashedSignals.get(from);
      if (stash?.number === number) {
        if (stash.signals.length < MAX_STASHED_SIGNALS) stash.signals.push(data);
      } else if (!stash || stash.number < number) {
        this.#stashedSignals.set(from, { number, signals: [data] });
      }
      return;
    }
    const stash = this.#stashedSignals.get(from);
    this.#stashedSignals.delete(from);
    const connection = session.connect(number, (callbacks) =>
      this.#newConnection(
        false,
        callbacks,
        (signal) => this.#emitPaced("signal", { to: from, data: signal, connection: number }),
        // The client's attempt times out; only the host can tell why.
        (failure) => console.warn(`starwire: client ${from} cannot connect to this host: ${failure.message}`),
      ),
    );
    connection.signal(data);
    if (stash?.number === number) for (const early of stash.signals) connection.signal(early);
  }

  /** Asks every reconnecting client for a new offer: the last ones may have gone to a dead socket. */
  #askForOffers(): void {
    for (const session of this.#sessions.values()) {
      if (session.state === "reconnecting") {
        this.#emitPaced("signal", {
          to: session.remoteId,
          data: { type: "renegotiate" },
          connection: session.connectionNumber + 1,
        });
      }
    }
  }

  readonly #hostSessionOwner: SessionOwner = {
    opened: (session, resumed) => {
      this.#clearDeadline(session.remoteId);
      if (resumed) this.reportPeerReconnected(session.remoteId);
      else this.reportPeerConnected(session.remoteId);
    },
    packet: (session, data, transfer, channel) =>
      this.reportPacket(session.remoteId, data, transfer, channel),
    lost: (session, cause) => {
      const id = session.remoteId;
      // Before it opened, the client is the one that tries again, within the host's deadline.
      if (session.state === "connecting") {
        if (isFinal(cause)) this.#dropClient(id);
        return;
      }
      if (isFinal(cause) || this.#graceMs === 0) return this.#dropClient(id);
      if (this.#deadlines.has(id)) return; // already reconnecting
      this.#setDeadline(id, this.#graceMs, () => this.#dropClient(id));
      this.reportPeerReconnecting(id);
      // When every client went quiet at once, it is more likely this side's network: check ours too.
      void this.#repairHostSignaling(false);
    },
  };

  /**
   * A client is gone (left, dropped, failed or out of grace): forget it, and have the signaling
   * server free its place, unless the server is the one that reported it gone.
   */
  #dropClient(peerId: number, freePlace = true): void {
    const session = this.#sessions.get(peerId);
    if (!session) return;
    const wasIn = session.state !== "connecting";
    this.#removeSession(peerId, false);
    if (wasIn) this.reportPeerDisconnected(peerId);
    // The server still counts this client (or, after a reclaim, its reserved id): free the place.
    if (freePlace) this.#kick(peerId);
  }

  /** Has the server free a client's place; remembered until a socket of ours confirms it. */
  #kick(peerId: number): void {
    this.#pendingKicks.add(peerId);
    this.#pacer.send(() => {
      const socket = this.#socket;
      if (!socket?.connected || !this.#pendingKicks.has(peerId)) return;
      socket.timeout(SIGNALING_REQUEST_TIMEOUT_MS).emit("kick", { peerId }, (error: unknown) => {
        // A refusal (unknown_peer: already gone) is as good as done; only silence keeps it pending.
        if (!error) this.#pendingKicks.delete(peerId);
      });
    });
  }

  /** Host: whether a client may open yet another connection now (a few at once, then one in 2 s). */
  #mayConnectAgain(peerId: number): boolean {
    return getOrCreate(
      this.#newConnectionBudgets,
      peerId,
      () => new TokenBucket(NEW_CONNECTIONS_PER_SECOND, NEW_CONNECTION_BURST),
    ).take();
  }

  #emitPaced(event: "signal", payload: Parameters<ClientToServerEvents["signal"]>[0]): void {
    this.#pacer.send(() => this.#socket?.emit(event, payload));
  }

  /** The server refused one of our events for its rate: the pacer slows down. */
  #listenForRefusals(socket: SignalingSocket): void {
    socket.on("signalingError", (error) => {
      if (error.code === "rate_limited" && error.event !== "connection") this.#pacer.refused();
    });
  }

  // ─── client ────────────────────────────────────────────────────────────────────────────────

  #listenAsClient(socket: SignalingSocket): void {
    this.#listenForRefusals(socket);
    socket.on("resumeToken", ({ resumeToken }) => {
      if (this.#seat && typeof resumeToken === "string") this.#seat.resumeToken = resumeToken;
    });
    socket.on("iceServers", ({ iceServers }) => {
      if (Array.isArray(iceServers)) this.#iceServers = iceServers;
    });
    socket.on("signal", ({ from, data, connection }) => {
      const session = this.#sessions.get(HOST_PEER_ID);
      if (from !== HOST_PEER_ID || !session) return;
      if (data.type === "renegotiate") {
        // The host can hear us again: whatever attempt is under way started before, so start anew.
        if (session.state === "reconnecting")
          this.#settleAttempt?.({ kind: "ended", end: { kind: "closed" } });
        return;
      }
      if ((connection ?? 0) === session.connectionNumber) session.connection?.signal(data);
    });
    // The server is shutting down: take this place to another process (or the restarted one) now;
    // a client still connecting negotiates through this socket first, and moves once connected.
    socket.on("serverDraining", () => {
      if (socket !== this.#socket) return;
      if (this.connectionStatus === "connecting") this.#drainingSocket = socket;
      else if (this.connectionStatus === "connected") this.#leaveDrainingServer(socket);
    });
    socket.on("roomClosed", ({ reason }) =>
      this.#lostHost(reason === "session_expired" ? "timeout" : reason, `signaling server: ${reason}`),
    );
    socket.on("disconnect", (reason) => {
      if (reason === "io client disconnect" || socket !== this.#socket) return;
      if (this.connectionStatus === "connecting") {
        return this.#fail("signaling_unreachable", "lost the signaling server while connecting");
      }
      void this.#repairClientSignaling();
    });
  }

  /** Negotiates connections with the host until one opens, a few times at most. */
  async #join(session: Session): Promise<void> {
    const deadline = Date.now() + this.#connectTimeoutMs;
    let last: "timeout" | LostCause = "timeout";
    for (let attempt = 0; attempt < MAX_JOIN_ATTEMPTS; attempt++) {
      if (attempt > 0) await this.#sleep(RETRY_FIRST_DELAY_MS * 2 ** (attempt - 1));
      const remaining = deadline - Date.now();
      if (remaining <= 0 || this.connectionStatus !== "connecting") break;
      const outcome = await this.#attempt(session, Math.min(ATTEMPT_TIMEOUT_MS, remaining));
      if (outcome === "opened") return;
      // No candidate to connect with: another attempt would gather none either.
      if (typeof outcome === "object" && outcome.kind === "gathering") {
        return this.#fail(outcome.failure.reason, outcome.failure.message);
      }
      last = outcome === "redo" ? "timeout" : outcome;
      if (typeof last !== "string" && isFinal(last)) break;
    }
    if (this.connectionStatus !== "connecting") return;
    if (this.#turnRefusal !== null) {
      const expired = expiredCredentials(this.#options.iceServers ?? this.#iceServers);
      const refused = `the TURN server refused this peer's credentials (401 from ${this.#turnRefusal})${expired}`;
      return this.#fail("turn_auth_failed", `not connected: ${refused}`);
    }
    if (last === "timeout") return this.#fail("timeout", `not connected after ${this.#connectTimeoutMs} ms`);
    const ice = last.kind === "ended" && last.end.kind === "failed" && last.end.ice;
    this.#fail(ice ? "ice_failed" : "signaling_error", describe(last));
  }

  /** One connection attempt to the host, numbered after the last; settles when it opens or dies. */
  #attempt(session: Session, timeoutMs: number): Promise<AttemptOutcome> {
    return new Promise((resolve) => {
      const number = session.connectionNumber + 1;
      const timer = setTimeout(() => {
        session.abandonConnection();
        settle("timeout");
      }, timeoutMs);
      this.#retryTimers.add(timer);
      const settle = (outcome: AttemptOutcome) => {
        if (outcome !== "opened") this.#failedAttempts++;
        clearTimeout(timer);
        this.#retryTimers.delete(timer);
        if (this.#settleAttempt === settle) this.#settleAttempt = null;
        resolve(outcome);
      };
      this.#settleAttempt = settle;
      session.connect(number, (callbacks) =>
        this.#newConnection(
          true,
          callbacks,
          (signal) => this.#emitPaced("signal", { data: signal, connection: number }),
          (failure) => {
            if (this.#settleAttempt !== settle) return;
            session.abandonConnection();
            settle({ kind: "gathering", failure });
          },
        ),
      );
    });
  }

  readonly #clientSessionOwner: SessionOwner = {
    opened: (_session, resumed) => {
      this.#clearDeadline(HOST_PEER_ID);
      this.#settleAttempt?.("opened");
      if (resumed) return this.reportPeerReconnected(HOST_PEER_ID);
      this.setState("connected");
      this.reportPeerConnected(HOST_PEER_ID);
      if (this.#drainingSocket !== null && this.#drainingSocket === this.#socket) {
        this.#leaveDrainingServer(this.#drainingSocket);
      }
    },
    packet: (_session, data, transfer, channel) => this.reportPacket(HOST_PEER_ID, data, transfer, channel),
    lost: (session, cause) => {
      if (session.state === "connecting") return this.#settleAttempt?.(cause);
      if (isFinal(cause) || this.#graceMs === 0) {
        const reason = cause.kind === "ended" && cause.end.kind === "failed" && cause.end.ice;
        return this.#lostHost(reason ? "ice_failed" : "signaling_error", describe(cause));
      }
      this.#settleAttempt?.(cause);
      if (this.#deadlines.has(HOST_PEER_ID)) return; // already reconnecting
      this.#setDeadline(HOST_PEER_ID, this.#graceMs, () =>
        this.#lostHost("timeout", `the host did not come back within ${this.#graceMs} ms`),
      );
      this.reportPeerReconnecting(HOST_PEER_ID);
      void this.#recover(session);
    },
  };

  /** Reconnecting: a socket that reaches the server, then new connections until one opens. */
  async #recover(session: Session): Promise<void> {
    if (this.#recovering) return;
    this.#recovering = true;
    try {
      let attemptTimeout = RECONNECT_ATTEMPT_FIRST_TIMEOUT_MS;
      while (session.state === "reconnecting" && !this.#closed) {
        const started = Date.now();
        const reached = await this.#reachSignaling();
        if (session.state !== "reconnecting") break;
        if (reached) {
          const outcome = await this.#attempt(session, attemptTimeout);
          if (outcome === "opened") break;
          if (outcome === "redo") continue; // the host can hear us again: at once
          // An attempt that heard nothing gets longer next time.
          if (outcome === "timeout") attemptTimeout = Math.min(attemptTimeout * 2, ATTEMPT_TIMEOUT_MS * 2);
        }
        // Whatever failed at once (a server that refuses, a connection that dies) waits a moment.
        const quick = Date.now() - started < RECONNECT_MAX_DELAY_MS;
        if (quick && this.#networkChangedAt < started) await this.#sleep(RECONNECT_MAX_DELAY_MS);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#lostHost("timeout", message);
    } finally {
      this.#recovering = false;
    }
  }

  /** A socket that answers, in the client's own place: the current one if it does, else a new one. */
  async #reachSignaling(): Promise<SignalingSocket | null> {
    const current = this.#socket;
    if (current?.connected && (await probeSignaling(current, PROBE_TIMEOUT_MS))) return current;
    // A socket that did not answer is not asked again; the server keeps our place meanwhile.
    if (this.#socket === current && current) {
      abandonSignaling(current);
      this.#socket = null;
    }
    let socket: SignalingSocket | null = null;
    try {
      socket = await this.#connectReplacementSocket();
      const reply = await request(socket, "resume", this.#seat!, SIGNALING_REQUEST_TIMEOUT_MS);
      if (this.#closed || this.connectionStatus === "disconnected") {
        abandonSignaling(socket);
        return null;
      }
      this.#iceServers = reply.iceServers;
      if (reply.resumeToken) this.#seat!.resumeToken = reply.resumeToken;
      if (this.#socket === null) {
        this.#socket = socket;
        this.#listenAsClient(socket);
      } else abandonSignaling(socket);
      return this.#socket;
    } catch (error) {
      // Never a deliberate disconnect: the server may have moved our place to this socket already.
      abandonSignaling(socket);
      if (error instanceof ConnectionError && error.signalingCode === "session_expired") {
        throw new Error("the signaling server no longer holds this player's place");
      }
      return null;
    }
  }

  /** Client: lets go of a draining server's socket and takes this place to the next server. */
  #leaveDrainingServer(socket: SignalingSocket): void {
    this.#drainingSocket = null;
    abandonSignaling(socket);
    if (this.#socket === socket) this.#socket = null;
    void this.#repairClientSignaling();
  }

  /** The socket dropped while the game goes on: get one back, so a later reconnect has a way through. */
  async #repairClientSignaling(): Promise<void> {
    if (this.#repairingSignaling) return;
    this.#repairingSignaling = true;
    try {
      let delay = RETRY_FIRST_DELAY_MS;
      while (!this.#closed && this.connectionStatus === "connected") {
        if (this.#sessions.get(HOST_PEER_ID)?.state === "reconnecting") return; // #recover does it
        if (await this.#reachSignaling()) return;
        await this.#sleep(delay);
        delay = Math.min(delay * 2, SIGNALING_MAX_DELAY_MS);
      }
    } catch (error) {
      this.#lostHost("timeout", error instanceof Error ? error.message : String(error));
    } finally {
      this.#repairingSignaling = false;
    }
  }

  /** Client: the host is gone for good. Before connecting that is a failure, after it a disconnect. */
  #lostHost(reason: ConnectionFailedReason, message: string): void {
    if (this.connectionStatus === "connecting") return this.#fail(reason, message);
    if (this.connectionStatus !== "connected") return;
    this.#endClient();
    this.reportPeerDisconnected(HOST_PEER_ID);
  }

  #fail(reason: ConnectionFailedReason, message: string): void {
    if (this.connectionStatus === "disconnected") return;
    this.#endClient();
    this.reportConnectionFailed(reason, message);
  }

  #endClient(): void {
    this.#settleAttempt?.({ kind: "bye" });
    this.#removeSession(HOST_PEER_ID, false);
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
    this.#closeSignaling();
    livePeers.delete(this);
    this.setState("disconnected");
  }

  // ─── shared ────────────────────────────────────────────────────────────────────────────────

  #addSession(remoteId: number, owner: SessionOwner): Session {
    const reliableChannels = [0];
    (this.#options.channels ?? []).forEach((transfer, index) => {
      if (transfer === "reliable") reliableChannels.push(index + 1);
    });
    const session = new Session(remoteId, reliableChannels, RESEND_LIMIT_BYTES, this.#graceMs > 0, owner);
    session.conditions = this.#conditionsFor(remoteId);
    this.#sessions.set(remoteId, session);
    if (!this.#ticker) {
      let last = Date.now();
      this.#ticker = setInterval(() => {
        const now = Date.now();
        // A late tick means this side was busy (a long task, a suspended tab), not that the others
        // went quiet: their messages may still wait in our queue. Silence counts from here.
        const stalled = now - last > TICK_MS + STALL_MS;
        last = now;
        for (const each of this.#sessions.values()) {
          if (each.tick(now, stalled)) this.reportStatsUpdated(each.remoteId);
        }
      }, TICK_MS);
    }
    return session;
  }

  #removeSession(remoteId: number, sayBye: boolean): void {
    this.#sessions.get(remoteId)?.close(sayBye);
    this.#stashedSignals.delete(remoteId);
    this.#newConnectionBudgets.delete(remoteId);
    this.#peerConditions.delete(remoteId);
    this.#sessions.delete(remoteId);
    this.#clearDeadline(remoteId);
    if (this.#sessions.size === 0 && this.#ticker) {
      clearInterval(this.#ticker);
      this.#ticker = null;
    }
  }

  #newConnection(
    initiator: boolean,
    callbacks: Omit<ConnectionCallbacks, "signal">,
    signal: (data: SignalData) => void,
    gatheringFailed: (failure: GatheringFailure) => void,
  ): PeerConnection {
    const config: RTCConfiguration = {
      ...this.rtcConfiguration(),
      iceServers: this.#options.iceServers ?? this.#iceServers,
    };
    const watch = new IceWatch(config, {
      failed: gatheringFailed,
      turnRefused: (url) => {
        this.#turnRefusal = url;
      },
    });
    const wrtc = watch.wrap(this.#webrtc);
    return new PeerConnection(
      this.simplePeer,
      { initiator, config, trickle: true, ...(wrtc ? { wrtc } : {}) },
      this.#options.channels ?? [],
      this.#options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      { ...callbacks, signal },
    );
  }

  #setDeadline(remoteId: number, ms: number, expire: () => void): void {
    this.#clearDeadline(remoteId);
    this.#deadlines.set(
      remoteId,
      setTimeout(() => {
        this.#deadlines.delete(remoteId);
        expire();
      }, ms),
    );
  }

  #clearDeadline(remoteId: number): void {
    clearTimeout(this.#deadlines.get(remoteId));
    this.#deadlines.delete(remoteId);
  }

  #reconnectingCount(): number {
    let count = 0;
    for (const session of this.#sessions.values()) if (session.state === "reconnecting") count++;
    return count;
  }

  /** A pause that close() cuts short (the awaiting loop then sees the peer closed). */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#retryTimers.delete(timer);
        resolve();
      }, ms);
      this.#retryTimers.add(timer);
    });
  }

  /** A replacement signaling socket, connected as soon as the network allows. */
  #connectReplacementSocket(): Promise<SignalingSocket> {
    return connectSignalingSoon(
      this.#options.signalingUrl,
      SIGNALING_CONNECT_STAGGER_MS,
      SIGNALING_CONNECT_TIMEOUT_MS,
      this.#replacementAttempts.signal,
    );
  }

  async #openSignaling(timeoutMs: number): Promise<SignalingSocket> {
    this.#socket = await connectSignaling(this.#options.signalingUrl, timeoutMs);
    return this.#socket;
  }

  /** Leaves on purpose: the server frees this peer's place (or closes its room) at once. */
  #closeSignaling(): void {
    this.#socket?.removeAllListeners();
    this.#socket?.disconnect();
    this.#socket = null;
  }
}

function describe(cause: LostCause): string {
  switch (cause.kind) {
    case "bye":
      return "the other side left";
    case "silence":
      return "nothing heard from the other side";
    case "violation":
    case "overflow":
      return cause.message;
    case "ended":
      return cause.end.kind === "closed" ? "connection closed" : cause.end.message;
  }
}
