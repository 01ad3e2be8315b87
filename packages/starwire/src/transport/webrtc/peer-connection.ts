import type { SessionDescriptionSignal, SignalData } from "../../signaling/protocol.js";
import type { CandidateType, ConnectionPath, TransferMode } from "../multiplayer-peer.js";
import { ChannelOverflowError, ChannelSender } from "./channel-sender.js";
import { type ConditionedChannel, LinkConditioner, type NetworkConditions } from "./conditioner.js";
import { FRAGMENT_CHUNK_BYTES, Reassembler } from "./fragments.js";
import type { IceReport, TrafficCounters } from "./link-stats.js";

/** The part of simple-peer's instance Starwire uses. */
export interface SimplePeerInstance {
  _pc: RTCPeerConnection & { addEventListener?: RTCPeerConnection["addEventListener"] };
  /** simple-peer's 5 s "ICE complete" timer, which its destroy() forgets to clear. */
  _iceCompleteTimer?: ReturnType<typeof setTimeout> | null;
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
 * Every connection has three negotiated channels for channel 0, one per transfer mode, then one
 * per extra channel the game declared. Negotiated ids avoid in-band channel announcements;
 * simple-peer's own channel (which it needs to start) is unused.
 */
const FIRST_CHANNEL_ID = 10;
const BUILT_IN: readonly TransferMode[] = ["reliable", "unreliable", "unreliable_ordered"];
const INIT: Record<TransferMode, RTCDataChannelInit> = {
  reliable: { ordered: true },
  unreliable: { ordered: false, maxRetransmits: 0 },
  unreliable_ordered: { ordered: true, maxRetransmits: 0 },
};

export type ConnectionEnd =
  | { kind: "closed" }
  | { kind: "failed"; ice: boolean; message: string }
  /** The other side broke the protocol: it is not given another connection. */
  | { kind: "violation"; message: string };

export interface ConnectionCallbacks {
  signal(data: SignalData): void;
  open(): void;
  packet(data: Uint8Array, transfer: TransferMode, channel: number): void;
  end(end: ConnectionEnd): void;
}

/** Where a message goes: channel 0 by transfer mode, channel n ≥ 1 on its own data channel. */
interface Lane {
  transfer: TransferMode;
  channel: number;
}

/**
 * One WebRTC connection between the host and one client. Open only when every channel is open;
 * messages that arrive on one channel before the others are open are held until then.
 */
export class PeerConnection {
  readonly #peer: SimplePeerInstance;
  /** Index 0–2: channel 0's reliable, unreliable and unreliable-ordered; then extra channel 1, 2… */
  readonly #channels: RTCDataChannel[] = [];
  readonly #senders: ChannelSender[] = [];
  readonly #callbacks: ConnectionCallbacks;
  readonly #lanes: readonly Lane[];
  readonly #maxMessageBytes: number;
  /** The offering side's own candidates, until the answer is applied (see the constructor). */
  #holdingCandidates: SignalData[] | null;
  #held: Array<[Uint8Array, Lane]> | null = [];
  #ended = false;
  /** Remote candidates other than relays are ignored (see `signal`). */
  readonly #relayOnly: boolean;
  /** The network conditioner, only while conditions are set (nothing stands in the way otherwise). */
  #conditioner: LinkConditioner | null = null;
  #conditions: NetworkConditions | null = null;
  #receivedMessages = 0;
  #receivedBytes = 0;
  #unreliableReceived = 0;

