// The page the browser benchmarks drive. Each measurement runs inside the page, so Playwright's
// own round trips never enter the numbers.
import SimplePeer from "simple-peer/simplepeer.min.js";
import { io } from "socket.io-client";
import * as starwire from "starwire";
import { runCodecSuite } from "../../lib/codec-suite.js";
import { Probe } from "./probe.js";
import { replicationBench } from "./replication.js";

const signalingUrl = new URLSearchParams(location.search).get("signal") ?? "http://127.0.0.1:8787";
const api = starwire.multiplayer;
const probe = api.root.addChild(new Probe("probe"));

// The RTCPeerConnections the SDK makes, so raw channels can ride the very same connection.
const connections: RTCPeerConnection[] = [];
const createDataChannel = RTCPeerConnection.prototype.createDataChannel;
RTCPeerConnection.prototype.createDataChannel = function (label: string, init?: RTCDataChannelInit) {
  if (!connections.includes(this)) connections.push(this);
  return createDataChannel.call(this, label, init);
};

const RAW = {
  reliable: { id: 200, init: {} },
  unreliable: { id: 201, init: { ordered: false, maxRetransmits: 0 } },
};
type Lane = keyof typeof RAW;
const raw = new Map<Lane, RTCDataChannel>();

/** Opens the raw twin channels on this tab's (only) connection; the host echoes and counts. */
function openRawChannels(role: "host" | "client"): Promise<void> {
  const pc = connections.at(-1);
  if (!pc) throw new Error("no connection yet");
  const opened: Promise<void>[] = [];
  for (const lane of Object.keys(RAW) as Lane[]) {
    const channel = pc.createDataChannel(`raw-${lane}`, {
      ...RAW[lane].init,
      negotiated: true,
      id: RAW[lane].id,
    });
    channel.binaryType = "arraybuffer";
    raw.set(lane, channel);
    if (role === "host") {
      let sunk = 0;
      channel.onmessage = (event: MessageEvent<ArrayBuffer>) => {
        const bytes = new Uint8Array(event.data);
        if (bytes[0] === 1) {
          // throughput message: count, answer once all arrived
          if (++sunk === new DataView(event.data).getUint32(1)) {
            sunk = 0;
            channel.send(Uint8Array.of(2));
          }
        } else channel.send(event.data); // echo
      };
    }
    opened.push(
      channel.readyState === "open"
        ? Promise.resolve()
        : new Promise((resolve) => (channel.onopen = () => resolve())),
    );
  }
  return Promise.all(opened).then(() => undefined);
}

function rawRoundTrip(lane: Lane, seq: number, timeoutMs: number): Promise<number | null> {
  const channel = raw.get(lane)!;
  return new Promise((resolve) => {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(4, seq);
    const start = performance.now();
    const timer = setTimeout(() => resolve(null), timeoutMs);
    channel.onmessage = (event: MessageEvent<ArrayBuffer>) => {
      if (new DataView(event.data).getUint32(4) !== seq) return;
      clearTimeout(timer);
      resolve(performance.now() - start);
    };
    channel.send(bytes);
  });
}

function rpcRoundTrip(lane: Lane, seq: number, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const start = performance.now();
    const timer = setTimeout(() => {
      probe.waiting.delete(seq);
      resolve(null);
    }, timeoutMs);
    probe.waiting.set(seq, () => {
      clearTimeout(timer);
      probe.waiting.delete(seq);
      resolve(performance.now() - start);
    });
    if (lane === "reliable") probe.rpcId(1, "ping", seq);
    else probe.rpcId(1, "pingUnreliable", seq);
  });
}

/**
 * Interleaved round trips, `count` of each: both see the same machine noise. The SDK goes first on
 * even iterations and the raw channel on odd ones. A round trip without an answer within a second
 * counts as lost, on either side.
 */
async function roundTrips(lane: Lane, count: number, warmup = 200) {
  const sdk: number[] = [];
  const rawSamples: number[] = [];
  const lost = { sdk: 0, raw: 0 };
  for (let i = 0; i < warmup + count; i++) {
    let a: number | null;
    let b: number | null;
    if (i % 2 === 0) {
      a = await rpcRoundTrip(lane, i, 1000);
      b = await rawRoundTrip(lane, i, 1000);
    } else {
      b = await rawRoundTrip(lane, i, 1000);
      a = await rpcRoundTrip(lane, i, 1000);
    }
    if (i < warmup) continue;
    if (a === null) lost.sdk++;
    else sdk.push(a);
    if (b === null) lost.raw++;
    else rawSamples.push(b);
  }
  return { sdk, raw: rawSamples, lost };
}

/** Small reliable RPCs per second from this client to the host, timed until the host confirms all. */
function sdkThroughput(count: number): Promise<number> {
  return new Promise((resolve) => {
    const start = performance.now();
    probe.onSinkDone = () => resolve(count / ((performance.now() - start) / 1000));
    for (let seq = 0; seq < count; seq++) probe.rpcId(1, "sink", seq % 100);
  });
}

/** The SDK's sink packet is [RPC][cache id][method][seq]: 4 bytes. The raw message is 5 (a marker and the count). */
const RAW_MESSAGE_BYTES = 5;

