import type { SignalData } from "../../signaling/protocol.js";
import type { TransferMode } from "../multiplayer-peer.js";

/** The part of simple-peer's instance Starwire uses. */
export interface SimplePeerInstance {
  _pc: RTCPeerConnection;
  signal(data: SignalData): void;
  on(event: "signal", listener: (data: { type?: string }) => void): unknown;
  on(event: "error", listener: (error: Error & { code?: string }) => void): unknown;
  on(event: "close", listener: () => void): unknown;
  destroy(): void;
}

export interface WebRTCImplementation {
  RTCPeerConnection: unknown;
  RTCSessionDescription: unknown;
  RTCIceCandidate: unknown;
}

export interface SimplePeerOptions {
  initiator: boolean;
  config: RTCConfiguration;
  trickle: boolean;
  wrtc?: WebRTCImplementation;
}

export type SimplePeerConstructor = new (options: SimplePeerOptions) => SimplePeerInstance;

/**
 * The three negotiated channels of every connection. Negotiated ids avoid a second round of
 * in-band channel announcements; simple-peer's own channel (which it needs to start) is unused.
 */
const CHANNELS: ReadonlyArray<{ transfer: TransferMode; id: number; init: RTCDataChannelInit }> = [
  { transfer: "reliable", id: 10, init: { ordered: true } },
  { transfer: "unreliable", id: 11, init: { ordered: false, maxRetransmits: 0 } },
  { transfer: "unreliable_ordered", id: 12, init: { ordered: true, maxRetransmits: 0 } },
];

export type ConnectionEnd = { kind: "closed" } | { kind: "failed"; ice: boolean; message: string };

export interface ConnectionCallbacks {
  signal(data: SignalData): void;
  open(): void;
  packet(data: Uint8Array, transfer: TransferMode): void;
  end(end: ConnectionEnd): void;
}

/**
 * One WebRTC connection between the host and one client. Open only when every channel is open;
 * messages that arrive on one channel before the others are open are held until then.
 */
export class PeerConnection {
  readonly #peer: SimplePeerInstance;
  readonly #channels = new Map<TransferMode, RTCDataChannel>();
  readonly #callbacks: ConnectionCallbacks;
  #held: Array<[Uint8Array, TransferMode]> | null = [];
  #ended = false;

  constructor(SimplePeer: SimplePeerConstructor, options: SimplePeerOptions, callbacks: ConnectionCallbacks) {
    this.#callbacks = callbacks;
    this.#peer = new SimplePeer(options);
    this.#peer.on("signal", (data) => {
      if (data.type === "offer" || data.type === "answer" || data.type === "candidate") {
        callbacks.signal(data as SignalData);
      }
    });
    this.#peer.on("error", (error) => {
      const ice = error.code === "ERR_ICE_CONNECTION_FAILURE" || error.code === "ERR_CONNECTION_FAILURE";
      this.#end({ kind: "failed", ice, message: error.message });
    });
    this.#peer.on("close", () => this.#end({ kind: "closed" }));
    for (const { transfer, id, init } of CHANNELS) {
      const channel = this.#peer._pc.createDataChannel(transfer, { ...init, negotiated: true, id });
      channel.binaryType = "arraybuffer";
      channel.onopen = () => this.#channelOpened();
      channel.onclose = () => this.#end({ kind: "closed" });
      channel.onmessage = (event: MessageEvent) => this.#received(event.data, transfer);
      this.#channels.set(transfer, channel);
    }
  }

  /** Whether every channel opened at some point; stays true after the connection ends. */
  get opened(): boolean {
    return this.#held === null;
  }

  signal(data: SignalData): void {
    if (this.#ended) return;
    try {
      this.#peer.signal(data);
    } catch (error) {
      this.#end({ kind: "failed", ice: false, message: `bad signal: ${(error as Error).message}` });
    }
  }

  /** Sends if the channel is open; a channel that is going down drops the message (its close follows). */
  send(data: Uint8Array, transfer: TransferMode): void {
    const channel = this.#channels.get(transfer);
    if (this.#ended || !this.opened || channel?.readyState !== "open") return;
    try {
      channel.send(data as Uint8Array<ArrayBuffer>);
    } catch {
      // The channel closed between the check and the send; its onclose reports the end.
    }
  }

  /** Closes without reporting: the owner already knows. */
  destroy(): void {
    this.#ended = true;
    this.#teardown();
  }

  #channelOpened(): void {
    if (this.#ended || this.#held === null) return;
    for (const channel of this.#channels.values()) if (channel.readyState !== "open") return;
    const held = this.#held;
    this.#held = null;
    this.#callbacks.open();
    for (const [data, transfer] of held) if (!this.#ended) this.#callbacks.packet(data, transfer);
  }

  #received(data: unknown, transfer: TransferMode): void {
    if (this.#ended) return;
    const bytes = toBytes(data);
    if (!bytes) return; // text frames are not part of the protocol
    if (this.#held) this.#held.push([bytes, transfer]);
    else this.#callbacks.packet(bytes, transfer);
  }

  #end(end: ConnectionEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#teardown();
    this.#callbacks.end(end);
  }

  #teardown(): void {
    for (const channel of this.#channels.values()) {
      channel.onopen = channel.onclose = channel.onmessage = null;
      channel.close();
    }
    this.#peer.destroy();
  }
}

function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}
