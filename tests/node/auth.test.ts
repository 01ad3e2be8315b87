// Authentication over real WebRTC (Godot's auth_callback; SECURITY.md, "Limits"): both sides
// exchange sendAuth data and call completeAuth; only then is a client in the game. A client that
// does not complete is dropped after authTimeout, the host reporting peerAuthenticationFailed and
// the client connectionFailed("auth_failed"); nothing it sends meanwhile runs.
import { MultiplayerAPI } from "starwire/node";
import { expect, it } from "vitest";
import { Game, loopbackPeer, recordEvents, startSignaling, until } from "./helpers.js";

const text = (data: Uint8Array) => new TextDecoder().decode(data);
const bytes = (value: string) => new TextEncoder().encode(value);

/** A host that asks every client for "open sesame" and tells it "welcome". */
async function authHost(url: string, authTimeout: number) {
  const api = new MultiplayerAPI();
  const log = recordEvents(api);
  const heard: Array<[number, string]> = [];
  const authenticating = new Map<number, number>();
  const failed = new Map<number, number>();
  api.authTimeout = authTimeout;
  api.authCallback = (peer, data) => {
    heard.push([peer, text(data)]);
    if (text(data) === "open sesame") api.completeAuth(peer);
  };
  api.on("peerAuthenticating", (peer) => {
    authenticating.set(peer, performance.now());
    api.sendAuth(peer, bytes("welcome"));
  });
  api.on("peerAuthenticationFailed", (peer) => failed.set(peer, performance.now()));
  const peer = loopbackPeer(url);
  const { roomCode } = await peer.createServer({ maxPlayers: 8 });
  api.peer = peer;
  const game = api.root.addChild(new Game(api));
  return { api, log, heard, authenticating, failed, game, roomCode };
}

/** A client that answers the host with `answer`, and completes on its side when `complete`. */
function authClient(url: string, answer: string, complete: boolean, authTimeout = 3000) {
  const api = new MultiplayerAPI();
  const log = recordEvents(api);
  const heard: Array<[number, string]> = [];
  const authFailed: number[] = [];
  api.authTimeout = authTimeout;
  api.authCallback = (peer, data) => {
    heard.push([peer, text(data)]);
    if (complete && text(data) === "welcome") api.completeAuth(peer);
  };
  api.on("peerAuthenticating", (peer) => api.sendAuth(peer, bytes(answer)));
  api.on("peerAuthenticationFailed", (peer) => authFailed.push(peer));
  const peer = loopbackPeer(url);
  api.peer = peer;
  const game = api.root.addChild(new Game(api));
  return { api, log, heard, authFailed, game, peer };
}

it("both sides exchange auth data and complete; then the client is in and its calls run", async () => {
  const signaling = await startSignaling();
  const host = await authHost(signaling.url, 10_000);
  const client = authClient(signaling.url, "open sesame", true);
  try {
    const rejected: string[] = [];
    host.api.on("rejected", (r) => rejected.push(r.reason));
    // Bytes before authentication: refused, not run.
    client.api.on("peerAuthenticating", () => client.peer.send(1, Uint8Array.of(3, 1, 2, 3), "reliable", 0));
    const packets: number[] = [];
    host.api.on("peerPacket", (from) => packets.push(from));
    await client.peer.createClient(host.roomCode);
    await client.api.whenConnected();
    const id = client.peer.uniqueId;
    await until(() => host.api.getPeers().includes(id) || host.failed.has(id), 10_000, "the client admitted");

    expect(host.heard).toEqual([[id, "open sesame"]]);
    expect(client.heard).toEqual([[1, "welcome"]]);
    expect(host.log).toEqual([`peerConnected ${id}`]);
    expect(client.log).toEqual(["connectedToServer", "peerConnected 1"]);
    expect(rejected).toEqual(["unauthenticated"]);
    expect(packets).toEqual([]);

    client.game.rpcId(1, "hello", 42);
    host.game.rpc("shout", "admitted");
    await until(() => host.game.calls.length > 0 && client.game.calls.length > 0, 5000, "a call each way");
    expect(host.game.calls).toEqual([["hello", id, 42]]);
    expect(client.game.calls).toEqual([["shout", 1, "admitted"]]);
    expect(host.failed.size + client.authFailed.length).toBe(0);
  } finally {
    client.api.peer = null;
    host.api.peer = null;
    await signaling.close();
  }
}, 60_000);

