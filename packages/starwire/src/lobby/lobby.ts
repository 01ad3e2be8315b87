import { Emitter } from "../events/emitter.js";
import { multiplayer as defaultMultiplayer } from "../multiplayer/default-instance.js";
import type { MultiplayerAPI } from "../multiplayer/multiplayer-api.js";
import type { StandardSchemaV1 } from "../rpc/standard-schema.js";
import { NetNode } from "../scene/net-node.js";
import { HOST_PEER_ID } from "../signaling/protocol.js";
import type { MultiplayerPeer } from "../transport/multiplayer-peer.js";
import type { ClientOptions, CreatedRoom, ServerOptions } from "../transport/star-peer.js";
import { sanitizeChat } from "./chat.js";

/** A transport that can open or join a room: WebRTCMultiplayerPeer, MemoryMultiplayerPeer. */
export interface RoomPeer extends MultiplayerPeer {
  createServer(options: ServerOptions): Promise<CreatedRoom>;
  createClient(roomCode: string, options?: ClientOptions): Promise<void>;
  readonly roomCode: string | null;
}

export interface LobbyPlayer<Info> {
  readonly id: number;
  readonly info: Info;
  readonly ready: boolean;
}

export interface LobbyOptions<Info> {
  /** Makes the transport for `createGame` / `joinGame`, e.g. `() => new WebRTCMultiplayerPeer({ signalingUrl })`. */
  createPeer: () => RoomPeer;
  /** Checks player info from the network (recommended): info that fails it is refused. */
  infoSchema?: StandardSchemaV1<unknown, Info>;
  /** Longest chat message in characters, after sanitising. Default 200. */
  maxChatLength?: number;
  /** How often the host measures every player's round-trip time. Default 1000 ms; 0 turns it off. */
  pingIntervalMs?: number;
}

export interface LobbyEvents<Info> {
  playerConnected: [id: number, info: Info];
  playerDisconnected: [id: number];
  /** Any change to `players` (joins, leaves, info, ready flags) or to who is `reconnecting`. */
  playersChanged: [];
  /** Round-trip times changed (`pings`). */
  pingsChanged: [];
  chat: [from: number, text: string];
  /** The host called `loadGame(scene)`: load it, then call `reportLoaded()`. Everyone gets it, the host too. */
  loadGame: [scene: string];
  /** Host only: every player reported loaded; start the game. */
  allPlayersLoaded: [];
  /** The host is gone; `players` is empty again. */
  serverDisconnected: [];
}

const lobbies = new WeakMap<MultiplayerAPI, Lobby<object>>();

/**
 * The players of a game, identical on every peer: the seed's lobby autoload at `/root/lobby`.
 * One per MultiplayerAPI, reached from anywhere with `Lobby.of()`.
 *
 * Info travels the seed's way: when a peer connects, every peer sends it its own info with
 * `rpcId(id, "registerPlayer", info)`, and the receiver files it under `remoteSenderId`.
 */
export class Lobby<Info extends object> extends NetNode<Lobby<Info>> {
  readonly events = new Emitter<LobbyEvents<Info>>();
  readonly #api: MultiplayerAPI;
  readonly #options: Required<Omit<LobbyOptions<Info>, "infoSchema">> &
    Pick<LobbyOptions<Info>, "infoSchema">;
  readonly #players = new Map<number, LobbyPlayer<Info>>();
  readonly #pings = new Map<number, number>();
  readonly #loaded = new Set<number>();
  readonly #reconnecting = new Set<number>();
  readonly #unsubscribe: Array<() => void>;
  #myInfo: Info | null = null;
  #hosting = false;
  #pingTimer: ReturnType<typeof setInterval> | null = null;

  /** The lobby of `api` (default: the global `multiplayer`), created at `/root/lobby` on first use. */
  static of<Info extends object>(
    options?: LobbyOptions<Info>,
    api: MultiplayerAPI = defaultMultiplayer,
  ): Lobby<Info> {
    const existing = lobbies.get(api);
    if (existing) return existing as unknown as Lobby<Info>;
    if (!options) throw new Error("the first Lobby.of() call needs options (createPeer)");
    const lobby = new Lobby<Info>(api, options);
    lobbies.set(api, lobby as unknown as Lobby<object>);
    return lobby;
  }

