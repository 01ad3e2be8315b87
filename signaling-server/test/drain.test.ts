/**
 * Graceful shutdown (SIGTERM, `server.shutdown()`): the server stops taking new sockets and new
 * places, says "draining" to load balancers, tells every socket to move (`serverDraining`), keeps
 * relaying for those still there, and closes once they have gone or DRAIN_TIMEOUT_MS has passed.
 * Sockets that leave meanwhile end nothing for anyone: no peerLeft, no roomClosed.
 */

import { io as connectSocket } from "socket.io-client";
import type { SignalingError } from "starwire-protocol";
import { describe, expect, it } from "vitest";
import { disconnection, OFFER, serverPerTest, type TestServer, WAIT_MS } from "./helpers.js";

const start = serverPerTest();

async function healthOf(s: TestServer) {
  const response = await fetch(`${s.url}/health`, { signal: AbortSignal.timeout(WAIT_MS) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Resolves with how the promise settled, or "pending" after `ms` (a bound on a failure, not a timing). */
function settledWithin(promise: Promise<unknown>, ms: number): Promise<string> {
  return Promise.race([
    promise.then(() => "resolved"),
    new Promise<string>((resolve) => setTimeout(() => resolve("pending"), ms)),
  ]);
}

describe("shutdown()", () => {
  it("tells every socket to move, refuses new sockets and places, keeps relaying, and says draining on /health", async () => {
    const s = await start({ drainTimeoutMs: 60_000 });
    const { host, roomCode } = await s.createRoom(4);
    const { client, peerId } = await s.joinRoom(roomCode, host);
    const idle = await s.connect();

    const shutdown = s.server.shutdown();
    for (const socket of [host, client, idle]) expect(await socket.inbox.next("serverDraining")).toEqual({});
    // Outside a room, a socket has nothing to move: closed at once.
    await disconnection(idle);
    expect(s.server.draining).toBe(true);
    expect(await healthOf(s)).toEqual({
      status: 503,
      body: { status: "draining", rooms: 1, sockets: 2 },
    });

    // No new socket…
    const late = connectSocket(s.url, { transports: ["websocket"], reconnection: false, forceNew: true });
    const refused = await new Promise<string>((resolve) => {
      late.once("connect", () => resolve("connected"));
      late.once("connect_error", (error) => resolve(`refused: ${error.message}`));
    });
    late.close();
    expect(refused).toMatch(/^refused/);
    // …and no new place on the sockets still here: they belong on the next server.
    for (const [event, payload] of [
      ["join", { roomCode }],
      ["create", { maxPlayers: 2 }],
      ["resume", { roomCode, peerId, resumeToken: "x" }],
    ] as const) {
      expect(await client.request<SignalingError>(event, payload)).toMatchObject({ code: "server_draining" });
    }
    // Signals still flow while players move.
    client.raw.emit("signal", { data: OFFER, connection: 1 });
    expect(await host.inbox.next("signal")).toMatchObject({ from: peerId, data: OFFER });

    // Everyone leaves (the SDK's peers move to another server): the drain ends without its timeout.
    expect(await settledWithin(shutdown, 50)).toBe("pending");
    for (const socket of [host, client]) socket.raw.disconnect();
    expect(await settledWithin(shutdown, WAIT_MS)).toBe("resolved");
  });

  it("closes the sockets still there once DRAIN_TIMEOUT_MS has passed", async () => {
    const s = await start({ drainTimeoutMs: 100 });
    const { host } = await s.createRoom(4);
    const closed = disconnection(host, WAIT_MS);
    await s.server.shutdown();
    await closed;
    expect(s.server.debugStats()).toMatchObject({ sockets: 0, graceTimers: 0, roomTimers: 0 });
  });

  it("announces nothing when a socket goes away while draining: the game goes on over WebRTC", async () => {
    const s = await start({ drainTimeoutMs: 60_000 });
    const { host, roomCode } = await s.createRoom(4);
    const leaving = await s.joinRoom(roomCode, host);
    const staying = await s.joinRoom(roomCode, host);
    void s.server.shutdown();
    await host.inbox.next("serverDraining");
    // It drops the way the SDK lets a socket go (transport closed, as if the network went): with
    // no reconnect grace, that would normally tell the host peerLeft at once.
    leaving.client.raw.io.engine.close();
    await expect.poll(() => s.server.debugStats().sockets).toBe(3 - 1);
    staying.client.raw.emit("signal", { data: OFFER, connection: 7 });
    const marker = (signal: unknown) => (signal as { connection?: number }).connection === 7;
    const before = await host.inbox.before("signal", marker);
    expect(before.filter(([name]) => name !== "serverDraining")).toEqual([]);
    // The other client hears nothing either.
    host.raw.disconnect();
    await expect.poll(() => s.server.debugStats().sockets).toBe(1);
    // A reply comes after whatever the server sent this socket before it.
    expect(await staying.client.request("probe")).toEqual({ ok: true });
    expect(staying.client.inbox.pending("roomClosed")).toEqual([]);
  });

  it("is idempotent and counts draining in the metrics", async () => {
    const s = await start({ drainTimeoutMs: 60_000 });
    const { host } = await s.createRoom(2);
    const first = s.server.shutdown();
    expect(s.server.shutdown()).toBe(first);
    expect(await (await fetch(`${s.url}/metrics`)).text()).toContain("starwire_signaling_draining 1");
    host.raw.disconnect();
    await first;
  });
});
