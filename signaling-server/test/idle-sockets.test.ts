import type { SignalingError } from "starwire-protocol";
import { afterEach, describe, expect, it, vi } from "vitest";
import { IdleSockets } from "../src/idle-sockets.js";
import { delay, disconnection, startServer, type TestClient, type TestServer } from "./helpers.js";

/** Short enough for tests, long enough that a create or join on loopback always beats it. */
const IDLE_MS = 300;

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(overrides = {}): Promise<TestServer> {
  server = await startServer({ idleSocketTimeoutMs: IDLE_MS, ...overrides });
  return server;
}

async function expectDroppedAsIdle(client: TestClient) {
  const error = await client.inbox.next<SignalingError & { event: string }>("signalingError", IDLE_MS * 5);
  expect(error).toEqual({
    ok: false,
    code: "rate_limited",
    message: `idle: no room created or joined within ${IDLE_MS / 1000} s; connect again when you are ready to play`,
    event: "connection",
  });
  await disconnection(client);
}

describe("idle sockets", () => {
  it("disconnects a socket that neither creates nor joins in time, telling it why", async () => {
    const s = await start();
    const started = performance.now();
    const idle = await s.connect();
    // Events that do not put it in a room do not count as activity.
    await idle.request("leave");
    await idle.request("join", { roomCode: "NOPE22" });
    await expectDroppedAsIdle(idle);
    expect(performance.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 20);
    expect(s.logs).toContainEqual(expect.stringMatching(/^socket \S+ closed: idle: no room created/));
    expect(s.server.debugStats()).toMatchObject({ sockets: 0, idleTimers: 0 });
  });

  it("keeps hosts and clients that got into a room in time", async () => {
    const s = await start();
    const { host, roomCode } = await s.createRoom();
    const { client } = await s.joinRoom(roomCode, host);
    expect(s.server.debugStats().idleTimers).toBe(0);
    await delay(IDLE_MS * 2);
    expect(host.raw.connected && client.raw.connected).toBe(true);
    expect(host.inbox.pending("signalingError")).toEqual([]);
  });

  it("starts the countdown again when the room ends for a socket that stays connected", async () => {
    const s = await start();
    const { host, roomCode } = await s.createRoom();
    const leaver = (await s.joinRoom(roomCode, host)).client;
    const kicked = await s.joinRoom(roomCode, host);
    const stranded = (await s.joinRoom(roomCode, host)).client;
    await leaver.request("leave");
    await host.request("kick", { peerId: kicked.peerId });
    await expectDroppedAsIdle(leaver);
    await expectDroppedAsIdle(kicked.client);
    // The host leaving strands its clients and itself.
    await host.request("leave");
    await expectDroppedAsIdle(stranded);
    await expectDroppedAsIdle(host);
  });

  it("stops the countdown when a socket disconnects first: nothing fires later", async () => {
    const s = await start();
    const clients = await Promise.all(Array.from({ length: 5 }, () => s.connect()));
    expect(s.server.debugStats().idleTimers).toBe(5);
    for (const client of clients) client.raw.disconnect();
    await expect.poll(() => s.server.debugStats()).toMatchObject({ sockets: 0, idleTimers: 0 });
    await delay(IDLE_MS + 100);
    expect(s.logs.filter((line) => line.includes("idle"))).toEqual([]);
  });

  it("is off at 0", async () => {
    const s = await start({ idleSocketTimeoutMs: 0 });
    const client = await s.connect();
    expect(s.server.debugStats().idleTimers).toBe(0);
    await delay(IDLE_MS + 100);
    expect(client.raw.connected).toBe(true);
  });
});

describe("IdleSockets", () => {
  it("fires once per start, restarts on start, and forgets on stop", () => {
    vi.useFakeTimers();
    try {
      const fired: string[] = [];
      const idle = new IdleSockets(30, (id) => fired.push(id));
      idle.start("a");
      idle.start("b");
      idle.start("c");
      idle.stop("b");
      vi.advanceTimersByTime(15);
      idle.start("c");
      expect(idle.size).toBe(2);
      vi.advanceTimersByTime(15);
      expect(fired).toEqual(["a"]);
      vi.advanceTimersByTime(15);
      expect(fired).toEqual(["a", "c"]);
      expect(idle.size).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
      idle.stop("nobody");
    } finally {
      vi.useRealTimers();
    }
  });

  it("does nothing with a timeout of 0", () => {
    const idle = new IdleSockets(0, () => {
      throw new Error("must not fire");
    });
    idle.start("a");
    expect(idle.size).toBe(0);
  });
});