it("a client that never completes is dropped after the host's authTimeout; admitted clients play on", async () => {
  const signaling = await startSignaling();
  const AUTH_TIMEOUT = 1500;
  const host = await authHost(signaling.url, AUTH_TIMEOUT);
  const honest = authClient(signaling.url, "open sesame", true);
  // Sends the right answer but never completes on its side; its own timeout is far away, so what
  // ends it is the host's.
  const stalling = authClient(signaling.url, "open sesame", false, 60_000);
  try {
    await honest.peer.createClient(host.roomCode);
    await honest.api.whenConnected();
    const joined = stalling.api.whenConnected().then(
      () => "connected",
      (error: { reason?: string }) => `failed ${error.reason}`,
    );
    await stalling.peer.createClient(host.roomCode);
    const id = stalling.peer.uniqueId;
    await until(() => host.failed.has(id) || host.api.getPeers().includes(id), 15_000, "the host's verdict");
    expect(host.api.getPeers()).toEqual([honest.peer.uniqueId]);
    // The host completed its side; the client never did, so the host gave up on its own timer.
    expect(host.heard).toContainEqual([id, "open sesame"]);
    expect(host.failed.get(id)! - host.authenticating.get(id)!).toBeGreaterThanOrEqual(AUTH_TIMEOUT - 2);
    expect(host.log).not.toContain(`peerConnected ${id}`);

    expect(await joined).toBe("failed auth_failed");
    expect(stalling.log).toEqual(["connectionFailed auth_failed"]);
    expect(stalling.authFailed).toEqual([1]);
    expect(stalling.api.connectionStatus).toBe("disconnected");

    honest.game.rpcId(1, "hello", 7);
    await until(() => host.game.calls.length > 0, 5000, "the admitted client's hello");
    expect(host.game.calls).toEqual([["hello", honest.peer.uniqueId, 7]]);
    expect(honest.log).toEqual(["connectedToServer", "peerConnected 1"]);
  } finally {
    stalling.api.peer = null;
    honest.api.peer = null;
    host.api.peer = null;
    await signaling.close();
  }
}, 60_000);

it("a client whose host never completes gives up after its own authTimeout; the host drops it", async () => {
  const signaling = await startSignaling();
  // The host hears the client but does not accept its answer, and waits far longer than the client.
  const host = await authHost(signaling.url, 60_000);
  const AUTH_TIMEOUT = 1500;
  const client = authClient(signaling.url, "let me in", true, AUTH_TIMEOUT);
  try {
    const started = performance.now();
    const joined = client.api.whenConnected().then(
      () => "connected",
      (error: { reason?: string }) => `failed ${error.reason}`,
    );
    await client.peer.createClient(host.roomCode);
    const id = client.peer.uniqueId;
    expect(await joined).toBe("failed auth_failed");
    expect(performance.now() - started).toBeGreaterThanOrEqual(AUTH_TIMEOUT - 2);
    expect(client.heard).toEqual([[1, "welcome"]]);
    expect(client.log).toEqual(["connectionFailed auth_failed"]);
    // The client closed its side: the host lets go of the pending peer as soon as it hears.
    await until(() => host.failed.has(id), 10_000, "the host's peerAuthenticationFailed");
    expect(host.heard).toEqual([[id, "let me in"]]);
    expect(host.api.getPeers()).toEqual([]);
    expect(host.api.debugStats().authenticating).toBe(0);
  } finally {
    client.api.peer = null;
    host.api.peer = null;
    await signaling.close();
  }
}, 60_000);
