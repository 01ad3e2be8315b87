/**
 * Reclaiming a room code over real connections: a host that lost the signaling server (say, it
 * restarted) gets its code back with the host token from its create reply.
 */
import { createHmac } from "node:crypto";
import type { CreateReply, JoinReply, Reply } from "starwire-protocol";
import { afterEach, describe, expect, it } from "vitest";
import { delay, startServer, type TestClient, type TestServer, tagOf } from "./helpers.js";

const SECRET = "a-shared-room-secret-for-tests";

/**
 * A host token of this secret for `code`, naming room instance `instance`, expiring at
 * `expiresAt` (Unix seconds; 5 minutes from now by default), as tokens.ts issues them.
 */
function hostToken(code: string, instance: string, expiresAt = Math.floor(Date.now() / 1000) + 300): string {
  const mac = createHmac("sha256", SECRET)
    .update(`host\0${code}\0${instance}\0${expiresAt}`)
    .digest("base64url");
  return `${instance}.${expiresAt}.${mac}`;
}

const servers: TestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serverWith(overrides: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const server = await startServer({ roomSecret: SECRET, ...overrides });
  servers.push(server);
  return server;
}

async function created(
  server: TestServer,
  request: object = { maxPlayers: 4 },
): Promise<{ host: TestClient; reply: CreateReply }> {
  const host = await server.connect();
  const reply = await host.request<Reply<CreateReply>>("create", request);
  if (!reply.ok) throw new Error(`create failed: ${reply.code}`);
  return { host, reply };
}

function reclaim(
  client: TestClient,
  roomCode: string,
  hostToken: string,
  peers: number[] = [],
  maxPlayers = 4,
) {
  return client.request<Reply<CreateReply>>("create", {
    maxPlayers,
    reclaim: { roomCode, hostToken, peers },
  });
}

/** A token of the right shape that nobody issued: what someone without the secret can send. */
function madeUp(): string {
  return `Guess0Guess0Guess0Gues.${Math.floor(Date.now() / 1000) + 300}.${"A".repeat(43)}`;
}

