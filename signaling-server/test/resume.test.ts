/**
 * Session resumption over real connections: a socket that drops without leaving keeps its place
 * for the room's reconnect grace, a client takes it back with `resume`, a host with a reclaim of
 * its live room (takeover). "Drops" here are abrupt: the client closes its transport without
 * socket.io's disconnect packet, as a network failure would.
 */
import { createHmac } from "node:crypto";
import type { CreateReply, JoinReply, Reply, SignalingError } from "starwire-protocol";
import { describe, expect, it } from "vitest";
import {
  ANSWER,
  delay,
  disconnection,
  OFFER,
  serverPerTest,
  startServer,
  TEST_REDIS_URL,
  type TestClient,
  type TestServer,
  tagOf,
  WAIT_MS,
} from "./helpers.js";

const SECRET = "a-shared-room-secret-for-tests";
/** "At once" means well under a second. */
const PROMPTLY_MS = 500;
/** Long enough to do a few round trips inside it on a loaded machine, short enough for a test. */
const GRACE_MS = 800;

const start = serverPerTest();

function serverWith(overrides: Parameters<typeof start>[0] = {}): Promise<TestServer> {
  return start({ roomSecret: SECRET, ...overrides });
}

async function hostOf(
  s: TestServer,
  request: object = { maxPlayers: 4, reconnectGraceMs: GRACE_MS },
): Promise<{ host: TestClient; reply: CreateReply }> {
  const host = await s.connect();
  const reply = await host.request<Reply<CreateReply>>("create", request);
  if (!reply.ok) throw new Error(`create failed: ${reply.code}`);
  return { host, reply };
}

async function clientOf(
  s: TestServer,
  roomCode: string,
  host: TestClient | undefined,
): Promise<{ client: TestClient; reply: JoinReply }> {
  const client = await s.connect();
  const reply = await client.request<Reply<JoinReply>>("join", { roomCode });
  if (!reply.ok) throw new Error(`join failed: ${reply.code}`);
  if (host !== undefined) expect(await host.inbox.next("peerJoined")).toEqual({ peerId: reply.peerId });
  return { client, reply };
}

/**
 * Closes the client's transport without a socket.io disconnect packet, as a dead network would,
 * and resolves once the server has dealt with it (`logged` appears in its log).
 */
async function dropAbruptly(s: TestServer, client: TestClient, logged: string | RegExp): Promise<void> {
  const gone = disconnection(client);
  client.raw.io.engine.close();
  // The client's own reason; the server sees "transport close" (checked below).
  expect(await gone).toBe("forced close");
  await expect
    .poll(() => s.logs.some((line) => (typeof logged === "string" ? line === logged : logged.test(line))), {
      timeout: WAIT_MS,
      interval: 10,
    })
    .toBe(true);
}

function resumeWith(client: TestClient, roomCode: string, peerId: number, resumeToken: string) {
  return client.request<Reply<JoinReply>>("resume", { roomCode, peerId, resumeToken });
}

/**
 * A resume token as the server issues it (tokens.ts) for `peerId` in room `code`, instance
 * `instance`, expiring at `expiresAt` (Unix seconds; 5 minutes from now by default).
 */
function tokenFor(
  code: string,
  peerId: number,
  instance = "AAAAAAAAAAAAAAAAAAAAAA",
  expiresAt = Math.floor(Date.now() / 1000) + 300,
): string {
  const mac = createHmac("sha256", SECRET)
    .update(`peer\0${code}\0${instance}\0${peerId}\0${expiresAt}`)
    .digest("base64url");
  return `${instance}.${expiresAt}.${mac}`;
}

/** The room instance a token names (the part before the first dot). */
const instanceOf = (token: string | undefined) => token!.split(".")[0]!;
/** A token's expiry (Unix seconds). */
const expiryOf = (token: string | undefined) => Number(token!.split(".")[1]);

/** A place as `join` answered it, as `resume` answers it again: with a fresh token of the same room. */
const samePlace = (reply: JoinReply) => ({
  ...reply,
  ok: true,
  resumeToken: expect.stringMatching(`^${instanceOf(reply.resumeToken)}\\.`),
});

/** Both directions work: the host reaches `peerId` on `client`, and `client` reaches the host. */
async function expectSignalsFlow(host: TestClient, client: TestClient, peerId: number): Promise<void> {
  host.raw.emit("signal", { to: peerId, data: OFFER, connection: 3 });
  expect(await client.inbox.next("signal")).toEqual({ from: 1, data: OFFER, connection: 3 });
  client.raw.emit("signal", { data: ANSWER, connection: 3 });
  expect(await host.inbox.next("signal")).toEqual({ from: peerId, data: ANSWER, connection: 3 });
  expect(host.inbox.pending("signalingError")).toEqual([]);
  expect(client.inbox.pending("signalingError")).toEqual([]);
}

