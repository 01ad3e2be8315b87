import { HOST_PEER_ID, MAX_PEER_ID, normalizeRoomCode, ROOM_CODE_ALPHABET } from "../signaling/protocol.js";
import { ConnectionError, type TransferMode } from "./multiplayer-peer.js";
import { type ClientOptions, type CreatedRoom, type ServerOptions, StarPeer } from "./star-peer.js";
import { ChannelSender, type SendableChannel } from "./webrtc/channel-sender.js";

interface MemoryRoom {
  readonly host: MemoryMultiplayerPeer;
  readonly maxPlayers: number;
  readonly password: string | undefined;
  readonly clients: Map<number, MemoryMultiplayerPeer>;
}

/**
 * Rooms for in-memory peers of one process: the stand-in for the signaling server and the network
 * in unit tests of everything above the transport. Delivery is asynchronous and ordered per link.
 */
export class MemoryNetwork {
  readonly rooms = new Map<string, MemoryRoom>();
  /**
   * Milliseconds a packet from `from` takes to reach `to` (default none: the next microtask), for
   * tests that need time on the wire (the network clock's, say). Asked per packet, so it may
   * jitter; reliable packets still arrive in order. A packet in flight when its link is cut is lost.
   */
  latency: ((from: number, to: number, transfer: TransferMode) => number) | null = null;

  /**
   * Cuts a connected client's link to its host, as a network drop would: both ends report
   * `peerReconnecting`, reliable messages either way wait, unreliable ones are lost.
   */
  interrupt(client: MemoryMultiplayerPeer): void {
    client.interruptLink();
  }

  /**
   * Congests `from`'s unreliable channels to `to`, as a saturated data channel would: from now on
   * its unreliable messages wait in WebRTC's newest-wins queue (the newest per key; those without
   * a key are dropped) until `drain`. Reliable messages still go.
   */
  congest(from: MemoryMultiplayerPeer, to: number): void {
    from.congestLink(to, true);
  }

  /** The congested channels from `from` to `to` drain: what waited goes out, oldest kind first. */
  drain(from: MemoryMultiplayerPeer, to: number): void {
    from.congestLink(to, false);
  }

  /** Brings an interrupted link back: `peerReconnected` on both ends, then what waited, in order. */
  restore(client: MemoryMultiplayerPeer): void {
    client.restoreLink();
  }

  /** @internal */
  openRoom(host: MemoryMultiplayerPeer, maxPlayers: number, password?: string): string {
    let code: string;
    do code = randomCode();
    while (this.rooms.has(code));
    this.rooms.set(code, { host, maxPlayers, password, clients: new Map() });
    return code;
  }
}

/** A MultiplayerPeer whose connections live in memory. Same lifecycle as WebRTCMultiplayerPeer. */
export class MemoryMultiplayerPeer extends StarPeer {
  readonly #network: MemoryNetwork;
  readonly #links = new Map<number, MemoryMultiplayerPeer>();
  /** Links that are interrupted, with the reliable messages waiting to cross them. */
  readonly #held = new Map<number, Array<[Uint8Array, TransferMode, number]>>();
  /** Reliable packets on their way with a latency, per destination, in sending order. */
  readonly #inFlight = new Map<number, Array<[at: number, deliver: () => void]>>();
  /** Unreliable senders to congested links, per destination and lane ("transfer/channel"). */
  readonly #congested = new Map<number, Map<string, { sender: ChannelSender; channel: MemoryChannel }>>();
  #roomCode: string | null = null;

  constructor(network: MemoryNetwork) {
    super();
    this.#network = network;
  }

  get roomCode(): string | null {
    return this.#roomCode;
  }

