import { Emitter } from "../events/emitter.js";
import { SceneReplication } from "../replication/scene-replication.js";
import { currentSender } from "../rpc/remote-sender.js";
import { RpcInterface } from "../rpc/rpc-interface.js";
import { NetNode, plantTree } from "../scene/net-node.js";
import { HOST_PEER_ID, MAX_PEER_ID } from "../signaling/protocol.js";
import {
  ConnectionError,
  type ConnectionFailedReason,
  type ConnectionStats,
  type ConnectionStatus,
  type MultiplayerPeer,
  type PeerEventHandler,
  type TransferMode,
} from "../transport/multiplayer-peer.js";
import { OfflineMultiplayerPeer } from "../transport/offline-peer.js";
import { COMMAND_MASK, Command, dispatchKey, hasUnknownFlags } from "../wire/commands.js";
import { PathCache } from "../wire/path-cache.js";
import { isPathRelease } from "../wire/path-packet.js";
import { encodeRaw } from "../wire/raw-packet.js";
import { keyNamesNode, latestKey } from "../wire/rpc-packet.js";
import {
  decodeSystemMessage,
  encodeAuth,
  encodePeerNotice,
  encodeRelay,
  encodeTickRate,
} from "../wire/system-packet.js";
import { type AuthCallback, Authenticator } from "./authentication.js";
import { ClientRelay } from "./client-relay.js";
import { ClockSync, type NetworkClock } from "./clock.js";
import { NetworkTick } from "./network-tick.js";
import { PathSync } from "./path-sync.js";
import { PeerCounters } from "./peer-counters.js";
import { DEFAULT_RATE_LIMITS, PeerRateLimiter, type RateLimits } from "./rate-limiter.js";
import type { Rejection } from "./rejection.js";
import { type Delivery, type Subsystem, type SubsystemHost, withExtras } from "./subsystem.js";
import { targetPeers } from "./targets.js";
import { TickRateAgreement } from "./tick-rate.js";

export type { Rejection };

let instances = 0;

export interface MultiplayerEvents {
  /** A peer joined the game: on the host any client; on a client the host (1) and every other client. */
  peerConnected: [id: number];
  peerDisconnected: [id: number];
  /**
   * A peer in the game lost its connection and is coming back (fired on every peer; on a client
   * `1` means its own link to the host). It stays in the game meanwhile; reliable calls to it
   * arrive once it is back. Ends in `peerReconnected`, or after the grace period in
   * `peerDisconnected` (and `serverDisconnected` when it was the host).
   */
  peerReconnecting: [id: number];
  /** A reconnecting peer is back, with its id, its state and every reliable message sent meanwhile. */
  peerReconnected: [id: number];
  /** Client only: the connection to the host is up (fires before `peerConnected(1)`). */
  connectedToServer: [];
  /** A client's connection never came up; or a host lost its room for good (`room_expired`). */
  connectionFailed: [reason: ConnectionFailedReason, message: string];
  /** Client only: the host is gone (after `peerDisconnected(1)`). */
  serverDisconnected: [];
  /** Bytes from `sendBytes` (Godot's `peer_packet`). */
  peerPacket: [from: number, data: Uint8Array];
  /** A packet from the network was dropped; nothing in it ran. */
  rejected: [rejection: Rejection];
  /**
   * Scene replication: a state from `from` was a delta against states this peer no longer holds
   * (it lost its history, after a long stall say). It was dropped and `from` asked for absolute
   * states, which follow at once. Not a `rejected` event and not in `rejectionCount`: an honest
   * peer causes it (a hostile one can fake it, within the rate limits, at the cost of larger
   * states to itself); `staleBaselineCount(peer)` counts them.
   */
  staleBaseline: [from: number];
  /** Authentication is on and this peer connected: exchange `sendAuth` messages, then `completeAuth`. */
  peerAuthenticating: [id: number];
  /** A pending peer timed out or left before both sides completed authentication. */
  peerAuthenticationFailed: [id: number];
  /**
   * Once a second per direct connection (each client on the host, the host on a client): its
   * statistics, as `getStats(id)` returns them. WebRTC peers only.
   */
  stats: [id: number, stats: ConnectionStats];
  /**
   * A network tick is due (inside `poll()`, `tickRate` times a second, numbered in host ticks):
   * step the game's world here, and replication sends that state right after, stamped with `tick`.
   */
  networkTick: [tick: number];
}