describe("without a grace (the default)", () => {
  it("a client's dropped socket leaves at once, and a host's closes the room at once", async () => {
    const s = await serverWith();
    const { host, reply } = await hostOf(s, { maxPlayers: 4 });
    expect(reply.reconnectGraceMs).toBe(0);
    const first = await clientOf(s, reply.roomCode, host);
    expect(first.reply).toEqual({
      ok: true,
      roomCode: reply.roomCode,
      peerId: first.reply.peerId,
      iceServers: [],
      resumeToken: tokenFor(
        reply.roomCode,
        first.reply.peerId,
        instanceOf(reply.hostToken),
        expiryOf(first.reply.resumeToken),
      ),
      reconnectGraceMs: 0,
    });
    const second = await clientOf(s, reply.roomCode, host);

    first.client.raw.io.engine.close();
    expect(await host.inbox.next("peerLeft", PROMPTLY_MS)).toEqual({ peerId: first.reply.peerId });
    expect(s.logs).toContain(
      `room ${tagOf(reply.hostToken!)} left peer=${first.reply.peerId} (disconnected)`,
    );

    host.raw.io.engine.close();
    expect(await second.client.inbox.next("roomClosed", PROMPTLY_MS)).toEqual({ reason: "host_left" });
    expect(s.server.debugStats()).toMatchObject({ rooms: 0, graceTimers: 0 });
  });
});