function rawThroughput(count: number): Promise<number> {
  const channel = raw.get("reliable")!;
  return new Promise((resolve) => {
    const message = new Uint8Array(RAW_MESSAGE_BYTES);
    message[0] = 1;
    new DataView(message.buffer).setUint32(1, count);
    const start = performance.now();
    channel.onmessage = (event: MessageEvent<ArrayBuffer>) => {
      if (new Uint8Array(event.data)[0] === 2) resolve(count / ((performance.now() - start) / 1000));
    };
    for (let i = 0; i < count; i++) channel.send(message);
  });
}

/** createClient → connectedToServer with the SDK. */
async function sdkConnect(roomCode: string): Promise<number> {
  const start = performance.now();
  const peer = new starwire.WebRTCMultiplayerPeer({ signalingUrl });
  api.peer = peer;
  const connected = api.whenConnected();
  await peer.createClient(roomCode);
  await connected;
  const elapsed = performance.now() - start;
  api.peer = null;
  return elapsed;
}

interface RawSignal {
  from: number;
  data: object;
}

/** The same path without Starwire: socket.io join through the same server, one simple-peer channel. */
async function rawConnect(roomCode: string): Promise<number> {
  const start = performance.now();
  const socket = io(signalingUrl, { transports: ["websocket"], reconnection: false, forceNew: true });
  await new Promise((resolve) => socket.once("connect", () => resolve(undefined)));
  await socket.timeout(5000).emitWithAck("join", { roomCode });
  const peer = new SimplePeer({ initiator: true, trickle: true, config: { iceServers: [] } });
  peer.on("signal", (data: { type?: string }) => {
    if (data.type === "offer" || data.type === "answer" || data.type === "candidate")
      socket.emit("signal", { data });
  });
  socket.on("signal", ({ data }: RawSignal) => peer.signal(data));
  await new Promise((resolve) => peer.once("connect", () => resolve(undefined)));
  const elapsed = performance.now() - start;
  peer.destroy();
  socket.close();
  return elapsed;
}

/** Hosts a room for rawConnect: answers every joiner with a plain simple-peer. */
async function hostRawRoom(): Promise<string> {
  const socket = io(signalingUrl, { transports: ["websocket"], reconnection: false, forceNew: true });
  await new Promise((resolve) => socket.once("connect", () => resolve(undefined)));
  const reply = await socket.timeout(5000).emitWithAck("create", { maxPlayers: 64 });
  const peers = new Map<number, InstanceType<typeof SimplePeer>>();
  socket.on("signal", ({ from, data }: RawSignal) => {
    let peer = peers.get(from);
    if (!peer) {
      peer = new SimplePeer({ initiator: false, trickle: true, config: { iceServers: [] } });
      peer.on("signal", (answer: { type?: string }) => {
        if (answer.type === "answer" || answer.type === "candidate")
          socket.emit("signal", { to: from, data: answer });
      });
      peer.on("close", () => peers.delete(from));
      peer.on("error", () => peers.delete(from));
      peers.set(from, peer);
    }
    peer.signal(data);
  });
  socket.on("peerLeft", ({ peerId }: { peerId: number }) => peers.get(peerId)?.destroy());
  return reply.roomCode as string;
}

/** Host side of the scaling benchmark: broadcasts N entities at 30 Hz, timing each tick. */
function broadcastState(entities: number, seconds: number): Promise<number[]> {
  const tickTimes: number[] = [];
  const positions = Array.from({ length: entities * 3 }, (_, i) => (i * 37) % 800);
  return new Promise((resolve) => {
    const end = performance.now() + seconds * 1000;
    const timer = setInterval(() => {
      const start = performance.now();
      for (let i = 1; i < positions.length; i += 3) positions[i] = (positions[i]! + 3) % 800;
      probe.rpc("state", performance.timeOrigin + performance.now(), positions);
      tickTimes.push(performance.now() - start);
      if (performance.now() > end) {
        clearInterval(timer);
        resolve(tickTimes);
      }
    }, 1000 / 30);
  });
}

const bench = {
  starwire,
  api,
  probe,
  /** `options`: e.g. `{ iceTransportPolicy: "relay" }` for the TURN benchmark. */
  async host(
    maxPlayers: number,
    options: Omit<starwire.WebRTCPeerOptions, "signalingUrl"> = {},
  ): Promise<string> {
    // Throughput runs send 20,000 messages at once: far past the default per-client limits.
    api.rateLimits = {
      ...api.rateLimits,
      messagesPerSecond: 1e6,
      messageBurst: 1e6,
      bytesPerSecond: 1e9,
      byteBurst: 1e9,
    };
    const peer = new starwire.WebRTCMultiplayerPeer({ ...options, signalingUrl });
    const { roomCode } = await peer.createServer({ maxPlayers });
    api.peer = peer;
    return roomCode;
  },
  async join(roomCode: string): Promise<void> {
    const peer = new starwire.WebRTCMultiplayerPeer({ signalingUrl });
    api.peer = peer;
    const connected = api.whenConnected();
    await peer.createClient(roomCode);
    await connected;
  },
  openRawChannels,
  roundTrips,
  sdkThroughput,
  rawThroughput,
  rawMessageBytes: RAW_MESSAGE_BYTES,
  prepareSink(count: number) {
    probe.sunk = 0;
    probe.sinkTarget = count;
  },
  sdkConnect,
  rawConnect,
  hostRawRoom,
  broadcastState,
  runCodecSuite,
  replication: replicationBench(api),
};

declare global {
  interface Window {
    bench: typeof bench;
  }
}
window.bench = bench;
document.getElementById("status")!.textContent = "ready";
