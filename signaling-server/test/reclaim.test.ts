/**
 * Reclaiming a room code over real connections: a host that lost the signaling server (say, it
 * restarted) gets its code back with the host token from its create reply.
 */
import { createHmac } from "node:crypto";
import type { CreateReply, JoinReply, Reply } from "starwire/signaling-protocol";
import { afterEach, describe, expect, it } from "vitest";
import { delay, startServer, type TestClient, type TestServer, tagOf } from "./helpers.js";

const SECRET = "a-shared-room-secret-for-tests";

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

describe("host tokens", () => {
  it("come with every create: instance.HMAC-SHA256(ROOM_SECRET, host NUL code NUL instance), the same on every server", async () => {
    const a = await serverWith();
    const { reply } = await created(a);
    const [instance, mac] = reply.hostToken!.split(".") as [string, string];
    expect(instance).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(mac).toBe(
      createHmac("sha256", SECRET).update(`host\0${reply.roomCode}\0${instance}`).digest("base64url"),
    );

    // Another instance with the same secret, reclaiming that code, hands out the very same token.
    const b = await serverWith();
    const again = await reclaim(await b.connect(), reply.roomCode, reply.hostToken!);
    expect(again).toMatchObject({ ok: true, roomCode: reply.roomCode, hostToken: reply.hostToken });
  });

  it("without ROOM_SECRET are still issued, from a secret of the process's own", async () => {
    const a = await serverWith({ roomSecret: undefined });
    const b = await serverWith({ roomSecret: undefined });
    const { reply } = await created(a);
    const [instance, mac] = reply.hostToken!.split(".") as [string, string];
    expect(mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(mac).not.toBe(
      createHmac("sha256", SECRET).update(`host\0${reply.roomCode}\0${instance}`).digest("base64url"),
    );
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
      hostToken: reply.hostToken,
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

  it("is free again once the reclaiming host leaves, and refused while it is in a room", async () => {
    const a = await serverWith();
    const { host, reply } = await created(a);
    expect(await reclaim(host, reply.roomCode, reply.hostToken!)).toMatchObject({ code: "already_in_room" });
    expect(await host.request("leave")).toEqual({ ok: true });
    expect(await reclaim(host, reply.roomCode, reply.hostToken!)).toMatchObject({
      ok: true,
      roomCode: reply.roomCode,
    });
  });

  it("counts against the per-address create limit", async () => {
    const a = await serverWith({ roomCreatesPerMinute: 1 });
    const { host, reply } = await created(a);
    await host.request("leave");
    expect(await reclaim(host, reply.roomCode, reply.hostToken!)).toMatchObject({
      ok: false,
      code: "rate_limited",
    });
  });
});

describe("tokens name one room, not its code", () => {
  /** A valid token of this server's secret for `code`, naming room instance `instance`. */
  const hostToken = (code: string, instance: string) =>
    `${instance}.${createHmac("sha256", SECRET).update(`host\0${code}\0${instance}`).digest("base64url")}`;
  const resumeToken = (code: string, instance: string, peerId: number) =>
    `${instance}.${createHmac("sha256", SECRET).update(`peer\0${code}\0${instance}\0${peerId}`).digest("base64url")}`;

  it("a token of an earlier room with the same code neither takes over nor resumes in a later one", async () => {
    const s = await serverWith();
    const code = "ABCDEF";
    const earlier = "EarlierEarlierEarlier0";
    const later = "LaterLaterLaterLater00";
    // The later room holds the code now (reopened by its own token, as after a restart).
    const host = await s.connect();
    expect(await reclaim(host, code, hostToken(code, later))).toMatchObject({
      ok: true,
      roomCode: code,
      hostToken: hostToken(code, later),
    });
    const client = await s.connect();
    const joined = await client.request<Reply<JoinReply>>("join", { roomCode: code });
    if (!joined.ok) throw new Error(joined.code);
    expect(joined.resumeToken).toBe(resumeToken(code, later, joined.peerId));

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
        resumeToken: resumeToken(code, earlier, joined.peerId),
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
    const a = await serverWith();
    const { host: first, reply } = await created(a);
    await first.request("leave");
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
    const a = await serverWith();
    const { host: first, reply } = await created(a);
    await first.request("leave");
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