describe("a client's dropped socket, with a grace", () => {
  it("keeps its place: no peerLeft, and resume from a new socket gets the same id back", async () => {
    const s = await serverWith();
    const { host, reply: created } = await hostOf(s);
    expect(created.reconnectGraceMs).toBe(GRACE_MS);
    const { roomCode } = created;
    const { client, reply } = await clientOf(s, roomCode, host);
    expect(reply.reconnectGraceMs).toBe(GRACE_MS);
    const serverSide = s.server.io.of("/").sockets.get(client.raw.id!)!;
    const reason = new Promise<string>((resolve) => serverSide.once("disconnect", resolve));

    await dropAbruptly(
      s,
      client,
      `room ${tagOf(created.hostToken!)} detached peer=${reply.peerId} socket=${serverSide.id} grace=${GRACE_MS}ms`,
    );
    // The server saw a drop, not a deliberate disconnect.
    expect(await reason).toBe("transport close");
    expect(s.server.debugStats().graceTimers).toBe(1);
    // While it is away, the host's signals to it are dropped without an error.
    host.raw.emit("signal", { to: reply.peerId, data: OFFER });

    const again = await s.connect();
    const resumed = await resumeWith(again, roomCode.toLowerCase(), reply.peerId, reply.resumeToken!);
    expect(resumed).toEqual(samePlace(reply));
    expect(s.logs).toContain(
      `room ${tagOf(created.hostToken!)} resumed peer=${reply.peerId} socket=${again.raw.id}`,
    );
    expect(s.server.debugStats()).toMatchObject({ graceTimers: 0, idleTimers: 0 });
    await expectSignalsFlow(host, again, reply.peerId);

    // The grace would have ended by now: nothing is announced, the place stays.
    await delay(GRACE_MS + 200);
    expect(host.inbox.pending("peerLeft")).toEqual([]);
    expect(host.inbox.pending("signalingError")).toEqual([]);
    expect(host.inbox.pending("peerJoined")).toEqual([]);
    await expectSignalsFlow(host, again, reply.peerId);
  });

  it("is counted toward maxPlayers while away", async () => {
    const s = await serverWith();
    const { host, reply: created } = await hostOf(s, { maxPlayers: 1, reconnectGraceMs: GRACE_MS });
    const { client, reply } = await clientOf(s, created.roomCode, host);
    await dropAbruptly(s, client, new RegExp(`detached peer=${reply.peerId} `));
    const other = await s.connect();
    expect(await other.request("join", { roomCode: created.roomCode })).toMatchObject({ code: "room_full" });
  });

  it("leaves when the grace runs out: the host gets peerLeft, and resume session_expired", async () => {
    const s = await serverWith();
    const { host, reply: created } = await hostOf(s, { maxPlayers: 1, reconnectGraceMs: GRACE_MS });
    const { roomCode } = created;
    const { client, reply } = await clientOf(s, roomCode, host);
    const droppedAt = Date.now();
    await dropAbruptly(s, client, new RegExp(`detached peer=${reply.peerId} `));

    expect(await host.inbox.next("peerLeft", GRACE_MS + WAIT_MS)).toEqual({ peerId: reply.peerId });
    // Timers never fire early; allow a little for the drop reaching the server.
    expect(Date.now() - droppedAt).toBeGreaterThanOrEqual(GRACE_MS - 50);
    expect(s.logs).toContain(`room ${tagOf(created.hostToken!)} expired peer=${reply.peerId}`);
    expect(s.server.debugStats().graceTimers).toBe(0);

    const again = await s.connect();
    expect(await resumeWith(again, roomCode, reply.peerId, reply.resumeToken!)).toMatchObject({
      ok: false,
      code: "session_expired",
    });
    // Its place is free again.
    expect(await again.request("join", { roomCode })).toMatchObject({ ok: true });
  });

  it("a deliberate disconnect or leave still leaves at once", async () => {
    const s = await serverWith();
    const { host, reply: created } = await hostOf(s);
    const a = await clientOf(s, created.roomCode, host);
    const b = await clientOf(s, created.roomCode, host);

    a.client.raw.disconnect();
    expect(await host.inbox.next("peerLeft", PROMPTLY_MS)).toEqual({ peerId: a.reply.peerId });
    expect(await b.client.request("leave")).toEqual({ ok: true });
    expect(await host.inbox.next("peerLeft", PROMPTLY_MS)).toEqual({ peerId: b.reply.peerId });
    expect(s.server.debugStats().graceTimers).toBe(0);

    const again = await s.connect();
    expect(await resumeWith(again, created.roomCode, a.reply.peerId, a.reply.resumeToken!)).toMatchObject({
      code: "session_expired",
    });
  });

  it("kicked while away: the host gets peerLeft, the place is gone", async () => {
    const s = await serverWith();
    const { host, reply: created } = await hostOf(s);
    const { client, reply } = await clientOf(s, created.roomCode, host);
    await dropAbruptly(s, client, new RegExp(`detached peer=${reply.peerId} `));

    expect(await host.request("kick", { peerId: reply.peerId })).toEqual({ ok: true });
    expect(host.inbox.pending("peerLeft")).toEqual([{ peerId: reply.peerId }]);
    expect(s.logs).toContain(`room ${tagOf(created.hostToken!)} kicked peer=${reply.peerId} (detached)`);
    expect(s.server.debugStats().graceTimers).toBe(0);
    const again = await s.connect();
    expect(await resumeWith(again, created.roomCode, reply.peerId, reply.resumeToken!)).toMatchObject({
      code: "session_expired",
    });
  });
});

