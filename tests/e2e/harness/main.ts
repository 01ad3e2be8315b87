// A page that exposes the SDK to Playwright: tests drive it with page.evaluate.
import * as starwire from "starwire";
import { Arena } from "./arena.js";
import type { DataChannelRecord, Harness, HarnessEvent, JoinOptions } from "./harness.js";
import { replicationHarness } from "./replication.js";

const events: HarnessEvent[] = [];
const channels: DataChannelRecord[] = [];
/** Every connection the SDK made (both sides create their negotiated channels), for getStats. */
const connections = new Set<RTCPeerConnection>();

// Records how the SDK configures its data channels, so a test can check them.
const createDataChannel = RTCPeerConnection.prototype.createDataChannel;
RTCPeerConnection.prototype.createDataChannel = function (label: string, init?: RTCDataChannelInit) {
  channels.push({ label, ...init });
  connections.add(this);
  return createDataChannel.call(this, label, init);
};

/** The statistics of each open connection. */
async function openStats(): Promise<RTCStatsReport[]> {
  const open = [...connections].filter((pc) => pc.connectionState === "connected");
  return Promise.all(open.map((pc) => pc.getStats()));
}

async function selectedPairs(): Promise<Array<{ local: string; remote: string }>> {
  const pairs: Array<{ local: string; remote: string }> = [];
  for (const report of await openStats()) {
    report.forEach((stats) => {
      if (stats.type !== "transport" || !stats.selectedCandidatePairId) return;
      const pair = report.get(stats.selectedCandidatePairId);
      pairs.push({
        local: report.get(pair.localCandidateId).candidateType,
        remote: report.get(pair.remoteCandidateId).candidateType,
      });
    });
  }
  return pairs;
}

async function candidateTypes(): Promise<string[]> {
  const types: string[] = [];
  for (const report of await openStats()) {
    report.forEach((stats) => {
      if (stats.type === "local-candidate" || stats.type === "remote-candidate")
        types.push(stats.candidateType);
    });
  }
  return types;
}

/** Corrupts the DTLS fingerprint of every remote description, so the handshake must fail. */
function breakDtls(): void {
  const setRemoteDescription = RTCPeerConnection.prototype.setRemoteDescription;
  RTCPeerConnection.prototype.setRemoteDescription = function (
    this: RTCPeerConnection,
    description: RTCSessionDescriptionInit,
  ) {
    const sdp = description.sdp?.replace(
      /^(a=fingerprint:\S+ )([0-9A-F]{2})/m,
      (_, prefix: string, byte: string) => prefix + (byte === "00" ? "11" : "00"),
    );
    const apply = setRemoteDescription as (
      this: RTCPeerConnection,
      d: RTCSessionDescriptionInit,
    ) => Promise<void>;
    return apply.call(this, { type: description.type, ...(sdp === undefined ? {} : { sdp }) });
  } as typeof setRemoteDescription;
}

const api = starwire.multiplayer;
const record = (name: string, ...args: unknown[]) => events.push({ name, args, at: Date.now() });
api.on("connectedToServer", () => record("connectedToServer"));
api.on("connectionFailed", (reason, message) => record("connectionFailed", reason, message));
api.on("peerConnected", (id) => record("peerConnected", id));
api.on("peerDisconnected", (id) => record("peerDisconnected", id));
api.on("peerReconnecting", (id) => record("peerReconnecting", id));
api.on("peerReconnected", (id) => record("peerReconnected", id));
api.on("serverDisconnected", () => record("serverDisconnected"));
api.on("peerPacket", (from, data) => record("peerPacket", from, new TextDecoder().decode(data)));
api.on("rejected", (rejection) =>
  record("rejected", rejection.reason, rejection.from, rejection.method, rejection.message),
);
const arena = api.root.addChild(new Arena("arena"));

const signalingUrl = new URLSearchParams(location.search).get("signal") ?? "http://127.0.0.1:8787";
// Every harness peer declares one extra channel, so channel-1 RPCs have somewhere to go.
const newPeer = (options: JoinOptions = {}) =>
  new starwire.WebRTCMultiplayerPeer({ signalingUrl, channels: ["unreliable_ordered"], ...options });

const harness: Harness = {
  starwire,
  api,
  arena,
  events,
  channels,
  async host(maxPlayers, options) {
    // The specs send bursts (10,000 RPCs at once) that the default per-client limits would cut.
    api.rateLimits = { ...api.rateLimits, messagesPerSecond: 1e6, messageBurst: 1e6 };
    const peer = newPeer(options);
    const { roomCode } = await peer.createServer({ maxPlayers });
    api.peer = peer;
    return roomCode;
  },
  async join(roomCode, options) {
    const peer = newPeer(options);
    api.peer = peer;
    try {
      await peer.createClient(roomCode);
      return { ok: true, id: peer.uniqueId };
    } catch (error) {
      return { ok: false, reason: (error as starwire.ConnectionError).reason };
    }
  },
  breakDtls,
  stats: () => (api.peer instanceof starwire.WebRTCMultiplayerPeer ? api.peer.debugStats() : null),
  selectedPairs,
  candidateTypes,
  replication: replicationHarness(api, events),
  names: () =>
    events
      .filter((e) => e.name !== "peerPacket" && e.name !== "rejected")
      .map((e) => [e.name, ...e.args.slice(0, 1)].join(" ")),
};
window.harness = harness;
document.getElementById("status")!.textContent = "ready";