  constructor(
    SimplePeer: SimplePeerConstructor,
    options: SimplePeerOptions,
    extraChannels: readonly TransferMode[],
    maxMessageBytes: number,
    callbacks: ConnectionCallbacks,
  ) {
    this.#callbacks = callbacks;
    this.#lanes = [
      ...BUILT_IN.map((transfer) => ({ transfer, channel: 0 })),
      ...extraChannels.map((transfer, i) => ({ transfer, channel: i + 1 })),
    ];
    this.#maxMessageBytes = maxMessageBytes;
    this.#peer = new SimplePeer(options);
    // No ICE check may reach the offering side before it has applied the answer: libdatachannel
    // hands an answer to ICE before it stores it, so a DTLS handshake that starts in between meets
    // an empty fingerprint ("unknown CA"). So the descriptions travel without candidates, and the
    // offering side trickles its own only once the answer is in; the answering side's arrive after
    // its answer (simple-peer holds candidates until the remote description is set).
    this.#holdingCandidates = options.initiator ? [] : null;
    this.#peer.on("signal", (data) => {
      if (data.type === "offer" || data.type === "answer") {
        const { type, sdp } = data as SessionDescriptionSignal;
        const sent = withoutCandidates(sdp);
        callbacks.signal({ type, sdp: type === "offer" ? claimingDtlsClient(sent) : sent });
      } else if (data.type === "candidate") {
        if (this.#holdingCandidates) this.#holdingCandidates.push(data as SignalData);
        else callbacks.signal(data as SignalData);
      }
    });
    this.#peer.on("error", (error) => {
      const ice = error.code === "ERR_ICE_CONNECTION_FAILURE" || error.code === "ERR_CONNECTION_FAILURE";
      this.#end({ kind: "failed", ice, message: error.message });
    });
    this.#peer.on("close", () => this.#end({ kind: "closed" }));
    // simple-peer ignores a connection that only reports connectionState "closed"; nothing would
    // end the attempt then.
    const pc = this.#peer._pc;
    // node-datachannel's polyfill reads the live state: by the time its "failed" event runs, the
    // connection may already say "closed", and the ICE "closed" event may never come.
    const ended = () => {
      const state = pc.connectionState;
      if (state === "closed" || state === "failed" || pc.iceConnectionState === "closed") {
        this.#end({ kind: "failed", ice: true, message: `connection ${state}` });
      }
    };
    this.#relayOnly = options.config.iceTransportPolicy === "relay" && isNodeDataChannel(pc);
    pc.addEventListener?.("connectionstatechange", ended);
    pc.addEventListener?.("iceconnectionstatechange", ended);
    // The answering side creates its channels once the offer is applied: created earlier,
    // libdatachannel makes the answerer negotiate an offer of its own (both sides then start ICE
    // as controlling).
    if (options.initiator) this.#createChannels();
  }

  #createChannels(): void {
    this.#lanes.forEach((lane, index) => {
      const label = lane.channel === 0 ? lane.transfer : `channel ${lane.channel} ${lane.transfer}`;
      const id = FIRST_CHANNEL_ID + index;
      const channel = this.#peer._pc.createDataChannel(label, {
        ...INIT[lane.transfer],
        negotiated: true,
        id,
      });
      channel.binaryType = "arraybuffer";
      channel.onopen = () => this.#channelOpened();
      channel.onclose = () => this.#end({ kind: "closed" });
      const reliable = lane.transfer === "reliable";
      const reassembler = reliable ? new Reassembler(this.#maxMessageBytes) : null;
      channel.onmessage = (event: MessageEvent) => this.#received(event.data, lane, reassembler);
      this.#channels.push(channel);
      this.#senders.push(new ChannelSender(channel, reliable));
    });
    if (this.#conditions) this.conditions = this.#conditions;
  }

  /**
   * Emulated network conditions for what this side sends (`normalizeConditions`d; null: none).
   * Removing them delivers what they held at once, in order.
   */
  set conditions(conditions: NetworkConditions | null) {
    this.#conditions = conditions;
    if (this.#ended || this.#channels.length === 0) return;
    if (conditions && this.#conditioner) {
      this.#conditioner.conditions = conditions;
    } else if (conditions) {
      const conditioner = new LinkConditioner(conditions, (message) =>
        this.#end({ kind: "failed", ice: false, message }),
      );
      this.#conditioner = conditioner;
      this.#senders.forEach((sender, index) => {
        sender.useChannel(conditioner.wrap(sender.channel, this.#lanes[index]!.transfer));
      });
    } else if (this.#conditioner) {
      const conditioner = this.#conditioner;
      this.#conditioner = null;
      conditioner.flush();
      for (const sender of this.#senders) sender.useChannel((sender.channel as ConditionedChannel).channel);
    }
  }

  /** What this connection has carried so far. */
  traffic(): TrafficCounters {
    let sentBytes = this.#conditioner?.duplicatedBytes ?? 0;
    let sentMessages = this.#conditioner?.duplicatedMessages ?? 0;
    let unreliableSent = sentMessages;
    let unreliableDropped = 0;
    this.#senders.forEach((sender, index) => {
      sentBytes += sender.sentBytes;
      sentMessages += sender.sentMessages;
      if (this.#lanes[index]!.transfer !== "reliable") {
        unreliableSent += sender.sentMessages;
        unreliableDropped += sender.dropped;
      }
    });
    return {
      sentBytes,
      sentMessages,
      receivedBytes: this.#receivedBytes,
      receivedMessages: this.#receivedMessages,
      unreliableSent,
      unreliableReceived: this.#unreliableReceived,
      unreliableDropped,
    };
  }

  /** Unreliable messages sent so far (for a heartbeat: cheaper than the whole `traffic()`). */
  get unreliableSent(): number {
    let sent = this.#conditioner?.duplicatedMessages ?? 0;
    this.#senders.forEach((sender, index) => {
      if (this.#lanes[index]!.transfer !== "reliable") sent += sender.sentMessages;
    });
    return sent;
  }

  get unreliableReceived(): number {
    return this.#unreliableReceived;
  }

  /** The selected candidate pair, from the platform's getStats(); nothing when it has none yet. */
  async ice(): Promise<IceReport> {
    const pc = this.#peer._pc;
    if (this.#ended || typeof pc.getStats !== "function") return { rttMs: null, path: null };
    const report = await pc.getStats();
    return readIceReport(report, isNodeDataChannel(pc));
  }

  /** Whether every channel opened at some point; stays true after the connection ends. */
  get opened(): boolean {
    return this.#held === null;
  }

  signal(data: SignalData): void {
    if (this.#ended || data.type === "renegotiate") return;
    // One offer per connection (channels are negotiated, nothing is renegotiated): answering a
    // second would spend our signaling budget for whoever sent it.
    if (data.type === "offer" && this.#channels.length > 0) return;
    // libdatachannel gathers only relay candidates under iceTransportPolicy "relay" but still
    // checks pairs from its own address to the other side's direct candidates, which would show
    // that address to the host. Without them, only the relay can carry the checks.
    if (data.type === "candidate" && this.#relayOnly && !isRelayCandidate(data)) return;
    try {
      this.#peer.signal(data);
      if (data.type === "offer" && this.#channels.length === 0) this.#createChannels();
      if (data.type === "answer" && this.#holdingCandidates) {
        const held = this.#holdingCandidates;
        this.#holdingCandidates = null;
        for (const candidate of held) this.#callbacks.signal(candidate);
      }
    } catch (error) {
      this.#end({ kind: "failed", ice: false, message: `bad signal: ${(error as Error).message}` });
    }
  }

  /**
   * Sends if the channel is open; a channel that is going down drops the message (its close
   * follows). `key` names what an unreliable message updates, so the newest of its kind wins.
   */
  send(data: Uint8Array, transfer: TransferMode, channelNumber: number, key: string | null): void {
    const index = channelNumber === 0 ? BUILT_IN.indexOf(transfer) : 2 + channelNumber;
    const channel = this.#channels[index];
    if (this.#ended || !this.opened || channel?.readyState !== "open") return;
    try {
      this.#senders[index]!.send(data, key);
    } catch (error) {
      if (error instanceof RangeError) throw error; // the caller's mistake: say so where it was made
      const message = error instanceof ChannelOverflowError ? error.message : "send failed";
      this.#end({ kind: "failed", ice: false, message });
    }
  }

  /** Drops the unreliable messages waiting in any channel's newest-wins queue whose key `matches`. */
  discardWaiting(matches: (key: string) => boolean): void {
    for (const sender of this.#senders) sender.discardWaiting(matches);
  }

  /** Unreliable messages dropped or waiting (newest wins), and reliable bytes waiting to be sent. */
  get sendStats(): {
    unreliableDropped: number;
    unreliableWaitingBytes: number;
    reliableQueuedBytes: number;
    bufferedBytes: number;
  } {
    let unreliableDropped = 0;
    let unreliableWaitingBytes = 0;
    let reliableQueuedBytes = 0;
    for (const sender of this.#senders) {
      unreliableDropped += sender.dropped;
      unreliableWaitingBytes += sender.waitingUnreliable.bytes;
      reliableQueuedBytes += sender.queuedBytes;
    }
    const bufferedBytes = this.#channels.reduce((sum, channel) => sum + channel.bufferedAmount, 0);
    return { unreliableDropped, unreliableWaitingBytes, reliableQueuedBytes, bufferedBytes };
  }

  /** Ends the connection as the other side's fault (a bad link frame, say) and reports it. */
  violated(message: string): void {
    this.#end({ kind: "violation", message });
  }

  /** Closes without reporting: the owner already knows. */
  destroy(): void {
    this.#ended = true;
    this.#teardown();
  }

  #channelOpened(): void {
    if (this.#ended || this.#held === null || this.#channels.length === 0) return;
    for (const channel of this.#channels) if (channel.readyState !== "open") return;
    const held = this.#held;
    this.#held = null;
    this.#callbacks.open();
    for (const [data, lane] of held)
      if (!this.#ended) this.#callbacks.packet(data, lane.transfer, lane.channel);
  }

  #received(data: unknown, lane: Lane, reassembler: Reassembler | null): void {
    if (this.#ended) return;
    const raw = toBytes(data);
    if (!raw) return; // text frames are not part of the protocol
    this.#receivedMessages++;
    this.#receivedBytes += raw.length;
    if (!reassembler) this.#unreliableReceived++;
    const bytes = reassembler
      ? reassembler.accept(raw)
      : raw.length > FRAGMENT_CHUNK_BYTES
        ? `an unreliable message of ${raw.length} bytes (senders keep them within ${FRAGMENT_CHUNK_BYTES})`
        : raw;
    if (bytes === null) return;
    if (typeof bytes === "string") {
      // Broken framing cannot be resynchronised on a reliable channel, and no Starwire peer sends
      // an oversized unreliable message: either way the peer goes.
      this.#end({ kind: "violation", message: `protocol violation: ${bytes}` });
      return;
    }
    if (this.#held) this.#held.push([bytes, lane]);
    else this.#callbacks.packet(bytes, lane.transfer, lane.channel);
  }

  #end(end: ConnectionEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#teardown();
    this.#callbacks.end(end);
  }

  #teardown(): void {
    this.#conditioner?.destroy();
    this.#conditioner = null;
    for (const channel of this.#channels) {
      channel.onopen = channel.onclose = channel.onmessage = null;
      channel.close();
    }
    this.#peer.destroy();
    // Left running, that timer keeps a Node process alive 5 s after its last connection closed.
    clearTimeout(this.#peer._iceCompleteTimer ?? undefined);
  }
}

/** The description without its candidate lines: every candidate also travels on its own. */
function withoutCandidates(sdp: string): string {
  return sdp
    .split("\r\n")
    .filter((line) => !line.startsWith("a=candidate:") && line !== "a=end-of-candidates")
    .join("\r\n");
}

/**
 * The offering side (always a client) takes the DTLS client role, so the host is the DTLS server.
 * libdatachannel (Node) can deadlock a DTLS server whose own path goes through a TURN relay: its
 * ICE thread starts the handshake while holding the ICE lock, as a worker thread that already
 * holds the DTLS lock answers an early ClientHello through the relay and waits for the ICE lock
 * (libdatachannel PR #1630, not in the node-datachannel we use). A DTLS client receives nothing
 * before its own ClientHello, so a relaying Node client is safe; the remaining case is a Node host
 * that relays itself (README, "Relay-only in Node"). The offer says `active` instead of JSEP's
 * `actpass`: Chromium and libdatachannel then answer `passive`.
 */
function claimingDtlsClient(sdp: string): string {
  return sdp.replaceAll("a=setup:actpass", "a=setup:active");
}

function isRelayCandidate(data: SignalData): boolean {
  const { candidate } = data as { candidate?: { candidate?: string } };
  return / typ relay(?: |$)/.test(candidate?.candidate ?? "");
}

/** node-datachannel's polyfill: its pair's round trip is SCTP's, in ms rather than the standard's seconds. */
function isNodeDataChannel(pc: RTCPeerConnection): boolean {
  return typeof (pc as { selectedCandidatePair?: unknown }).selectedCandidatePair === "function";
}

const CANDIDATE_TYPES: readonly string[] = ["host", "srflx", "prflx", "relay"];
const RELAY_PROTOCOLS: readonly string[] = ["udp", "tcp", "tls"];

/** The selected candidate pair of a getStats() report: its round trip and the path. */
export function readIceReport(report: RTCStatsReport, roundTripInMs = false): IceReport {
  // biome-ignore lint/suspicious/noExplicitAny: stats entries are loosely typed dictionaries
  const entries = new Map<string, any>();
  report.forEach((entry, id) => {
    entries.set(id, entry);
  });
  let pair:
    | { localCandidateId?: string; remoteCandidateId?: string; currentRoundTripTime?: number }
    | undefined;
  for (const entry of entries.values()) {
    if (entry.type === "transport" && entry.selectedCandidatePairId)
      pair = entries.get(entry.selectedCandidatePairId);
  }
  // Firefox marks the pair itself; others only say which pair succeeded and was nominated.
  pair ??= [...entries.values()].find((entry) => entry.type === "candidate-pair" && entry.selected);
  pair ??= [...entries.values()].find(
    (entry) => entry.type === "candidate-pair" && entry.nominated && entry.state === "succeeded",
  );
  if (!pair) return { rttMs: null, path: null };
  const seconds = pair.currentRoundTripTime;
  const rttMs =
    typeof seconds === "number" && seconds >= 0
      ? Math.round((roundTripInMs ? seconds : seconds * 1000) * 1000) / 1000
      : null;
  const local = entries.get(pair.localCandidateId ?? "");
  const remote = entries.get(pair.remoteCandidateId ?? "");
  const localType = String(local?.candidateType ?? "");
  const remoteType = String(remote?.candidateType ?? "");
  if (!CANDIDATE_TYPES.includes(localType) || !CANDIDATE_TYPES.includes(remoteType))
    return { rttMs, path: null };
  const relayProtocol = String(local?.relayProtocol ?? "").toLowerCase();
  const path: ConnectionPath = {
    type: remoteType === "relay" ? "relay" : (localType as CandidateType),
    local: localType as CandidateType,
    remote: remoteType as CandidateType,
    relayProtocol:
      localType === "relay" && RELAY_PROTOCOLS.includes(relayProtocol) ? (relayProtocol as "udp") : null,
  };
  return { rttMs, path };
}

function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}