  async createServer(options: ServerOptions): Promise<CreatedRoom> {
    this.#assertFresh();
    this.#roomCode = this.#network.openRoom(this, options.maxPlayers, options.password);
    this.setState("connected", HOST_PEER_ID);
    return { roomCode: this.#roomCode };
  }

  async createClient(roomCode: string, options: ClientOptions = {}): Promise<void> {
    this.#assertFresh();
    const code = normalizeRoomCode(roomCode);
    const room = this.#network.rooms.get(code);
    const refusal = !room
      ? new ConnectionError("no_such_room", `no room with code ${code}`)
      : room.password !== undefined && room.password !== options.password
        ? new ConnectionError("wrong_password", `wrong password for room ${code}`)
        : room.host.refuseNewConnections
          ? new ConnectionError("room_refusing", `room ${code} is not accepting new players`)
          : room.clients.size >= room.maxPlayers
            ? new ConnectionError("room_full", `room ${code} is full`)
            : null;
    if (refusal || !room) {
      this.reportConnectionFailed(refusal!.reason, refusal!.message);
      throw refusal;
    }
    let id: number;
    do id = 2 + Math.floor(Math.random() * (MAX_PEER_ID - 1));
    while (room.clients.has(id));
    room.clients.set(id, this);
    this.#roomCode = code;
    this.setState("connecting", id);
    setTimeout(() => this.#completeConnection(room), 0);
  }

  send(
    to: number,
    data: Uint8Array,
    transfer: TransferMode,
    channel: number,
    key: string | null = null,
  ): void {
    const remote = this.#links.get(to);
    if (!remote) return;
    const held = this.#held.get(to);
    if (held) {
      if (transfer === "reliable") held.push([data.slice(), transfer, channel]);
      return;
    }
    const congested = this.#congested.get(to);
    if (congested && transfer !== "reliable") {
      this.#congestedLane(congested, to, transfer, channel).send(data, key);
      return;
    }
    this.#transmit(to, remote, data, transfer, channel);
  }

  discardWaiting(to: number, matches: (key: string) => boolean): void {
    for (const { sender } of this.#congested.get(to)?.values() ?? []) sender.discardWaiting(matches);
  }

  /** @internal MemoryNetwork.congest and drain */
  congestLink(to: number, congested: boolean): void {
    if (congested) {
      if (!this.#congested.has(to)) this.#congested.set(to, new Map());
      return;
    }
    const lanes = this.#congested.get(to);
    this.#congested.delete(to);
    for (const { channel } of lanes?.values() ?? []) channel.drain();
  }

  #congestedLane(
    lanes: Map<string, { sender: ChannelSender; channel: MemoryChannel }>,
    to: number,
    transfer: TransferMode,
    channelNumber: number,
  ): ChannelSender {
    const lane = `${transfer}/${channelNumber}`;
    let entry = lanes.get(lane);
    if (!entry) {
      const channel = new MemoryChannel((data) => {
        const remote = this.#links.get(to);
        if (remote && !this.#held.has(to)) this.#transmit(to, remote, data, transfer, channelNumber);
      });
      entry = { sender: new ChannelSender(channel, false), channel };
      lanes.set(lane, entry);
    }
    return entry.sender;
  }

  #transmit(
    to: number,
    remote: MemoryMultiplayerPeer,
    data: Uint8Array,
    transfer: TransferMode,
    channel: number,
  ): void {
    const copy = data.slice();
    const from = this.uniqueId;
    const deliver = () => {
      if (remote.#links.get(from) === this) remote.reportPacket(from, copy, transfer, channel);
    };
    const delay = this.#network.latency?.(from, to, transfer) ?? 0;
    if (delay > 0) this.#later(to, delay, transfer === "reliable", deliver);
    else queueMicrotask(deliver);
  }

  /** Delivers after `delay` ms; a reliable packet never overtakes an earlier reliable one to `to`. */
  #later(to: number, delay: number, ordered: boolean, deliver: () => void): void {
    const now = performance.now();
    if (!ordered) {
      setTimeout(deliver, delay);
      return;
    }
    const queue = this.#inFlight.get(to) ?? [];
    this.#inFlight.set(to, queue);
    const entry: [number, () => void] = [Math.max(now + delay, queue.at(-1)?.[0] ?? 0), deliver];
    queue.push(entry);
    // Each timer delivers its packet and any earlier one still waiting (timers round their delays).
    setTimeout(() => {
      const index = queue.indexOf(entry);
      for (const [, earlier] of index < 0 ? [] : queue.splice(0, index + 1)) earlier();
    }, entry[0] - now);
  }

  disconnectPeer(id: number): void {
    const remote = this.#links.get(id);
    if (!remote || this.uniqueId !== HOST_PEER_ID) return;
    this.#unlink(remote);
    this.reportPeerDisconnected(id);
  }

  close(): void {
    const room = this.#roomCode ? this.#network.rooms.get(this.#roomCode) : undefined;
    if (room?.host === this) {
      this.#network.rooms.delete(this.#roomCode!);
      for (const client of room.clients.values()) {
        if (client.connectionStatus === "connecting") {
          client.#fail("host_left", "the host closed the room");
        }
      }
    } else {
      room?.clients.delete(this.uniqueId);
    }
    for (const remote of [...this.#links.values()]) this.#unlink(remote);
    this.dropPendingEvents();
    this.setState("disconnected");
  }

  protected refuseNewConnectionsChanged(): void {}

  /** @internal MemoryNetwork.interrupt */
  interruptLink(): void {
    const host = this.#links.get(HOST_PEER_ID);
    if (!host || this.#held.has(HOST_PEER_ID)) return;
    const id = this.uniqueId;
    this.#held.set(HOST_PEER_ID, []);
    host.#held.set(id, []);
    queueMicrotask(() => {
      this.reportPeerReconnecting(HOST_PEER_ID);
      host.reportPeerReconnecting(id);
    });
  }

  /** @internal MemoryNetwork.restore */
  restoreLink(): void {
    const host = this.#links.get(HOST_PEER_ID);
    const toHost = this.#held.get(HOST_PEER_ID);
    if (!host || !toHost) return;
    const id = this.uniqueId;
    const toClient = host.#held.get(id) ?? [];
    this.#held.delete(HOST_PEER_ID);
    host.#held.delete(id);
    queueMicrotask(() => {
      this.reportPeerReconnected(HOST_PEER_ID);
      host.reportPeerReconnected(id);
      for (const [data, transfer, channel] of toHost) this.send(HOST_PEER_ID, data, transfer, channel);
      for (const [data, transfer, channel] of toClient) host.send(id, data, transfer, channel);
    });
  }

  #completeConnection(room: MemoryRoom): void {
    if (this.connectionStatus !== "connecting" || room.clients.get(this.uniqueId) !== this) return;
    this.#links.set(HOST_PEER_ID, room.host);
    room.host.#links.set(this.uniqueId, this);
    this.setState("connected");
    this.reportPeerConnected(HOST_PEER_ID);
    room.host.reportPeerConnected(this.uniqueId);
  }

  /** Cuts the link both ways; the remote side learns of it after packets already in flight. */
  #unlink(remote: MemoryMultiplayerPeer): void {
    const remoteId = [...this.#links].find(([, peer]) => peer === remote)?.[0];
    if (remoteId === undefined) return;
    const ownId = this.uniqueId;
    this.#links.delete(remoteId);
    remote.#links.delete(ownId);
    this.#held.delete(remoteId);
    remote.#held.delete(ownId);
    this.#congested.delete(remoteId);
    remote.#congested.delete(ownId);
    if (ownId === HOST_PEER_ID && this.#roomCode)
      this.#network.rooms.get(this.#roomCode)?.clients.delete(remoteId);
    if (remoteId === HOST_PEER_ID && remote.#roomCode) {
      remote.#network.rooms.get(remote.#roomCode)?.clients.delete(ownId);
    }
    queueMicrotask(() => {
      if (remoteId === HOST_PEER_ID) remote.reportPeerDisconnected(ownId);
      else {
        remote.setState("disconnected");
        remote.reportPeerDisconnected(HOST_PEER_ID);
      }
    });
  }

  #fail(reason: "host_left", message: string): void {
    this.setState("disconnected");
    this.reportConnectionFailed(reason, message);
  }

  #assertFresh(): void {
    if (this.connectionStatus !== "disconnected" || this.#roomCode !== null) {
      throw new Error("this peer was already used; create a new MemoryMultiplayerPeer");
    }
  }
}

/** A data channel that stands in for a congested one: its buffer stays full until it drains. */
class MemoryChannel implements SendableChannel {
  readonly readyState: RTCDataChannelState = "open";
  bufferedAmount = Number.MAX_SAFE_INTEGER;
  bufferedAmountLowThreshold = 0;
  onbufferedamountlow: ((this: RTCDataChannel, event: Event) => unknown) | null = null;

  constructor(readonly send: (data: Uint8Array) => void) {}

  drain(): void {
    this.bufferedAmount = 0;
    this.onbufferedamountlow?.call(this as unknown as RTCDataChannel, new Event("bufferedamountlow"));
  }
}

function randomCode(): string {
  let code = "";
  for (let i = 0; i < 6; i++)
    code += ROOM_CODE_ALPHABET[Math.floor(Math.random() * ROOM_CODE_ALPHABET.length)];
  return code;
}