describe("resume", () => {
  it("takes the place from a socket still attached: that socket is closed, the host told nothing", async () => {
    const s = await serverWith();
    const { host, reply: created } = await hostOf(s, { maxPlayers: 4 });
    const { client: old, reply } = await clientOf(s, created.roomCode, host);

    const fresh = await s.connect();
    const closed = disconnection(old);
    expect(await resumeWith(fresh, created.roomCode, reply.peerId, reply.resumeToken!)).toMatchObject({
      ok: true,
      peerId: reply.peerId,
    });
    expect(await closed).toBe("io server disconnect");
    expect(old.inbox.pending("roomClosed")).toEqual([]);
    await expectSignalsFlow(host, fresh, reply.peerId);
    await delay(100);
    expect(host.inbox.pending("peerLeft")).toEqual([]);
    expect(s.server.debugStats()).toMatchObject({ rooms: 1, sockets: 2 });
  });

  it("refuses a wrong token, another peer's token, a socket in a room, a room that is not live", async () => {
    const s = await serverWith();
    const { host, reply: created } = await hostOf(s);
    const { roomCode } = created;
    const a = await clientOf(s, roomCode, host);
    const b = await clientOf(s, roomCode, host);
    const token = a.reply.resumeToken!;
    const flipped = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    const other = await s.connect();

    const wrong = await resumeWith(other, roomCode, a.reply.peerId, flipped);
    expect(wrong).toEqual({
      ok: false,
      code: "invalid_request",
      message: "this resume token does not belong to this room and peer",
    });
    expect(await resumeWith(other, roomCode, b.reply.peerId, token)).toEqual(wrong);
    expect(await resumeWith(other, roomCode, a.reply.peerId, created.hostToken!)).toEqual(wrong);
    expect(await resumeWith(b.client, roomCode, a.reply.peerId, token)).toMatchObject({
      code: "already_in_room",
    });
    expect(await resumeWith(host, roomCode, a.reply.peerId, token)).toMatchObject({
      code: "already_in_room",
    });
    // A real token for a code no room holds (say, before its host reclaimed it after a restart).
    expect(await resumeWith(other, "ZZZZZZ", 5, tokenFor("ZZZZZZ", 5))).toMatchObject({
      code: "no_such_room",
    });
    // Nothing changed hands; refusals are logged without the token or the code, once a minute.
    expect(a.client.raw.connected && b.client.raw.connected).toBe(true);
    expect(s.logs.filter((line) => line.includes("resume refused"))).toEqual([
      `resume refused peer=${a.reply.peerId} socket=${other.raw.id}: this resume token does not belong to this room and peer`,
    ]);
    expect(s.logs.join("\n")).not.toContain(token);
    expect(s.logs.join("\n")).not.toContain(flipped);
    expect(s.logs.join("\n")).not.toContain(roomCode);
  });

  it("counts wrong tokens as failed joins, but not a real token for a room that is not live", async () => {
    const s = await serverWith({ failedJoinsPerMinute: 2 });
    const client = await s.connect();
    for (let i = 0; i < 3; i++) {
      expect(await resumeWith(client, "ZZZZZZ", 5, tokenFor("ZZZZZZ", 5))).toMatchObject({
        code: "no_such_room",
      });
    }
    for (let i = 0; i < 2; i++) {
      expect(await resumeWith(client, "ZZZZZZ", 5, "guess")).toMatchObject({ code: "invalid_request" });
    }
    const limited = await resumeWith(client, "ZZZZZZ", 5, tokenFor("ZZZZZZ", 5));
    expect(limited).toMatchObject({ code: "rate_limited", message: expect.stringMatching(/failed joins/) });
    expect(await client.request("join", { roomCode: "ZZZZZZ" })).toMatchObject({ code: "rate_limited" });
  });
});

describe("resume tokens", () => {
  it("expire: one kept past its lifetime is refused like a wrong one, and counts as a failed join", async () => {
    const s = await serverWith({ failedJoinsPerMinute: 1, tokenTtlSeconds: 1 });
    const { host, reply: created } = await hostOf(s);
    const { client, reply } = await clientOf(s, created.roomCode, host);
    // Someone got hold of the token from the join reply, and tries it once it is old.
    await delay(2100);
    const thief = await s.connect();
    expect(await resumeWith(thief, created.roomCode, reply.peerId, reply.resumeToken!)).toEqual({
      ok: false,
      code: "invalid_request",
      message: "this resume token does not belong to this room and peer",
    });
    expect(client.raw.connected).toBe(true);
    expect(await resumeWith(thief, created.roomCode, reply.peerId, reply.resumeToken!)).toMatchObject({
      code: "rate_limited",
    });
  });

  it("are refreshed for a connected client every third of TOKEN_TTL_SECONDS; the fresh one resumes", async () => {
    const s = await serverWith({ tokenTtlSeconds: 3 });
    const { host, reply: created } = await hostOf(s);
    const { client, reply } = await clientOf(s, created.roomCode, host);
    const { resumeToken } = await client.inbox.next<{ resumeToken: string }>("resumeToken", 1000 + WAIT_MS);
    expect(instanceOf(resumeToken)).toBe(instanceOf(reply.resumeToken));
    expect(expiryOf(resumeToken)).toBeGreaterThan(expiryOf(reply.resumeToken));
    await dropAbruptly(s, client, new RegExp(`detached peer=${reply.peerId} `));
    const again = await s.connect();
    expect(await resumeWith(again, created.roomCode, reply.peerId, resumeToken)).toEqual(samePlace(reply));
    // The host got its own: host tokens, never resume tokens.
    expect(host.inbox.pending("resumeToken")).toEqual([]);
    expect(host.inbox.pending("hostToken").length).toBeGreaterThan(0);
  });
});

