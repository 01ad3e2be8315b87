// A page that exposes the SDK to Playwright: tests drive it with page.evaluate.
import * as starwire from "starwire";
import type { DataChannelRecord, Harness, HarnessEvent } from "./harness.js";

const events: HarnessEvent[] = [];
const channels: DataChannelRecord[] = [];

// Records how the SDK configures its data channels, so a test can check them.
const createDataChannel = RTCPeerConnection.prototype.createDataChannel;
RTCPeerConnection.prototype.createDataChannel = function (label: string, init?: RTCDataChannelInit) {
  channels.push({ label, ...init });
  return createDataChannel.call(this, label, init);
};

const api = starwire.multiplayer;
const record = (name: string, ...args: unknown[]) => events.push({ name, args, at: Date.now() });
api.on("connectedToServer", () => record("connectedToServer"));
api.on("connectionFailed", (reason, message) => record("connectionFailed", reason, message));
api.on("peerConnected", (id) => record("peerConnected", id));
api.on("peerDisconnected", (id) => record("peerDisconnected", id));
api.on("serverDisconnected", () => record("serverDisconnected"));
api.on("peerPacket", (from, data) => record("peerPacket", from, new TextDecoder().decode(data)));

const signalingUrl = new URLSearchParams(location.search).get("signal") ?? "http://127.0.0.1:8787";
const newPeer = (connectTimeoutMs?: number) =>
  new starwire.WebRTCMultiplayerPeer({ signalingUrl, ...(connectTimeoutMs ? { connectTimeoutMs } : {}) });

const harness: Harness = {
  starwire,
  api,
  events,
  channels,
  async host(maxPlayers) {
    const peer = newPeer();
    const { roomCode } = await peer.createServer({ maxPlayers });
    api.peer = peer;
    return roomCode;
  },
  async join(roomCode, connectTimeoutMs) {
    const peer = newPeer(connectTimeoutMs);
    api.peer = peer;
    try {
      await peer.createClient(roomCode);
      return { ok: true, id: peer.uniqueId };
    } catch (error) {
      return { ok: false, reason: (error as starwire.ConnectionError).reason };
    }
  },
  names: () => events.filter((e) => e.name !== "peerPacket").map((e) => [e.name, ...e.args.slice(0, 1)].join(" ")),
};
window.harness = harness;
document.getElementById("status")!.textContent = "ready";