  private constructor(api: MultiplayerAPI, options: LobbyOptions<Info>) {
    super("lobby");
    this.#api = api;
    this.#options = { maxChatLength: 200, pingIntervalMs: 1000, ...options };
    const info = options.infoSchema ? [options.infoSchema] : undefined;
    this.rpcConfig("registerPlayer", { mode: "any_peer", ...(info && { args: info }) });
    this.rpcConfig("updatePlayer", { mode: "any_peer", sync: "call_local", ...(info && { args: info }) });
    this.rpcConfig("setPlayerReady", ["any_peer", "call_local"]);
    this.rpcConfig("chatMessage", ["any_peer", "call_local"]);
    this.rpcConfig("startLoading", ["authority", "call_local"]);
    this.rpcConfig("playerLoaded", ["any_peer", "call_local"]);
    this.rpcConfig("ping", ["authority", "unreliable"]);
    this.rpcConfig("pong", ["any_peer", "unreliable"]);
    this.rpcConfig("shareRoundTrips", ["authority", "unreliable"]);
    api.root.addChild(this);
    this.#unsubscribe = [
      api.on("peerConnected", (id) => this.#peerConnected(id)),
      api.on("peerDisconnected", (id) => this.#removePlayer(id)),
      api.on("peerReconnecting", (id) => this.#setReconnecting(id, true)),
      api.on("peerReconnected", (id) => this.#setReconnecting(id, false)),
      api.on("serverDisconnected", () => this.#reset(true)),
      api.on("connectionFailed", () => this.#reset(false)),
    ];
  }

  /**
   * Players whose connection dropped and who are coming back (they keep their place meanwhile).
   * On a client, `1` here means this client's own link to the host: everyone is out of reach.
   */
  get reconnecting(): ReadonlySet<number> {
    return this.#reconnecting;
  }

  /** Every player of the game, this peer included, by id. */
  get players(): ReadonlyMap<number, LobbyPlayer<Info>> {
    return this.#players;
  }

  /** Round-trip time to the host in ms, per player (measured by the host; the host's own is 0). */
  get pings(): ReadonlyMap<number, number> {
    return this.#pings;
  }

  get isHost(): boolean {
    return this.#hosting;
  }

  get roomCode(): string | null {
    return (this.#api.peer as Partial<RoomPeer>).roomCode ?? null;
  }

  /**
   * Opens a room with you as its host (peer 1); resolves to its code. Without `info` the host is
   * not a player: a dedicated server that only runs the game.
   */
  async createGame(options: ServerOptions & { info?: Info }): Promise<string> {
    const peer = this.#options.createPeer();
    const { info: _info, ...serverOptions } = options;
    const { roomCode } = await peer.createServer(serverOptions);
    this.#myInfo = options.info ?? null;
    this.#hosting = true;
    this.#api.peer = peer;
    if (options.info) this.#addPlayer(HOST_PEER_ID, options.info);
    this.#startPinging();
    return roomCode;
  }

  /** Joins a room; resolves once the signaling server accepted (the lobby fills as peers connect). */
  async joinGame(roomCode: string, info: Info, options: ClientOptions = {}): Promise<void> {
    const peer = this.#options.createPeer();
    this.#myInfo = info;
    this.#api.peer = peer;
    await peer.createClient(roomCode, options);
    this.#addPlayer(peer.uniqueId, info);
  }

  /** Leaves the game (as host: ends it for everyone). */
  leave(): void {
    this.#api.peer = null;
    this.#reset(false);
  }

  /** Changes your name, colour or anything else in your info; everyone sees it. */
  setInfo(info: Info): void {
    this.#myInfo = info;
    this.rpc("updatePlayer", info);
  }

  setReady(ready: boolean): void {
    this.rpc("setPlayerReady", ready);
  }

  sendChat(text: string): void {
    this.rpc("chatMessage", text);
  }

  /** Host only: everyone loads `scene` (you too); each reports `reportLoaded()`; then `allPlayersLoaded`. */
  loadGame(scene: string): void {
    this.#requireHost("loadGame");
    this.#loaded.clear();
    this.rpc("startLoading", scene);
  }

  /** Tells the host that this peer finished loading the scene from `loadGame`. */
  reportLoaded(): void {
    this.rpcId(HOST_PEER_ID, "playerLoaded");
  }

  /** Host only: removes a player from the game. */
  kick(id: number): void {
    this.#requireHost("kick");
    if (id === HOST_PEER_ID) throw new RangeError("the host cannot kick itself; use leave()");
    this.#api.peer.disconnectPeer(id);
  }

  /** Host only: while locked, nobody new can join. */
  setLocked(locked: boolean): void {
    this.#requireHost("setLocked");
    this.#api.refuseNewConnections = locked;
  }

  get locked(): boolean {
    return this.#api.refuseNewConnections;
  }

  allReady(): boolean {
    return this.#players.size > 0 && [...this.#players.values()].every((player) => player.ready);
  }

  /** Stops listening and removes the lobby from the tree (tests, or a game that is done with it). */
  dispose(): void {
    this.leave();
    for (const off of this.#unsubscribe) off();
    this.parent?.removeChild(this);
    lobbies.delete(this.#api);
  }

  // RPC handlers: run on the receiving peer, with the caller in remoteSenderId.

  registerPlayer(info: Info): void {
    const from = this.#api.remoteSenderId;
    if (!this.#players.has(from)) this.#addPlayer(from, info);
  }

  updatePlayer(info: Info): void {
    const id = this.#api.remoteSenderId;
    const player = this.#players.get(id);
    if (!player) return;
    this.#players.set(id, { ...player, info });
    this.events.emit("playersChanged");
  }

  setPlayerReady(ready: boolean): void {
    const id = this.#api.remoteSenderId;
    const player = this.#players.get(id);
    if (!player || typeof ready !== "boolean") return;
    this.#players.set(id, { ...player, ready });
    this.events.emit("playersChanged");
  }

  chatMessage(text: string): void {
    const from = this.#api.remoteSenderId;
    const clean = sanitizeChat(text, this.#options.maxChatLength);
    if (clean && this.#players.has(from)) this.events.emit("chat", from, clean);
  }

  startLoading(scene: string): void {
    if (typeof scene !== "string") return;
    for (const [id, player] of this.#players) this.#players.set(id, { ...player, ready: false });
    this.events.emit("playersChanged");
    this.events.emit("loadGame", scene);
  }

  playerLoaded(): void {
    if (!this.#api.isServer()) return;
    this.#loaded.add(this.#api.remoteSenderId);
    this.#checkAllLoaded();
  }

  ping(sentAt: number): void {
    this.rpcId(HOST_PEER_ID, "pong", sentAt);
  }

  pong(sentAt: number): void {
    const from = this.#api.remoteSenderId;
    if (typeof sentAt !== "number" || !this.#players.has(from)) return;
    this.#pings.set(from, Math.max(0, Math.round(now() - sentAt)));
  }

  shareRoundTrips(pings: Record<string, number>): void {
    this.#pings.clear();
    for (const [id, ms] of Object.entries(pings)) {
      if (this.#players.has(Number(id)) && typeof ms === "number") this.#pings.set(Number(id), ms);
    }
    this.events.emit("pingsChanged");
  }

  #peerConnected(id: number): void {
    if (this.#myInfo) this.rpcId(id, "registerPlayer", this.#myInfo);
  }

  #addPlayer(id: number, info: Info): void {
    this.#players.set(id, { id, info, ready: false });
    this.events.emit("playerConnected", id, info);
    this.events.emit("playersChanged");
  }

  #setReconnecting(id: number, reconnecting: boolean): void {
    const changed = reconnecting ? !this.#reconnecting.has(id) : this.#reconnecting.has(id);
    if (reconnecting) this.#reconnecting.add(id);
    else this.#reconnecting.delete(id);
    if (changed) this.events.emit("playersChanged");
  }

  #removePlayer(id: number): void {
    this.#reconnecting.delete(id);
    this.#pings.delete(id);
    this.#loaded.delete(id);
    if (!this.#players.delete(id)) return;
    this.events.emit("playerDisconnected", id);
    this.events.emit("playersChanged");
    this.#checkAllLoaded();
  }

  #checkAllLoaded(): void {
    if (!this.#api.isServer() || this.#loaded.size === 0) return;
    if ([...this.#players.keys()].every((id) => this.#loaded.has(id))) {
      this.#loaded.clear();
      this.events.emit("allPlayersLoaded");
    }
  }

  #startPinging(): void {
    const interval = this.#options.pingIntervalMs;
    if (interval <= 0) return;
    this.#pings.set(HOST_PEER_ID, 0);
    this.#pingTimer = setInterval(() => {
      if (this.#api.getPeers().length === 0) return;
      this.rpc("ping", now());
      this.rpc("shareRoundTrips", Object.fromEntries(this.#pings));
      this.events.emit("pingsChanged");
    }, interval);
  }

  #reset(hostLeft: boolean): void {
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#pingTimer = null;
    const hadPlayers = this.#players.size > 0;
    this.#players.clear();
    this.#pings.clear();
    this.#loaded.clear();
    this.#reconnecting.clear();
    this.#myInfo = null;
    this.#hosting = false;
    if (hostLeft) this.events.emit("serverDisconnected");
    if (hadPlayers) this.events.emit("playersChanged");
  }

  #requireHost(action: string): void {
    if (!this.#api.isServer() || this.#api.connectionStatus !== "connected") {
      throw new Error(`only the host can ${action}`);
    }
  }
}

const now = () => (typeof performance === "undefined" ? Date.now() : performance.now());