describe("a host's dropped socket, with a grace", () => {
  it("keeps the room live and tells nobody; the host takes it over from a new socket", async () => {
    const s = await serverWith();
    const { host, reply: created } = await hostOf(s);
    const { roomCode, hostToken } = created;
    const stayed = await clientOf(s, roomCode, host);
    await dropAbruptly(s, host, new RegExp(`^room ${tagOf(hostToken!)} detached peer=1 `));

    // The room is live: a new client joins; the away host's signals go nowhere, without an error.
    const late = await clientOf(s, roomCode, undefined);
    stayed.client.raw.emit("signal", { data: OFFER });

    const newHost = await s.connect();
    const reply = await newHost.request<Reply<CreateReply>>("create", {
      maxPlayers: 4,
      reconnectGraceMs: GRACE_MS,
      reclaim: { roomCode, hostToken, peers: [stayed.reply.peerId] },
    });
    expect(reply).toEqual({
      ok: true,
      roomCode,
      peerId: 1,
      iceServers: [],
      hostToken: expect.stringMatching(`^${instanceOf(hostToken)}\\.`),
      reconnectGraceMs: GRACE_MS,
    });
    // The host missed the late join: it hears of it now (after its reply), and of nobody else.
    expect(await newHost.inbox.next("peerJoined")).toEqual({ peerId: late.reply.peerId });
    expect(s.logs).toContain(`room ${tagOf(hostToken!)} taken over host=${newHost.raw.id}`);
    expect(s.server.debugStats()).toMatchObject({ rooms: 1, graceTimers: 0 });

    await expectSignalsFlow(newHost, stayed.client, stayed.reply.peerId);
    await expectSignalsFlow(newHost, late.client, late.reply.peerId);
    await delay(GRACE_MS + 200);
    for (const { client } of [stayed, late]) {
      expect(client.inbox.pending("roomClosed")).toEqual([]);
      expect(client.inbox.pending("signalingError")).toEqual([]);
      expect(client.inbox.pending("signal")).toEqual([]);
    }
    expect(newHost.inbox.pending("peerJoined")).toEqual([]);
    expect(newHost.inbox.pending("signal")).toEqual([]);
  });

  it("closes the room when the grace runs out without a takeover", async () => {
    const s = await serverWith();
    const { host, reply: created } = await hostOf(s);
    const { client } = await clientOf(s, created.roomCode, host);
    await dropAbruptly(s, host, new RegExp(`^room ${tagOf(created.hostToken!)} detached peer=1 `));
    await delay(GRACE_MS / 4);
    expect(client.inbox.pending("roomClosed")).toEqual([]);

    expect(await client.inbox.next("roomClosed", GRACE_MS + WAIT_MS)).toEqual({ reason: "host_left" });
    expect(s.logs).toContain(
      `room ${tagOf(created.hostToken!)} closed reason=host_left (host expired) clients=1`,
    );
    expect(s.server.debugStats()).toMatchObject({ rooms: 0, graceTimers: 0 });
    // Too late: the room closed on this server, and its token no longer opens it.
    const newHost = await s.connect();
    const reclaimed = await newHost.request("create", {
      maxPlayers: 4,
      reclaim: { roomCode: created.roomCode, hostToken: created.hostToken, peers: [] },
    });
    expect(reclaimed).toMatchObject({ ok: false, code: "reclaim_refused" });
    expect(s.server.debugStats().rooms).toBe(0);
  });

  it("a takeover while the old host socket is still attached closes that socket and tells no client", async () => {
    const s = await serverWith();
    const { host, reply: created } = await hostOf(s, { maxPlayers: 4 });
    const { client, reply } = await clientOf(s, created.roomCode, host);
    const newHost = await s.connect();
    const closed = disconnection(host);
    expect(
      await newHost.request("create", {
        maxPlayers: 4,
        reclaim: { roomCode: created.roomCode, hostToken: created.hostToken, peers: [reply.peerId] },
      }),
    ).toMatchObject({ ok: true, roomCode: created.roomCode });
    expect(await closed).toBe("io server disconnect");
    await expectSignalsFlow(newHost, client, reply.peerId);
    await delay(100);
    expect(client.inbox.pending("roomClosed")).toEqual([]);
    expect(newHost.inbox.pending("peerJoined")).toEqual([]);
    expect(s.server.debugStats()).toMatchObject({ rooms: 1, sockets: 2 });
  });
});

