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
  /**
   * How often the host shares every player's round-trip time (`pings`, measured by the network
   * clock's pings). Default 1000 ms; 0 turns it off.
   */
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
export class Lobby<Info extends object> {
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

  /**
   * The lobby's network side: the node at `/root/lobby`, whose methods are the RPC handlers. They
   * run on the receiving peer, with the caller in `remoteSenderId`; each is named after the Lobby
   * method that sends it. A class of its own, so that the handlers are no part of Lobby's API,
   * declared here so that it reaches the lobby's private state.
   */
  readonly #node = new (class LobbyNode extends NetNode {
    readonly #lobby: Lobby<Info>;

    constructor(lobby: Lobby<Info>) {
      super("lobby");
      this.#lobby = lobby;
    }

    registerPlayer(info: Info): void {
      const lobby = this.#lobby;
      const from = lobby.#api.remoteSenderId;
      if (!lobby.#players.has(from)) lobby.#addPlayer(from, info);
    }

    setInfo(info: Info): void {
      const lobby = this.#lobby;
      const id = lobby.#api.remoteSenderId;
      const player = lobby.#players.get(id);
      if (!player) return;
      lobby.#players.set(id, { ...player, info });
      lobby.events.emit("playersChanged");
    }

    setReady(ready: boolean): void {
      const lobby = this.#lobby;
      const id = lobby.#api.remoteSenderId;
      const player = lobby.#players.get(id);
      if (!player || typeof ready !== "boolean") return;
      lobby.#players.set(id, { ...player, ready });
      lobby.events.emit("playersChanged");
    }

    sendChat(text: string): void {
      const lobby = this.#lobby;
      const from = lobby.#api.remoteSenderId;
      const clean = sanitizeChat(text, lobby.#options.maxChatLength);
      if (clean && lobby.#players.has(from)) lobby.events.emit("chat", from, clean);
    }

    loadGame(scene: string): void {
      const lobby = this.#lobby;
      if (typeof scene !== "string") return;
      for (const [id, player] of lobby.#players) lobby.#players.set(id, { ...player, ready: false });
      lobby.events.emit("playersChanged");
      lobby.events.emit("loadGame", scene);
    }

    reportLoaded(): void {
      const lobby = this.#lobby;
      if (!lobby.#api.isServer()) return;
      lobby.#loaded.add(lobby.#api.remoteSenderId);
      lobby.#checkAllLoaded();
    }

    sharePings(pings: Record<string, number>): void {
      const lobby = this.#lobby;
      lobby.#pings.clear();
      for (const [id, ms] of Object.entries(pings)) {
        if (lobby.#players.has(Number(id)) && typeof ms === "number") lobby.#pings.set(Number(id), ms);
      }
      lobby.events.emit("pingsChanged");
    }
  })(this);

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
    this.#api = api;
    this.#options = { maxChatLength: 200, pingIntervalMs: 1000, ...options };
    const info = options.infoSchema ? [options.infoSchema] : undefined;
    const node = this.#node;
    node.rpcConfig("registerPlayer", { mode: "any_peer", ...(info && { args: info }) });
    node.rpcConfig("setInfo", { mode: "any_peer", sync: "call_local", ...(info && { args: info }) });
    node.rpcConfig("setReady", ["any_peer", "call_local"]);
    node.rpcConfig("sendChat", ["any_peer", "call_local"]);
    node.rpcConfig("loadGame", ["authority", "call_local"]);
    node.rpcConfig("reportLoaded", ["any_peer", "call_local"]);
    node.rpcConfig("sharePings", ["authority", "unreliable"]);
    api.root.addChild(node);
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

  /**
   * Round-trip time to the host in ms, per player, the same on every peer: each client's network
   * clock measures its own (`multiplayer.clock.rttMs`) and reports it to the host, which shares
   * them all every `pingIntervalMs`. The host's own is 0.
   */
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
    this.#startSharingPings();
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
    this.#node.rpc("setInfo", info);
  }

  setReady(ready: boolean): void {
    this.#node.rpc("setReady", ready);
  }

  sendChat(text: string): void {
    this.#node.rpc("sendChat", text);
  }

  /** Host only: everyone loads `scene` (you too); each reports `reportLoaded()`; then `allPlayersLoaded`. */
  loadGame(scene: string): void {
    this.#requireHost("loadGame");
    this.#loaded.clear();
    this.#node.rpc("loadGame", scene);
  }

  /** Tells the host that this peer finished loading the scene from `loadGame`. */
  reportLoaded(): void {
    this.#node.rpcId(HOST_PEER_ID, "reportLoaded");
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
    this.#node.parent?.removeChild(this.#node);
    lobbies.delete(this.#api);
  }

  #peerConnected(id: number): void {
    if (this.#myInfo) this.#node.rpcId(id, "registerPlayer", this.#myInfo);
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

  /** Host: shares the round trips the network clock knows (clients report theirs in their pings). */
  #startSharingPings(): void {
    const interval = this.#options.pingIntervalMs;
    if (interval <= 0) return;
    this.#pings.set(HOST_PEER_ID, 0);
    this.#pingTimer = setInterval(() => {
      if (this.#api.getPeers().length === 0) return;
      for (const id of this.#players.keys()) {
        const rtt = this.#api.clock.rttOf(id);
        if (rtt !== null) this.#pings.set(id, Math.round(rtt));
      }
      this.#node.rpc("sharePings", Object.fromEntries(this.#pings));
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
