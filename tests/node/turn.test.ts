// Relay-only Node peers through a real coturn on loopback, with TURN credentials minted by the
// signaling server (TURN_URLS, TURN_SECRET, TURN_TTL_SECONDS).
import { ConnectionError, MultiplayerAPI, type WebRTCMultiplayerPeer } from "starwire/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Game, loopbackPeer, recordEvents, startSignaling, until } from "./helpers.js";
import { candidateTypes, type RecordingWebRTC, recordingWebRTC, selectedPair } from "./recording-webrtc.js";
import { startTurnServer, type TurnServer } from "./turn-server.js";

let turn: TurnServer;
beforeAll(async () => {
  turn = await startTurnServer();
});
afterAll(async () => {
  await turn?.stop();
});

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A relay-only peer whose ICE servers come from the signaling server (its TURN entry, with this player's credential). */
function relayPeer(url: string, wrtc: RecordingWebRTC["wrtc"]): WebRTCMultiplayerPeer {
  return loopbackPeer(url, { iceTransportPolicy: "relay", wrtc, iceServers: undefined });
}

async function relayHost(url: string) {
  const api = new MultiplayerAPI();
  const log = recordEvents(api);
  const recorder = recordingWebRTC();
  const peer = relayPeer(url, recorder.wrtc);
  const { roomCode } = await peer.createServer({ maxPlayers: 8 });
  api.peer = peer;
  const game = api.root.addChild(new Game(api));
  cleanups.push(() => {
    api.peer = null;
  });
  return { api, log, peer, game, roomCode, recorder };
}

async function relayClient(url: string, roomCode: string) {
  const api = new MultiplayerAPI();
  const log = recordEvents(api);
  api.on("peerReconnecting", (id) => log.push(`peerReconnecting ${id}`));
  api.on("peerReconnected", (id) => log.push(`peerReconnected ${id}`));
  const recorder = recordingWebRTC();
  const peer = relayPeer(url, recorder.wrtc);
  api.peer = peer;
  const game = api.root.addChild(new Game(api));
  cleanups.push(() => {
    api.peer = null;
  });
  await peer.createClient(roomCode);
  await api.whenConnected(); // or rejects with the join's failure
  return { api, log, peer, game, recorder, id: peer.uniqueId };
}

async function turnSignaling(turnTtlSeconds = 3600) {
  const signaling = await startSignaling({ turnUrls: turn.urls, turnSecret: turn.secret, turnTtlSeconds });
  cleanups.push(signaling.close);
  return signaling;
}

describe("relay-only Node peers through coturn", () => {
  it("a host and two clients: RPCs both ways, unreliable state, every selected pair relay/relay", async () => {
    const { url } = await turnSignaling();
    const host = await relayHost(url);
    const clients = [await relayClient(url, host.roomCode), await relayClient(url, host.roomCode)];
    await until(
      () => host.api.getPeers().length === 2 && clients.every((c) => c.api.getPeers().length === 2),
    );

    // Client → host, host → client, client → client through the host, and unreliable state.
    clients[0]!.game.rpcId(1, "hello", 1);
    host.game.rpcId(clients[1]!.id, "hello", 2);
    clients[1]!.game.rpcId(clients[0]!.id, "shout", "via the host");
    for (let seq = 0; seq < 20; seq++) host.game.rpc("tick", seq);
    await until(() => host.game.calls.some(([m]) => m === "hello"), 5000, "client → host");
    await until(() => clients[1]!.game.calls.some(([m]) => m === "hello"), 5000, "host → client");
    await until(() => clients[0]!.game.calls.some(([m]) => m === "shout"), 5000, "client → client");
    await until(() => clients.every((c) => c.game.calls.some(([m]) => m === "tick")), 5000, "state");
    expect(host.game.calls.filter(([m]) => m === "hello")).toEqual([["hello", clients[0]!.id, 1]]);
    expect(clients[1]!.game.calls.filter(([m]) => m === "hello")).toEqual([["hello", 1, 2]]);
    expect(clients[0]!.game.calls.filter(([m]) => m === "shout")).toEqual([
      ["shout", clients[1]!.id, "via the host"],
    ]);

    // Every connection, on both ends, goes through coturn, and no side ever saw another address.
    const connections = [...host.recorder.open(), ...clients.flatMap((c) => c.recorder.open())];
    expect(connections).toHaveLength(4);
    for (const { pc, config } of connections) {
      expect(config.iceTransportPolicy).toBe("relay");
      expect(await selectedPair(pc)).toEqual({ local: "relay", remote: "relay" });
      expect(new Set(candidateTypes(pc))).toEqual(new Set(["relay"]));
    }
    // The credentials are the signaling server's, one per player.
    const usernames = connections.map(({ config }) => config.iceServers![0]!.username);
    expect(new Set(usernames).size).toBe(3);
    expect(host.log).toEqual(clients.map((c) => `peerConnected ${c.id}`));
  });

  for (const [what, credential] of [
    ["a wrong credential", () => turn.credentials(3600, "test.2", "not-the-turn-secret-0123456789")],
    ["an expired credential", () => turn.credentials(-60)],
  ] as const) {
    it(`${what} fails the join at once with ice_failed, naming TURN (Node cannot tell why)`, async () => {
      const { url } = await turnSignaling();
      const host = await relayHost(url);
      const api = new MultiplayerAPI();
      const log = recordEvents(api);
      const recorder = recordingWebRTC();
      // connectTimeoutMs far beyond the test: a failure can only be the SDK's own detection.
      const peer = loopbackPeer(url, {
        iceTransportPolicy: "relay",
        iceServers: [credential()],
        wrtc: recorder.wrtc,
        connectTimeoutMs: 120_000,
      });
      api.peer = peer;
      cleanups.push(() => {
        api.peer = null;
      });
      await peer.createClient(host.roomCode);
      const failure = await api.whenConnected().then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(ConnectionError);
      const { reason, message } = failure as ConnectionError;
      expect(reason).toBe("ice_failed");
      expect(message).toMatch(/^relay-only and no relay candidate: the TURN server refused the allocation/);
      expect(message).toContain("TURN credentials");
      if (what === "an expired credential") expect(message).toMatch(/its credential expired at \d{4}-/);
      else expect(message).not.toContain("expired at");
      expect(log).toEqual(["connectionFailed ice_failed"]);
      // One attempt: another with the same credentials would be refused the same way.
      expect(recorder.connections).toHaveLength(1);
    });
  }

  it("past the first credential's lifetime: the open relay goes on, and a reconnect relays with a fresh one", async () => {
    // TURN_TTL_SECONDS of 2: fresh credentials every 0.67 s (the server's minimum is 60; this is a test).
    const { url } = await turnSignaling(2);
    const host = await relayHost(url);
    const client = await relayClient(url, host.roomCode);
    const first = client.recorder.connections.at(-1)!;
    const expiry = Number(/^(\d+)-/.exec(first.config.iceServers![0]!.username!)![1]);

    // coturn checks the expiry when a relay is allocated, not while it is used.
    await until(() => Date.now() > expiry * 1000 + 1000 || client.log.length > 2, 10_000, "expiry");
    expect(client.log).toEqual(["connectedToServer", "peerConnected 1"]);
    client.game.rpcId(1, "hello", 1);
    await until(() => host.game.calls.length === 1 || client.log.length > 2, 5000, "a call on the old relay");
    expect(host.game.calls).toEqual([["hello", client.id, 1]]);

    // The connection dies (as a network change would kill it): the client reconnects under its id.
    first.pc.close();
    await until(
      () => client.log.includes("peerReconnected 1") || client.log.includes("serverDisconnected"),
      20_000,
      "reconnected",
    );
    expect(client.log).toEqual([
      "connectedToServer",
      "peerConnected 1",
      "peerReconnecting 1",
      "peerReconnected 1",
    ]);
    const second = client.recorder.open();
    expect(second).toHaveLength(1);
    const freshExpiry = Number(/^(\d+)-/.exec(second[0]!.config.iceServers![0]!.username!)![1]);
    expect(freshExpiry).toBeGreaterThan(expiry);
    expect(await selectedPair(second[0]!.pc)).toEqual({ local: "relay", remote: "relay" });
    // The host answered with a fresh credential of its own too.
    const hostSide = host.recorder.open();
    expect(hostSide).toHaveLength(1);
    expect(Number(/^(\d+)-/.exec(hostSide[0]!.config.iceServers![0]!.username!)![1])).toBeGreaterThan(expiry);

    host.game.rpcId(client.id, "hello", 2);
    client.game.rpcId(1, "hello", 3);
    await until(() => client.game.calls.length === 1 && host.game.calls.length === 2, 5000, "calls after");
    expect(client.game.calls).toEqual([["hello", 1, 2]]);
    expect(host.game.calls).toEqual([
      ["hello", client.id, 1],
      ["hello", client.id, 3],
    ]);
  });
});