describe("host tokens", () => {
  it("come with every create: instance.expiresAt.HMAC-SHA256(ROOM_SECRET, host NUL code NUL instance NUL expiresAt), good on every server", async () => {
    const a = await serverWith();
    const before = Math.floor(Date.now() / 1000);
    const { reply } = await created(a);
    const [instance, expiresAt] = reply.hostToken!.split(".") as [string, string];
    expect(instance).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // TOKEN_TTL_SECONDS (600 by default) from now.
    expect(Number(expiresAt) - before).toBeGreaterThanOrEqual(600);
    expect(Number(expiresAt) - before).toBeLessThanOrEqual(601);
    expect(reply.hostToken).toBe(hostToken(reply.roomCode, instance, Number(expiresAt)));

    // Another instance with the same secret takes that token, and issues one for the same room.
    const b = await serverWith();
    const again = await reclaim(await b.connect(), reply.roomCode, reply.hostToken!);
    expect(again).toMatchObject({ ok: true, roomCode: reply.roomCode });
    expect(again.ok && again.hostToken!.split(".")[0]).toBe(instance);
  });

  it("without ROOM_SECRET are still issued, from a secret of the process's own", async () => {
    // In memory: with REDIS_URL a server refuses to start without ROOM_SECRET (two-servers.redis.test.ts).
    const a = await serverWith({ roomSecret: undefined, redisUrl: undefined });
    const b = await serverWith({ roomSecret: undefined, redisUrl: undefined });
    const { reply } = await created(a);
    const [instance, expiresAt, mac] = reply.hostToken!.split(".") as [string, string, string];
    expect(mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(reply.hostToken).not.toBe(hostToken(reply.roomCode, instance, Number(expiresAt)));
    expect(await reclaim(await b.connect(), reply.roomCode, reply.hostToken!)).toMatchObject({
      ok: false,
      code: "reclaim_refused",
    });
  });
});

describe("reclaim after a restart", () => {
  it("gets the same code on a new instance with the same ROOM_SECRET, and players join it again", async () => {
    const a = await serverWith();
    const { host: oldHost, reply } = await created(a, { maxPlayers: 4, password: "pw" });
    await a.close();
    servers.splice(servers.indexOf(a), 1);
    expect(oldHost.raw.connected).toBe(false);

    const b = await serverWith();
    const host = await b.connect();
    const reclaimed = await host.request<Reply<CreateReply>>("create", {
      maxPlayers: 4,
      password: "pw",
      reclaim: { roomCode: reply.roomCode.toLowerCase(), hostToken: reply.hostToken, peers: [7, 8] },
    });
    expect(reclaimed).toEqual({
      ok: true,
      roomCode: reply.roomCode,
      peerId: 1,
      iceServers: [],
      // A fresh token for the same room instance.
      hostToken: expect.stringMatching(`^${reply.hostToken!.split(".")[0]}\\.\\d+\\.`),
      reconnectGraceMs: 0,
    });
    expect(b.logs).toContain(
      `room ${tagOf(reply.hostToken!)} reclaimed host=${host.raw.id} reserved=2 maxPlayers=4 password=yes`,
    );

    // The password came along with the code.
    const stranger = await b.connect();
    expect(await stranger.request("join", { roomCode: reply.roomCode })).toMatchObject({
      code: "wrong_password",
    });
    const player = await b.connect();
    const joined = await player.request<Reply<JoinReply>>("join", {
      roomCode: reply.roomCode,
      password: "pw",
    });
    expect(joined).toMatchObject({ ok: true, roomCode: reply.roomCode });
    expect(joined.ok && [7, 8].includes(joined.peerId)).toBe(false);
    expect(await host.inbox.next("peerJoined")).toEqual({ peerId: joined.ok && joined.peerId });
  });

  it("refuses a wrong token, and a token from another secret", async () => {
    const a = await serverWith();
    const { host: owner, reply } = await created(a);
    const token = reply.hostToken!;
    const flipped = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    const other = await a.connect();

    const wrong = await reclaim(other, "ABCDEF", token);
    expect(wrong).toMatchObject({ ok: false, code: "reclaim_refused" });
    // A wrong token says nothing about whether the code is live: the same answer.
    expect(await reclaim(other, reply.roomCode, flipped)).toEqual(wrong);
    expect(a.server.debugStats().rooms).toBe(1);
    expect(owner.raw.connected).toBe(true);
    // Refusals are logged without the token or the code, once a minute (logging.test.ts).
    expect(a.logs.filter((line) => line.includes("reclaim refused"))).toEqual([
      `reclaim refused socket=${other.raw.id}: ${wrong.ok ? "" : wrong.message}`,
    ]);
    expect(a.logs.join("\n")).not.toContain(token);
    expect(a.logs.join("\n")).not.toContain(reply.roomCode);

    // Refused, the socket is outside any room and may create or reclaim normally.
    expect(await other.request("create", { maxPlayers: 2 })).toMatchObject({ ok: true });

    const b = await serverWith({ roomSecret: "a-different-secret-entirely" });
    expect(await reclaim(await b.connect(), reply.roomCode, token)).toMatchObject({
      ok: false,
      code: "reclaim_refused",
    });
  });

  it("is refused while the socket is in a room", async () => {
    const a = await serverWith();
    const { host, reply } = await created(a);
    expect(await reclaim(host, reply.roomCode, reply.hostToken!)).toMatchObject({ code: "already_in_room" });
  });

  it("counts against the per-address create limit", async () => {
    const a = await serverWith({ roomCreatesPerMinute: 1 });
    const { reply } = await created(a);
    await a.close();
    const b = await serverWith({ roomCreatesPerMinute: 1 });
    const host = await b.connect();
    expect(await host.request("create", { maxPlayers: 2 })).toMatchObject({ ok: true });
    await host.request("leave");
    expect(await reclaim(host, reply.roomCode, reply.hostToken!)).toMatchObject({
      ok: false,
      code: "rate_limited",
    });
  });

  it("refuses a token kept past its lifetime, on a restarted server with the same ROOM_SECRET", async () => {
    const a = await serverWith({ tokenTtlSeconds: 1 });
    const { reply } = await created(a);
    await a.close();
    // The host never came back for it; now someone has the token and tries it.
    await delay(2100);
    const b = await serverWith({ tokenTtlSeconds: 1 });
    expect(await reclaim(await b.connect(), reply.roomCode, reply.hostToken!)).toMatchObject({
      ok: false,
      code: "reclaim_refused",
    });
    expect(b.server.debugStats().rooms).toBe(0);
  });

  it("with an expired token is refused after a restart; a fresh token of the same room is taken", async () => {
    const a = await serverWith();
    const { reply } = await created(a);
    await a.close();
    const [instance] = reply.hostToken!.split(".") as [string];
    const b = await serverWith();
    const host = await b.connect();
    // A genuine token of that room (the right mac), expired a second ago: refused.
    const expired = hostToken(reply.roomCode, instance, Math.floor(Date.now() / 1000) - 1);
    expect(await reclaim(host, reply.roomCode, expired)).toMatchObject({
      ok: false,
      code: "reclaim_refused",
    });
    // The same token with its expiry pushed back is no token at all (the mac covers the expiry).
    const [, , mac] = expired.split(".");
    const edited = `${instance}.${Math.floor(Date.now() / 1000) + 300}.${mac}`;
    expect(await reclaim(host, reply.roomCode, edited)).toMatchObject({ ok: false, code: "reclaim_refused" });
    expect(b.server.debugStats().rooms).toBe(0);
    // The fresh token from the create reply reopens it.
    expect(await reclaim(host, reply.roomCode, reply.hostToken!)).toMatchObject({
      ok: true,
      roomCode: reply.roomCode,
    });
  });
});

describe("a room that closed on this server", () => {
  it("cannot be reopened with its token, from the host's socket or any other, whatever closed it", async () => {
    const a = await serverWith({ maxReconnectGraceMs: 300 });
    // The host leaves.
    const left = await created(a);
    expect(await left.host.request("leave")).toEqual({ ok: true });
    // The host's socket disconnects.
    const gone = await created(a);
    gone.host.raw.disconnect();
    // The host's socket drops and its grace runs out.
    const expired = await created(a, { maxPlayers: 4, reconnectGraceMs: 300 });
    expired.host.raw.io.engine.close();
    await expect.poll(() => a.server.debugStats().rooms, { timeout: 2000 }).toBe(0);

    for (const { host, reply } of [left, gone, expired]) {
      const other = await a.connect();
      const refused = await reclaim(other, reply.roomCode, reply.hostToken!);
      expect(refused).toMatchObject({ ok: false, code: "reclaim_refused" });
      if (host.raw.connected) {
        expect(await reclaim(host, reply.roomCode, reply.hostToken!)).toEqual(refused);
      }
    }
    expect(a.server.debugStats().rooms).toBe(0);
    // Nobody can join under those codes.
    const player = await a.connect();
    expect(await player.request("join", { roomCode: left.reply.roomCode })).toMatchObject({
      code: "no_such_room",
    });
  });

  it("answers every refused reclaim alike, whether the code is live or not", async () => {
    const a = await serverWith({ failedJoinsPerMinute: 0 });
    const live = await created(a);
    const closed = await created(a);
    await closed.host.request("leave");
    const [liveInstance] = live.reply.hostToken!.split(".") as [string];
    const attacker = await a.connect();
    const past = Math.floor(Date.now() / 1000) - 1;
    const answers = [
      // A made-up token for the live code, and for a code nobody holds.
      await reclaim(attacker, live.reply.roomCode, madeUp()),
      await reclaim(attacker, "ABCDEF", "x"),
      // A genuine but expired token of the live room.
      await reclaim(attacker, live.reply.roomCode, hostToken(live.reply.roomCode, liveInstance, past)),
      // A genuine, unexpired token of a room that closed here.
      await reclaim(attacker, closed.reply.roomCode, closed.reply.hostToken!),
      // A genuine token of another room under the live code.
      await reclaim(attacker, live.reply.roomCode, hostToken(live.reply.roomCode, "OtherOtherOtherOther00")),
    ];
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(answers[0]).toEqual({
      ok: false,
      code: "reclaim_refused",
      message: "this host token does not belong to this room code (or this server)",
    });
    expect(live.host.raw.connected).toBe(true);
  });
});

describe("refused reclaims", () => {
  it("count as failed joins: 150 from one address are cut off after FAILED_JOINS_PER_MINUTE, joins too", async () => {
    const a = await serverWith({ failedJoinsPerMinute: 20 });
    const { reply } = await created(a);
    const attacker = await a.connect();
    const codes: string[] = [];
    for (let i = 0; i < 150; i++) {
      // Probing which codes are live: the live one, and others, with a made-up token.
      const roomCode = i % 10 === 0 ? reply.roomCode : "ABCDEF";
      const answer = await reclaim(attacker, roomCode, madeUp());
      codes.push(answer.ok ? "ok" : answer.code);
    }
    // FAILED_JOINS_PER_MINUTE (20 here) refusals, then nothing but rate_limited.
    expect(codes.slice(0, 20)).toEqual(Array(20).fill("reclaim_refused"));
    expect(codes.slice(20)).toEqual(Array(130).fill("rate_limited"));
    const other = await a.connect();
    expect(await other.request("join", { roomCode: reply.roomCode })).toMatchObject({ code: "rate_limited" });
    // Another address is not affected, and neither is the room.
    expect(a.server.debugStats().rooms).toBe(1);
  });
});

describe("fresh host tokens", () => {
  it("reach a connected host every third of TOKEN_TTL_SECONDS, and a reclaim takes the newest", async () => {
    const a = await serverWith({ tokenTtlSeconds: 3 });
    const { host, reply } = await created(a, { maxPlayers: 4, reconnectGraceMs: 1000 });
    const { hostToken: fresh } = await host.inbox.next<{ hostToken: string }>("hostToken", 1000 + 1000);
    const [instance, expiresAt] = fresh.split(".") as [string, string];
    const [firstInstance, firstExpiresAt] = reply.hostToken!.split(".") as [string, string];
    expect(instance).toBe(firstInstance);
    expect(Number(expiresAt)).toBeGreaterThan(Number(firstExpiresAt));
    // The fresh token takes the room over from a new socket.
    const newHost = await a.connect();
    expect(await reclaim(newHost, reply.roomCode, fresh)).toMatchObject({
      ok: true,
      roomCode: reply.roomCode,
    });
    // Refreshes follow the room's host, and stop with the room.
    await newHost.inbox.next("hostToken", 1000 + 1000);
    await newHost.request("leave");
    expect(a.server.debugStats()).toMatchObject({ rooms: 0, roomTimers: 0 });
  });
});

describe("tokens name one room, not its code", () => {
  const resumeToken = (code: string, instance: string, peerId: number, expiresAt: number) =>
    `${instance}.${expiresAt}.${createHmac("sha256", SECRET).update(`peer\0${code}\0${instance}\0${peerId}\0${expiresAt}`).digest("base64url")}`;

  it("a token of an earlier room with the same code neither takes over nor resumes in a later one", async () => {
    const s = await serverWith();
    const code = "ABCDEF";
    const earlier = "EarlierEarlierEarlier0";
    const later = "LaterLaterLaterLater00";
    // The later room holds the code now (reopened by its own token, as after a restart).
    const host = await s.connect();
    const reopened = await reclaim(host, code, hostToken(code, later));
    expect(reopened).toMatchObject({ ok: true, roomCode: code });
    expect(reopened.ok && reopened.hostToken!.split(".")[0]).toBe(later);
    const client = await s.connect();
    const joined = await client.request<Reply<JoinReply>>("join", { roomCode: code });
    if (!joined.ok) throw new Error(joined.code);
    const expiresAt = Number(joined.resumeToken!.split(".")[1]);
    expect(joined.resumeToken).toBe(resumeToken(code, later, joined.peerId, expiresAt));

    // Someone who kept a token from an earlier room under this code gets nothing.
    const attacker = await s.connect();
    expect(await reclaim(attacker, code, hostToken(code, earlier))).toMatchObject({
      ok: false,
      code: "reclaim_refused",
    });
    expect(
      await attacker.request("resume", {
        roomCode: code,
        peerId: joined.peerId,
        resumeToken: resumeToken(code, earlier, joined.peerId, expiresAt),
      }),
    ).toMatchObject({ ok: false, code: "invalid_request" });
    // The room and its players are untouched: the host still gets its clients' signals.
    expect(host.raw.connected && client.raw.connected).toBe(true);
    client.raw.emit("signal", { data: { type: "offer", sdp: "v=0" } });
    expect(await host.inbox.next("signal")).toMatchObject({ from: joined.peerId });
  });
});

describe("reserved peer ids", () => {
  it("count toward maxPlayers until the host kicks them; the kick tells nobody", async () => {
    // The host comes back after a restart, with two clients still connected to it over WebRTC.
    const { reply } = await created(await serverWith());
    const a = await serverWith();
    const host = await a.connect();
    expect(await reclaim(host, reply.roomCode, reply.hostToken!, [10, 11], 2)).toMatchObject({ ok: true });

    const player = await a.connect();
    expect(await player.request("join", { roomCode: reply.roomCode })).toMatchObject({
      ok: false,
      code: "room_full",
    });
    // With a reply callback and without one (as the SDK sends it): both succeed.
    expect(await host.request("kick", { peerId: 10 })).toEqual({ ok: true });
    host.raw.emit("kick", { peerId: 11 });
    expect(await host.request("kick", { peerId: 10 })).toMatchObject({ ok: false, code: "unknown_peer" });
    expect(a.logs).toContain(`room ${tagOf(reply.hostToken!)} released reserved peer=10`);

    const joined = await player.request<Reply<JoinReply>>("join", { roomCode: reply.roomCode });
    expect(joined).toMatchObject({ ok: true });
    expect(await host.inbox.next("peerJoined")).toEqual({ peerId: joined.ok && joined.peerId });
    await delay(50);
    expect(host.inbox.pending("peerLeft")).toEqual([]);
    expect(host.inbox.pending("signalingError")).toEqual([]);
    expect(await a.health()).toMatchObject({ rooms: 1 });
  });

  it("cannot be signalled: the host's signal to one gets unknown_peer", async () => {
    const { reply } = await created(await serverWith());
    const a = await serverWith();
    const host = await a.connect();
    await reclaim(host, reply.roomCode, reply.hostToken!, [10]);
    host.raw.emit("signal", { to: 10, data: { type: "offer", sdp: "v=0" } });
    expect(await host.inbox.next("signalingError")).toMatchObject({ code: "unknown_peer", event: "signal" });
  });
});

describe("malformed reclaims", () => {
  it.each([
    ["not an object", "ABCDEF"],
    ["a missing field", { roomCode: "ABCDEF", hostToken: "x" }],
    ["an extra field", { roomCode: "ABCDEF", hostToken: "x", peers: [], extra: 1 }],
    ["a code of the wrong length", { roomCode: "ABCDE", hostToken: "x", peers: [] }],
    ["a code outside the alphabet", { roomCode: "ABCDE0", hostToken: "x", peers: [] }],
    ["a code too long as sent", { roomCode: "ABC-----------DEF", hostToken: "x", peers: [] }],
    ["a token too long", { roomCode: "ABCDEF", hostToken: "x".repeat(129), peers: [] }],
    ["a token that is not a string", { roomCode: "ABCDEF", hostToken: 5, peers: [] }],
    ["peers not an array", { roomCode: "ABCDEF", hostToken: "x", peers: { 0: 2 } }],
    ["peer 1", { roomCode: "ABCDEF", hostToken: "x", peers: [1] }],
    ["a duplicate peer", { roomCode: "ABCDEF", hostToken: "x", peers: [2, 2] }],
    [
      "too many peers",
      { roomCode: "ABCDEF", hostToken: "x", peers: Array.from({ length: 65 }, (_, i) => i + 2) },
    ],
  ])("answers invalid_request for %s", async (_, value) => {
    const a = await serverWith();
    const client = await a.connect();
    expect(await client.request("create", { maxPlayers: 4, reclaim: value })).toMatchObject({
      ok: false,
      code: "invalid_request",
    });
    expect(a.server.debugStats().rooms).toBe(0);
  });
});