describe("after a restart", () => {
  it("a client resumes its reserved id once its host has reclaimed the room", async () => {
    const a = await startServer({ roomSecret: SECRET });
    let b: TestServer | undefined;
    try {
      const { host, reply: created } = await hostOf(a);
      const { reply } = await clientOf(a, created.roomCode, host);
      await a.close();

      b = await startServer({ roomSecret: SECRET });
      const client = await b.connect();
      // Before the host is back, the room is not live: the client tries again later.
      expect(await resumeWith(client, created.roomCode, reply.peerId, reply.resumeToken!)).toMatchObject({
        code: "no_such_room",
      });
      const newHost = await b.connect();
      expect(
        await newHost.request("create", {
          maxPlayers: 4,
          reconnectGraceMs: GRACE_MS,
          reclaim: { roomCode: created.roomCode, hostToken: created.hostToken, peers: [reply.peerId] },
        }),
      ).toMatchObject({ ok: true, roomCode: created.roomCode, reconnectGraceMs: GRACE_MS });
      expect(await resumeWith(client, created.roomCode, reply.peerId, reply.resumeToken!)).toEqual(
        samePlace(reply),
      );
      await expectSignalsFlow(newHost, client, reply.peerId);
      expect(newHost.inbox.pending("peerJoined")).toEqual([]);
    } finally {
      await a.close();
      await b?.close();
    }
  });
});

describe("probe", () => {
  it("answers ok in a room or not, and does not keep an idle socket open", async () => {
    const s = await serverWith({ idleSocketTimeoutMs: 1000 });
    const idle = await s.connect();
    expect(await idle.request("probe")).toEqual({ ok: true });
    const { host } = await hostOf(s);
    expect(await host.request("probe")).toEqual({ ok: true });
    const errors: SignalingError[] = [];
    idle.raw.on("signalingError", (error: SignalingError) => errors.push(error));
    const closing = disconnection(idle, 1000 + WAIT_MS);
    await delay(500);
    expect(await idle.request("probe")).toEqual({ ok: true });
    expect(await closing).toBe("io server disconnect");
    expect(errors).toMatchObject([{ code: "rate_limited", message: expect.stringMatching(/^idle/) }]);
  });
});

describe("the grace a room gets", () => {
  it("is capped by MAX_RECONNECT_GRACE_MS; 0 turns it off", async () => {
    const s = await serverWith({ maxReconnectGraceMs: 500 });
    const { host, reply } = await hostOf(s, { maxPlayers: 4, reconnectGraceMs: 60_000 });
    expect(reply.reconnectGraceMs).toBe(500);
    const joined = await clientOf(s, reply.roomCode, host);
    expect(joined.reply.reconnectGraceMs).toBe(500);
    expect(s.logs).toContainEqual(
      expect.stringMatching(`^room ${tagOf(reply.hostToken!)} created .* grace=500ms$`),
    );

    const off = await serverWith({ maxReconnectGraceMs: 0 });
    const { host: offHost, reply: offReply } = await hostOf(off, { maxPlayers: 4, reconnectGraceMs: 60_000 });
    expect(offReply.reconnectGraceMs).toBe(0);
    const { client, reply: offJoined } = await clientOf(off, offReply.roomCode, offHost);
    client.raw.io.engine.close();
    expect(await offHost.inbox.next("peerLeft", PROMPTLY_MS)).toEqual({ peerId: offJoined.peerId });
  });

  it("refuses a reconnectGraceMs that is not an integer from 0", async () => {
    const s = await serverWith();
    const host = await s.connect();
    for (const reconnectGraceMs of [-1, 1.5, "500", null]) {
      expect(await host.request("create", { maxPlayers: 4, reconnectGraceMs })).toMatchObject({
        ok: false,
        code: "invalid_request",
        message: expect.stringMatching(/^create: reconnectGraceMs must be an integer from 0/),
      });
    }
    expect(s.server.debugStats().rooms).toBe(0);
  });
});

describe("closing the server", () => {
  it("stops every grace countdown", async () => {
    const s = await startServer({ roomSecret: SECRET, maxReconnectGraceMs: 60_000 });
    try {
      const { host, reply } = await hostOf(s, { maxPlayers: 4, reconnectGraceMs: 60_000 });
      const a = await clientOf(s, reply.roomCode, host);
      const b = await clientOf(s, reply.roomCode, host);
      await dropAbruptly(s, a.client, new RegExp(`detached peer=${a.reply.peerId} `));
      await dropAbruptly(s, b.client, new RegExp(`detached peer=${b.reply.peerId} `));
      expect(s.server.debugStats().graceTimers).toBe(2);
    } finally {
      await s.close();
    }
    expect(s.server.debugStats()).toMatchObject({ sockets: 0, graceTimers: 0, idleTimers: 0 });
    // The embedded store forgets the room; Redis keeps it for the host and players to take back on
    // another process (it expires by its lease if nobody does).
    expect(s.server.debugStats().rooms).toBe(TEST_REDIS_URL === undefined ? 0 : 1);
  });
});