export interface SendOptions {
  transfer?: TransferMode;
  channel?: number;
}

/**
 * Godot's MultiplayerAPI over a star: the host is the hub, relays between clients (stamping the
 * true sender) and tells every client who else is in the game.
 */
export class MultiplayerAPI extends Emitter<MultiplayerEvents> {
  /** Largest packet this API sends (an RPC with its arguments, say); bigger ones throw. Default 1 MiB. */
  maxMessageBytes = 1024 * 1024;
  /** The top of this API's node tree, "/root". */
  readonly root = new NetNode("root");
  readonly #instanceId = ++instances;
  #peer: MultiplayerPeer = new OfflineMultiplayerPeer();
  /** Node paths and their ids, each way: one cache for every subsystem that names nodes. */
  readonly #paths = new PathCache();
  readonly #host = this.#createHost();
  readonly #pathSync = this.#createPathSync();
  readonly #rpc = this.#createRpcInterface();
  readonly #replication = this.#createReplication();
  /** Raw bytes from `sendBytes`, delivered as `peerPacket`. */
  readonly #raw: Subsystem = {
    commands: [Command.RAW],
    check: (from, packet) => () => this.emit("peerPacket", from, packet.subarray(1)),
    peerAdded: () => {},
    peerRemoved: () => {},
    reset: () => {},
  };
  /** The host's time on every peer (CLOCK_PING / CLOCK_PONG). */
  readonly #clock: ClockSync = new ClockSync({
    isServer: () => this.isServer(),
    send: (to, packet) => {
      if (this.#peer.connectionStatus === "connected") this.#peer.send(to, packet, "unreliable", 0, "clock");
    },
    reject: (rejection) => this.#onRejected(rejection),
    tickAt: (time) => this.#tick.tickAt(time),
    ticksAgreed: () => this.#tickRate.agreed,
    stepped: () => this.#tick.restart(),
  });
  /** Every subsystem, built once; and which one owns each command. */
  readonly #subsystems: readonly Subsystem[] = [
    this.#pathSync,
    this.#rpc,
    this.#replication,
    this.#raw,
    this.#clock,
  ];
  readonly #byCommand = new Map<number, Subsystem>(
    this.#subsystems.flatMap((subsystem) =>
      subsystem.commands.map((command) => [command, subsystem] as const),
    ),
  );
  readonly #tick: NetworkTick = new NetworkTick({
    time: () => this.#clock.now(),
    poll: (now, tick) => {
      // The game steps its world first, so what replication sends is the state of this tick.
      if (tick !== null) this.emit("networkTick", tick);
      for (const subsystem of this.#subsystems) subsystem.poll?.(now, tick);
      if (tick !== null && this.isServer()) this.#clientRelay.networkTick();
    },
  });
  /** The game's tick rate: this peer's own, or on a client in a game the host's. */
  readonly #tickRate = new TickRateAgreement(this.#tick);
  /** Per peer, the packets rejected and the SYNCs that came relative to a lost tick. */
  readonly #counters = new PeerCounters();
  readonly #limiter = new PeerRateLimiter(DEFAULT_RATE_LIMITS);
  readonly #auth = new Authenticator(
    {
      send: (peer, packet) => this.#peer.send(peer, packet, "reliable", 0),
      admit: (peer) => this.#admit(peer),
      drop: (peer) => this.#dropUnauthenticated(peer),
      authenticating: (peer) => this.emit("peerAuthenticating", peer),
      failed: (peer) => {
        this.emit("peerAuthenticationFailed", peer);
        if (!this.isServer() && peer === HOST_PEER_ID) {
          this.emit("connectionFailed", "auth_failed", "authentication with the host did not complete");
        }
      },
    },
    encodeAuth,
  );
  /** Host: its clients' packets to each other, checked and passed on (or kept) per recipient. */
  readonly #clientRelay = new ClientRelay({
    peers: () => this.#peers,
    send: (to, packet, transfer, channel, key) => this.#peer.send(to, packet, transfer, channel, key),
    check: (from, packet, delivery) => this.#check(from, packet, delivery),
    relayFor: (from, packet) =>
      this.#byCommand.get(dispatchKey(packet[0]!))?.relayFor?.(from, packet) ?? null,
    reject: (from, reason, message) => this.#reject(from, reason, message),
    charge: (from, bytes) => this.#limiter.charge(from, bytes),
    replication: this.#replication,
    pathSync: this.#pathSync,
  });

  constructor() {
    super();
    plantTree(this.root, {
      api: this,
      call: (node, kind, name, args, target, forceUnreliable) =>
        this.#rpc.call(node, kind, name, args, target, forceUnreliable),
      exiting: (node) => this.#pathSync.nodeExiting(node),
    });
  }
  /** Everyone this side may address, self excluded: direct peers on the host, host + others on a client. */
  readonly #peers = new Set<number>();
  readonly #handler: PeerEventHandler = {
    peerConnected: (id) => this.#onPeerConnected(id),
    peerDisconnected: (id) => this.#onPeerDisconnected(id),
    peerReconnecting: (id) => this.#onReconnectNotice("peerReconnecting", id),
    peerReconnected: (id) => this.#onReconnectNotice("peerReconnected", id),
    packet: (from, data, transfer, channel) => this.#onPacket(from, data, transfer, channel),
    connectionFailed: (reason, message) => this.emit("connectionFailed", reason, message),
    statsUpdated: (id) => {
      if (this.listenerCount("stats") === 0 || !this.#peers.has(id)) return;
      const stats = this.#peer.getStats?.(id);
      if (stats) this.emit("stats", id, stats);
    },
  };

  /** The transport; an offline peer (a lone server, id 1) when none was set. */
  get peer(): MultiplayerPeer {
    return this.#peer;
  }

  /** Setting a new peer or `null` closes the old one without firing events (Godot's behaviour). */
  set peer(peer: MultiplayerPeer | null) {
    const next = peer ?? new OfflineMultiplayerPeer();
    if (next === this.#peer) return;
    const previous = this.#peer;
    previous.attach(null);
    this.#peers.clear();
    this.#counters.clear();
    this.#auth.clear();
    this.#tickRate.leave();
    this.#resetSubsystems();
    this.#peer = next;
    previous.close();
    next.attach(this.#handler);
    this.#tick.running = !(next instanceof OfflineMultiplayerPeer);
  }

  /**
   * Runs the network layer's per-frame work (Godot's `poll`): sends what is due on a network tick
   * (`tickRate` a second). Call it from your game loop after setting `autoPoll = false`; otherwise
   * an automatic scheduler calls it at the tick rate while a transport is set.
   */
  poll(): void {
    this.#tick.poll();
  }

  /**
   * Network ticks per second, 1–240 (default 30): how often synchronized state is sent. The
   * host's rate is the game's: a client in a game reads the rate its host announced (what it set
   * itself applies again once it is out of the game). Set it on the host before clients join:
   * changing it while another peer is in the game throws, on the host and on a client.
   */
  get tickRate(): number {
    return this.#tickRate.rate;
  }

  set tickRate(hz: number) {
    if (hz === this.#tickRate.rate) return;
    // A rate change renumbers ticks (a lower rate restarts them lower, and receivers would drop
    // every state as stale) and makes receivers misplace states in time: no peer may see one.
    if (this.#peers.size > 0) {
      throw new Error(
        this.isServer()
          ? `tickRate can only change while no other peer is in the game (it has ${this.#peers.size}); set it before clients join`
          : `a client's tickRate is its host's while in the game (${this.#tickRate.rate}); set the rate on the host`,
      );
    }
    this.#tickRate.configure(hz);
  }

  /** Whether an automatic scheduler calls `poll()` (default true). Set false when your game loop calls it. */
  get autoPoll(): boolean {
    return this.#tick.auto;
  }

  set autoPoll(auto: boolean) {
    this.#tick.auto = auto;
  }

  /**
   * The host's time and tick number, on every peer (README, "Network clock"). Network ticks are
   * counted in it, so every peer's tick N happens at the same moment of the host's time.
   */
  get clock(): NetworkClock {
    return this.#clock.clock;
  }

  get uniqueId(): number {
    return this.#peer.uniqueId;
  }

  /**
   * Inside an RPC handler, the id of the peer that called it (your own id for a `call_local`
   * call); 0 elsewhere. Stays right after `await` in async handlers on V8 (Chrome, Edge, Node).
   */
  get remoteSenderId(): number {
    return currentSender(this.#instanceId);
  }

  /** What this API holds, for leak checks: peers, path cache entries, rejection and stale-baseline counters. */
  debugStats() {
    return {
      peers: this.#peers.size,
      pathCache: this.#paths.stats,
      ...this.#counters.stats,
      rateLimitedPeers: this.#limiter.trackedPeers,
      authenticating: this.#auth.pendingCount,
    };
  }

  /**
   * The statistics of the direct connection to `peerId`: round trip, jitter, rates and unreliable
   * loss each way, the network path, reconnects (README, "Connection statistics"). On the host for
   * each client, on a client for the host (1); null for anyone else, or on a transport that does
   * not measure (in-memory, offline).
   */
  getStats(peerId: number): ConnectionStats | null {
    if (!this.#peers.has(peerId)) return null;
    return this.#peer.getStats?.(peerId) ?? null;
  }

  /** How many packets from `peer` were rejected since it connected. */
  rejectionCount(peer: number): number {
    return this.#counters.rejections(peer);
  }

  /** How many states from `peer` came relative to a tick this peer had lost (`staleBaseline`), since it connected. */
  staleBaselineCount(peer: number): number {
    return this.#counters.staleBaselines(peer);
  }

  get connectionStatus(): ConnectionStatus {
    return this.#peer.connectionStatus;
  }

  /**
   * Resolves once this peer is in the game: at once on a host, on a client when
   * `connectedToServer` fires. Rejects with a ConnectionError carrying the reason when
   * `connectionFailed` fires instead, so an `await` never hangs on a join that failed.
   */
  whenConnected(): Promise<void> {
    if (this.isServer() || this.#peers.has(HOST_PEER_ID)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const stop = () => {
        offConnected();
        offFailed();
      };
      const offConnected = this.once("connectedToServer", () => {
        stop();
        resolve();
      });
      const offFailed = this.once("connectionFailed", (reason, message) => {
        stop();
        reject(new ConnectionError(reason, message));
      });
    });
  }

  isServer(): boolean {
    return this.#peer.uniqueId === HOST_PEER_ID;
  }

  /** Ids of every peer in the game except this one. */
  getPeers(): number[] {
    return [...this.#peers];
  }

  get refuseNewConnections(): boolean {
    return this.#peer.refuseNewConnections;
  }

  set refuseNewConnections(refuse: boolean) {
    this.#peer.refuseNewConnections = refuse;
  }

  /**
   * Turns authentication on (Godot's `auth_callback`): new peers stay pending, and only auth
   * messages pass, until both sides call `completeAuth`. The callback gets the other side's
   * `sendAuth` data. Set it on the host and on clients alike, before connecting.
   */
  get authCallback(): AuthCallback | null {
    return this.#auth.callback;
  }

  set authCallback(callback: AuthCallback | null) {
    this.#auth.callback = callback;
  }

  /** Milliseconds a peer may stay pending before it is dropped (default 3000). */
  get authTimeout(): number {
    return this.#auth.timeoutMs;
  }

  set authTimeout(ms: number) {
    this.#auth.timeoutMs = ms;
  }

  sendAuth(peer: number, data: Uint8Array): void {
    this.#auth.sendAuth(peer, data);
  }

  completeAuth(peer: number): void {
    this.#auth.complete(peer);
  }

  /** Host: per-client limits on messages and bytes per second, checked before any decoding. */
  get rateLimits(): RateLimits {
    return this.#limiter.limits;
  }

  set rateLimits(limits: RateLimits) {
    this.#limiter.limits = { ...limits };
  }

  /**
   * Sends raw bytes (Godot's `send_bytes`); they arrive as `peerPacket`. Target 0 is everyone,
   * a negative id everyone but that peer. A client's message to other clients goes through the
   * host as one packet however many it reaches.
   */
  sendBytes(data: Uint8Array, target = 0, options: SendOptions = {}): void {
    this.#sendPacket(encodeRaw(data), target, options.transfer ?? "reliable", options.channel ?? 0);
  }

  #sendPacket(packet: Uint8Array, target: number, transfer: TransferMode, channel: number): void {
    if (!Number.isInteger(target) || Math.abs(target) > MAX_PEER_ID) {
      throw new RangeError(`invalid target peer id ${target}`);
    }
    if (target === this.uniqueId) throw new RangeError("a peer cannot send to itself");
    if (packet.length > this.maxMessageBytes) {
      throw new RangeError(
        `message of ${packet.length} bytes exceeds maxMessageBytes (${this.maxMessageBytes}); it was not sent`,
      );
    }
    if (this.#peer.connectionStatus !== "connected") {
      console.warn(`starwire: not connected; packet to ${target} dropped`);
      return;
    }
    if (target > 0 && !this.#peers.has(target)) {
      console.warn(`starwire: peer ${target} is not in the game; packet dropped`);
      return;
    }
    if (this.isServer()) {
      const key = transfer === "reliable" ? null : latestKey(packet);
      // One peer (in the game, not this one: checked above), without a pass over every peer.
      if (target > 0) this.#peer.send(target, packet, transfer, channel, key);
      else
        for (const id of targetPeers(target, this.#peers, HOST_PEER_ID))
          this.#peer.send(id, packet, transfer, channel, key);
    } else {
      const outgoing = target === HOST_PEER_ID ? packet : encodeRelay(target, packet);
      this.#peer.send(
        HOST_PEER_ID,
        outgoing,
        transfer,
        channel,
        transfer === "reliable" ? null : latestKey(outgoing),
      );
    }
  }

  #onPeerConnected(id: number): void {
    if (this.isServer() || id === HOST_PEER_ID) {
      if (!this.#auth.begin(id)) this.#admit(id);
    }
  }

  /** The peer is in: the host tells everyone, then the events fire in Godot's order. */
  #admit(id: number): void {
    if (this.isServer()) {
      // First, so the client counts host ticks before anything it receives is stamped with one.
      this.#peer.send(id, encodeTickRate(this.tickRate), "reliable", 0);
      const notice = encodePeerNotice("addPeer", id);
      for (const other of this.#peers) {
        this.#peer.send(other, notice, "reliable", 0);
        this.#peer.send(id, encodePeerNotice("addPeer", other), "reliable", 0);
      }
      this.#peers.add(id);
      this.#peerAdded(id);
      this.emit("peerConnected", id);
    } else if (id === HOST_PEER_ID) {
      this.#peers.add(id);
      this.#peerAdded(id);
      this.emit("connectedToServer");
      this.emit("peerConnected", id);
    }
  }

  /** Authentication timed out: the host drops the client; a client gives up on the host. */
  #dropUnauthenticated(id: number): void {
    if (this.isServer()) {
      this.#peer.disconnectPeer(id);
      return;
    }
    this.#peer.attach(null);
    this.#peer.close();
  }

  #onPeerDisconnected(id: number): void {
    this.#limiter.forget(id);
    if (this.#auth.isPending(id)) {
      this.#counters.forgetRejections(id);
      return this.#auth.lost(id);
    }
    if (!this.#peers.has(id)) return;
    this.#peerRemoved(id);
    this.#counters.forget(id);
    if (this.isServer()) {
      this.#peers.delete(id);
      const notice = encodePeerNotice("delPeer", id);
      for (const other of this.#peers) this.#peer.send(other, notice, "reliable", 0);
      this.emit("peerDisconnected", id);
    } else if (id === HOST_PEER_ID) {
      this.#peers.clear();
      this.#counters.clear();
      this.#tickRate.leave();
      this.#resetSubsystems();
      this.emit("peerDisconnected", id);
      this.emit("serverDisconnected");
    }
  }

  /** The transport's news about a direct peer: the host passes it on to everyone else. */
  #onReconnectNotice(kind: "peerReconnecting" | "peerReconnected", id: number): void {
    if (!this.#peers.has(id)) return;
    if (this.isServer()) {
      const notice = encodePeerNotice(kind, id);
      for (const other of this.#peers) if (other !== id) this.#peer.send(other, notice, "reliable", 0);
    }
    this.emit(kind, id);
  }

  #onPacket(from: number, data: Uint8Array, transfer: TransferMode, channel: number): void {
    if (this.isServer() && !this.#limiter.allow(from, data.length) && !this.#owes(from, data)) {
      return this.#overLimit(from);
    }
    if (data.length === 0) return this.#reject(from, "malformed", "empty packet");
    if (hasUnknownFlags(data[0]!)) return this.#reject(from, "malformed", `unknown flags in ${data[0]}`);
    if (this.#auth.isPending(from)) return this.#onPendingPacket(from, data);
    if ((data[0]! & COMMAND_MASK) === Command.SYS)
      return this.#onSystemMessage(from, data, transfer, channel);
    this.#deliver(from, data, { transfer, channel, relayed: false });
  }

  /**
   * Host, for a client over its rate limit under the "drop" policy: whether its packet still
   * goes through, charged into debt. Only path id releases do (WIRE.md, "Path ids"): dropping one
   * would keep the id from being reused until one of the two peers left.
   */
  #owes(from: number, data: Uint8Array): boolean {
    return (
      this.#limiter.limits.policy === "drop" && isPathRelease(data) && this.#limiter.owe(from, data.length)
    );
  }

  #overLimit(from: number): void {
    this.#reject(from, "rate_limited", `peer ${from} exceeded its message or byte rate`);
    if (this.#limiter.limits.policy === "kick" && this.#peers.has(from)) this.#peer.disconnectPeer(from);
  }

  /** Before admission only auth messages pass. */
  #onPendingPacket(from: number, data: Uint8Array): void {
    const message = (data[0]! & COMMAND_MASK) === Command.SYS ? decodeSystemMessage(data) : null;
    if (!message || typeof message === "string" || message.kind !== "auth") {
      return this.#reject(from, "unauthenticated", `peer ${from} sent a packet before authenticating`);
    }
    this.#auth.receive(from, message.complete, message.data);
  }

  #onSystemMessage(from: number, data: Uint8Array, transfer: TransferMode, channel: number): void {
    const message = decodeSystemMessage(data);
    if (typeof message === "string") return this.#reject(from, "malformed", message);
    if (message.kind === "auth") return this.#reject(from, "forbidden", "auth message after authentication");
    const fromHost = from === HOST_PEER_ID;
    if (message.kind === "relay") {
      const inner = message.packet;
      if ((inner[0]! & COMMAND_MASK) === Command.SYS) {
        return this.#reject(from, "forbidden", "a relayed packet cannot be a system message");
      }
      return this.isServer()
        ? this.#clientRelay.relay(from, message.peer, inner, transfer, channel)
        : this.#deliverRelayed(from, message.peer, inner, { transfer, channel, relayed: true });
    }
    if (this.isServer() || !fromHost) {
      return this.#reject(from, "forbidden", `only the host sends ${message.kind} (from ${from})`);
    }
    if (message.kind === "tickRate") {
      const refused = this.#tickRate.adopt(message.rate);
      return refused ? this.#reject(from, refused.reason, refused.message) : undefined;
    }
    if (message.id < 2 || message.id > MAX_PEER_ID || message.id === this.uniqueId) {
      return this.#reject(from, "malformed", `peer notice names invalid id ${message.id}`);
    }
    if (message.kind === "peerReconnecting" || message.kind === "peerReconnected") {
      if (this.#peers.has(message.id)) this.emit(message.kind, message.id);
    } else if (message.kind === "addPeer" && !this.#peers.has(message.id)) {
      this.#peers.add(message.id);
      this.#peerAdded(message.id);
      this.emit("peerConnected", message.id);
    } else if (message.kind === "delPeer" && this.#peers.delete(message.id)) {
      this.#peerRemoved(message.id);
      this.#counters.forget(message.id);
      this.emit("peerDisconnected", message.id);
    }
  }

  #deliverRelayed(from: number, source: number, packet: Uint8Array, delivery: Delivery): void {
    if (from !== HOST_PEER_ID) return this.#reject(from, "forbidden", "only the host relays");
    if (source < 2 || source === this.uniqueId) {
      return this.#reject(from, "malformed", `relay names invalid source ${source}`);
    }
    this.#deliver(source, packet, delivery);
  }

  #deliver(from: number, packet: Uint8Array, delivery: Delivery): void {
    this.#check(from, packet, delivery)?.();
  }

  /** What a packet from `from` would do here, once checked; null when it was rejected. */
  #check(from: number, packet: Uint8Array, delivery: Delivery): (() => void) | null {
    if (hasUnknownFlags(packet[0]!)) {
      this.#reject(from, "malformed", `unknown flags in ${packet[0]}`);
      return null;
    }
    const subsystem = this.#byCommand.get(dispatchKey(packet[0]!));
    if (!subsystem) {
      this.#reject(from, "malformed", `unknown command ${packet[0]}`);
      return null;
    }
    return subsystem.check(from, packet, delivery);
  }

  #peerAdded(id: number): void {
    for (const subsystem of this.#subsystems) subsystem.peerAdded(id);
  }

  #peerRemoved(id: number): void {
    this.#paths.forget(id);
    for (const subsystem of this.#subsystems) subsystem.peerRemoved(id);
  }

  #resetSubsystems(): void {
    this.#paths.clear();
    for (const subsystem of this.#subsystems) subsystem.reset();
  }

  #reject(from: number, reason: Rejection["reason"], message: string): void {
    this.#onRejected({ from, reason, message });
  }

  #onRejected(rejection: Rejection): void {
    this.#counters.rejected(rejection.from);
    this.emit("rejected", rejection);
  }

  /** What the path protocol, the RPC interface and scene replication share from the API. */
  #createHost(): SubsystemHost {
    const api = this;
    return {
      get uniqueId() {
        return api.uniqueId;
      },
      root: this.root,
      paths: this.#paths,
      peers: () => this.#peers,
      send: (packet, target, transfer, channel) => this.#sendPacket(packet, target, transfer, channel),
      reject: (rejection) => this.#onRejected(rejection),
    };
  }

  #createPathSync(): PathSync {
    return new PathSync(
      withExtras(this.#host, {
        mayLearn: (path: string, peer: number) => this.#replication.mayLearn(path, peer),
        relayAs: (source: number, to: number, packet: Uint8Array) =>
          this.#peer.send(to, encodeRelay(source, packet), "reliable", 0),
        released: (from: number, id: number) => this.#replication.released(from, id),
        discardWaitingCalls: (to: number, source: number, ids: ReadonlySet<number>) => {
          // Keys as `latestKey` makes them: a relay's header names the source on the host's
          // relayed copies, and the target on a client's own calls to other clients.
          const relay = source !== this.uniqueId ? source : this.isServer() ? null : "any";
          this.#peer.discardWaiting(to, (key) => keyNamesNode(key, ids, relay));
        },
      }),
    );
  }

  #createReplication(): SceneReplication {
    const api = this;
    return new SceneReplication(
      withExtras(this.#host, {
        pathSync: this.#pathSync,
        // Read when used: the clock and the tick are built after this subsystem.
        clock: {
          now: () => api.clock.now(),
          get synchronized() {
            return api.clock.synchronized;
          },
        },
        get tickRate() {
          return api.tickRate;
        },
        baselineLost: (from: number) => {
          this.#counters.staleBaseline(from);
          this.emit("staleBaseline", from);
        },
      }),
    );
  }

  #createRpcInterface(): RpcInterface {
    return new RpcInterface(
      withExtras(this.#host, {
        instanceId: this.#instanceId,
        pathSync: this.#pathSync,
        rpcVisible: (node: NetNode, peer: number) => this.#replication.isRpcVisible(node, peer),
      }),
    );
  }
}
