import { describe, expect, it } from "vitest";
import { MemoryMultiplayerPeer, MultiplayerAPI, type Rejection } from "../src/common.js";
import { MemoryNetwork, recordEvents, until } from "./helpers.js";

const text = (s: string) => new TextEncoder().encode(s);
const read = (b: Uint8Array) => new TextDecoder().decode(b);
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

async function pair(configure: (host: MultiplayerAPI, client: MultiplayerAPI) => void) {
  const network = new MemoryNetwork();
  const host = new MultiplayerAPI();
  const client = new MultiplayerAPI();
  const hostLog = recordEvents(host);
  const clientLog = recordEvents(client);
  for (const [api, log] of [
    [host, hostLog],
    [client, clientLog],
  ] as const) {
    api.on("peerAuthenticating", (id) => log.push(`peerAuthenticating ${id}`));
    api.on("peerAuthenticationFailed", (id) => log.push(`peerAuthenticationFailed ${id}`));
  }
  const rejected: Rejection[] = [];
  host.on("rejected", (r) => rejected.push(r));
  configure(host, client);
  const hostPeer = new MemoryMultiplayerPeer(network);
  const { roomCode } = await hostPeer.createServer({ maxPlayers: 4 });
  host.peer = hostPeer;
  const clientPeer = new MemoryMultiplayerPeer(network);
  client.peer = clientPeer;
  await clientPeer.createClient(roomCode);
  return { host, client, hostLog, clientLog, rejected, clientPeer };
}

describe("authentication (Godot's auth_callback flow)", () => {
  it("admits a peer only after both sides complete; nothing else passes before", async () => {
    const received: string[] = [];
    const { host, client, hostLog, clientLog, rejected } = await pair((host, client) => {
      host.authCallback = (peer, data) => {
        received.push(`host got ${read(data)}`);
        if (read(data) === "password: swordfish") host.completeAuth(peer);
      };
      client.authCallback = (peer, data) => {
        received.push(`client got ${read(data)}`);
        client.sendAuth(peer, text("password: swordfish"));
        client.completeAuth(peer);
      };
      host.on("peerAuthenticating", (peer) => host.sendAuth(peer, text("who are you?")));
      // While pending, a client's ordinary packets are refused: a modified client tries anyway.
      client.on("peerAuthenticating", () => client.peer.send(1, Uint8Array.of(3, 1, 2), "reliable", 0));
    });
    await until(() => hostLog.some((line) => line.startsWith("peerConnected")));
    await until(() => clientLog.includes("peerConnected 1"));
    const id = client.uniqueId;
    expect(received).toEqual(["client got who are you?", "host got password: swordfish"]);
    expect(hostLog).toEqual([`peerAuthenticating ${id}`, `peerConnected ${id}`]);
    expect(clientLog).toEqual(["peerAuthenticating 1", "connectedToServer", "peerConnected 1"]);
    expect(rejected.map((r) => r.reason)).toEqual(["unauthenticated"]);
    // Once admitted, auth messages are refused and normal traffic flows.
    const packets: string[] = [];
    host.on("peerPacket", (_from, data) => packets.push(read(data)));
    client.sendBytes(text("hello"), 1);
    await settle();
    expect(packets).toEqual(["hello"]);
    expect(() => client.sendAuth(1, text("late"))).toThrow(/not authenticating/);
    expect(host.debugStats().authenticating).toBe(0);
  });

  it("drops a peer that does not complete in time, on both sides", async () => {
    const { host, hostLog, clientLog } = await pair((host, client) => {
      host.authTimeout = 50;
      client.authTimeout = 5000;
      host.authCallback = () => {};
      client.authCallback = () => {};
    });
    await until(() => hostLog.some((line) => line.startsWith("peerAuthenticationFailed")), 2000);
    await until(() => clientLog.includes("peerAuthenticationFailed 1"), 2000);
    expect(clientLog).toEqual([
      "peerAuthenticating 1",
      "peerAuthenticationFailed 1",
      "connectionFailed auth_failed",
    ]);
    expect(hostLog.filter((line) => line.startsWith("peerConnected"))).toEqual([]);
    expect(host.getPeers()).toEqual([]);
    expect(host.debugStats().authenticating).toBe(0);
  });
});

describe("per-peer rate limits on the host", () => {
  it("drops what exceeds the limit, before decoding, and counts it", async () => {
    const { host, client, rejected } = await pair((host) => {
      host.rateLimits = {
        messagesPerSecond: 10,
        messageBurst: 5,
        bytesPerSecond: 1e6,
        byteBurst: 1e6,
        policy: "drop",
      };
    });
    await until(() => host.getPeers().length === 1);
    const packets: string[] = [];
    host.on("peerPacket", (_from, data) => packets.push(read(data)));
    for (let i = 0; i < 50; i++) client.sendBytes(text(`${i}`), 1);
    await settle();
    expect(packets).toEqual(["0", "1", "2", "3", "4"]);
    expect(rejected.filter((r) => r.reason === "rate_limited")).toHaveLength(45);
    expect(host.rejectionCount(client.uniqueId)).toBe(45);
    expect(host.getPeers()).toEqual([client.uniqueId]);
  });

  it("counts bytes too, and kicks under the kick policy", async () => {
    const { host, client, clientLog } = await pair((host) => {
      host.rateLimits = {
        messagesPerSecond: 1000,
        messageBurst: 1000,
        bytesPerSecond: 1000,
        byteBurst: 2000,
        policy: "kick",
      };
    });
    await until(() => host.getPeers().length === 1);
    client.sendBytes(new Uint8Array(1500), 1);
    client.sendBytes(new Uint8Array(1500), 1);
    await until(() => clientLog.includes("serverDisconnected"));
    expect(host.getPeers()).toEqual([]);
  });

  it("the defaults leave a 60 Hz game alone", async () => {
    const { host, client, rejected } = await pair(() => {});
    await until(() => host.getPeers().length === 1);
    let received = 0;
    host.on("peerPacket", () => received++);
    // two seconds of a 60 Hz game sending input and a state message each frame, as fast as possible
    for (let i = 0; i < 240; i++) client.sendBytes(new Uint8Array(64), 1, { transfer: "unreliable" });
    await settle();
    expect(received).toBe(240);
    expect(rejected).toEqual([]);
  });
});
