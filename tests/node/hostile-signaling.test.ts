// A player who speaks the signaling protocol by hand tries to spend the host's signaling budget:
// every offer it sends would make the host answer, until the server refuses the host's events
// (answers to honest joiners, kicks) as over its rate.
import { RTCPeerConnection } from "node-datachannel/polyfill";
import { io } from "socket.io-client";
import { expect, it } from "vitest";
import { hostOn, joinOn, startSignaling, until } from "./helpers.js";

async function realOffer(): Promise<string> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  try {
    pc.createDataChannel("bait");
    const offer = await pc.createOffer();
    return offer.sdp ?? "";
  } finally {
    pc.close();
  }
}

it("a client sending offer after offer cannot spend the host's signaling budget; joins and kicks still go through", async () => {
  // The signaling server's own budget for one socket: 100 events a second, 200 at once.
  const signaling = await startSignaling({ eventsPerSecond: 100, eventBurst: 200 });
  const host = await hostOn(signaling.url);
  const socket = io(signaling.url, { transports: ["websocket"], reconnection: false });
  try {
    const joined = await new Promise<{ ok: boolean; peerId: number }>((resolve, reject) => {
      socket.on("connect_error", reject);
      socket.emit("join", { roomCode: host.roomCode }, resolve);
    });
    expect(joined.ok).toBe(true);
    const sdp = await realOffer();
    const answers: number[] = [];
    socket.on("signal", ({ data, connection }) => {
      if (data.type === "answer") answers.push(connection ?? 0);
    });
    const started = Date.now();
    // 150 new connections, one every 20 ms (time for the host to answer each, were it to), each
    // offered twice.
    for (let i = 0; i < 150; i++) {
      socket.emit("signal", { data: { type: "offer", sdp }, connection: i });
      socket.emit("signal", { data: { type: "offer", sdp }, connection: i });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const honest = await joinOn(signaling.url, host.roomCode);
    await until(() => host.api.getPeers().includes(honest.id), 10_000, "the honest client in the game");

    // Each new connection number is answered at most once, and only a few of them at that: 5 at
    // once, then one every 2 s.
    expect(new Set(answers).size).toBe(answers.length);
    expect(answers.length).toBeLessThanOrEqual(5 + Math.ceil((Date.now() - started) / 2000));
    const kicked = new Promise<string>((resolve) => socket.on("roomClosed", ({ reason }) => resolve(reason)));
    host.api.peer.disconnectPeer(joined.peerId);
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve("no roomClosed in 5 s"), 5000));
    expect(await Promise.race([kicked, timeout])).toBe("kicked");
    const stats = (host.peer as unknown as { debugStats(): { signalingRefusals: number } }).debugStats();
    expect(stats.signalingRefusals).toBe(0);
  } finally {
    socket.disconnect();
    host.api.peer = null;
    await signaling.close();
  }
}, 30_000);
