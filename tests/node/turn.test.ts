// Relay-only Node clients against a real coturn on loopback, with TURN credentials minted by the
// signaling server (TURN_URLS, TURN_SECRET, TURN_TTL_SECONDS). No test here lets two Node peers
// relay to each other: libdatachannel can deadlock a DTLS server whose own path is relayed
// (README, "Relay-only in Node"). A relay-only Node client playing with a relay-only Chromium host
// is tests/e2e/turn.spec.ts.
import { ConnectionError, MultiplayerAPI } from "starwire/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loopbackPeer, recordEvents, startSignaling } from "./helpers.js";
import { recordingWebRTC } from "./recording-webrtc.js";
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

/** A host on its own address with no TURN server: it offers direct candidates only. */
async function directHost(url: string) {
  const api = new MultiplayerAPI();
  const log = recordEvents(api);
  const recorder = recordingWebRTC();
  const peer = loopbackPeer(url, { wrtc: recorder.wrtc });
  const { roomCode } = await peer.createServer({ maxPlayers: 8 });
  api.peer = peer;
  cleanups.push(() => {
    api.peer = null;
  });
  return { api, log, roomCode, recorder };
}

/** A relay-only client with `iceServers` (undefined: the signaling server's TURN entry, with its credential). */
async function relayOnlyClient(url: string, roomCode: string, options: Parameters<typeof loopbackPeer>[1]) {
  const api = new MultiplayerAPI();
  const log = recordEvents(api);
  const recorder = recordingWebRTC();
  const peer = loopbackPeer(url, { iceTransportPolicy: "relay", wrtc: recorder.wrtc, ...options });
  api.peer = peer;
  cleanups.push(() => {
    api.peer = null;
  });
  await peer.createClient(roomCode);
  const failure = await api.whenConnected().then(
    () => null,
    (error: unknown) => error,
  );
  return { api, log, recorder, failure };
}

async function turnSignaling() {
  const signaling = await startSignaling({
    turnUrls: turn.urls,
    turnSecret: turn.secret,
    turnTtlSeconds: 3600,
  });
  cleanups.push(signaling.close);
  return signaling;
}

describe("relay-only Node clients and coturn", () => {
  for (const [what, credential] of [
    ["a wrong credential", () => turn.credentials(3600, "test.2", "not-the-turn-secret-0123456789")],
    ["an expired credential", () => turn.credentials(-60)],
  ] as const) {
    it(`${what} fails the join at once with ice_failed, naming TURN (Node cannot tell why)`, async () => {
      const { url } = await turnSignaling();
      const host = await directHost(url);
      // connectTimeoutMs far beyond the test: a failure can only be the SDK's own detection.
      const client = await relayOnlyClient(url, host.roomCode, {
        iceServers: [credential()],
        connectTimeoutMs: 120_000,
      });
      expect(client.failure).toBeInstanceOf(ConnectionError);
      const { reason, message } = client.failure as ConnectionError;
      expect(reason).toBe("ice_failed");
      expect(message).toMatch(/^relay-only and no relay candidate: the TURN server refused the allocation/);
      expect(message).toContain("TURN credentials");
      if (what === "an expired credential") expect(message).toMatch(/its credential expired at \d{4}-/);
      else expect(message).not.toContain("expired at");
      expect(client.log).toEqual(["connectionFailed ice_failed"]);
      // One attempt: another with the same credentials would be refused the same way.
      expect(client.recorder.connections).toHaveLength(1);
    });
  }

  it("never goes straight to a host that offers no relay: its address stays hidden, the join fails", async () => {
    // libdatachannel gathers only relays under "relay" but would still check from its own address
    // to the host's direct candidates (and connect that way, showing the address to the host).
    const { url } = await turnSignaling();
    const host = await directHost(url);
    const client = await relayOnlyClient(url, host.roomCode, {
      iceServers: undefined,
      connectTimeoutMs: 3000,
    });
    expect(client.failure).toBeInstanceOf(ConnectionError);
    expect(client.recorder.connections.length).toBeGreaterThan(0);
    for (const { pc } of client.recorder.connections) expect(pc.connectionState).not.toBe("connected");
    for (const { pc } of host.recorder.connections) expect(pc.connectionState).not.toBe("connected");
    expect(host.log).toEqual([]);
    // It had a relay: the signaling server's TURN entry, with this player's credential.
    const [server] = client.recorder.connections[0]!.config.iceServers!;
    expect(server!.urls).toEqual(turn.urls);
    expect(server!.username).toMatch(/^\d+-/);
  });
});
