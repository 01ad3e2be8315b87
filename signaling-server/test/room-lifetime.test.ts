/**
 * How long rooms live and how many one address may hold: a room without a client closes after
 * EMPTY_ROOM_TIMEOUT_MS, and MAX_ROOMS_PER_ADDRESS caps the live rooms per address (IPv6 per /56).
 */
import type { CreateReply, Reply } from "starwire-protocol";
import { describe, expect, it } from "vitest";
import {
  delay,
  disconnection,
  forwardedFor,
  serverPerTest,
  type TestClient,
  type TestServer,
  WAIT_MS,
} from "./helpers.js";

const start = serverPerTest();
const SECRET = "a-shared-room-secret-for-tests";

async function create(client: TestClient, request: object = { maxPlayers: 4 }): Promise<Reply<CreateReply>> {
  return client.request<Reply<CreateReply>>("create", request);
}

/** Creates rooms from `address` (through the trusted loopback proxy) until one is refused. */
async function roomsUntilRefused(s: TestServer, address: () => string, max = 50) {
  const hosts: TestClient[] = [];
  for (let i = 0; i < max; i++) {
    const host = await s.connect(forwardedFor(address()));
    const reply = await create(host);
    if (!reply.ok) return { hosts, refusal: reply };
    hosts.push(host);
  }
  throw new Error(`${max} rooms and no refusal`);
}

describe("MAX_ROOMS_PER_ADDRESS", () => {
  it("keeps one address from holding all the rooms: too_many_rooms past the cap, others still create", async () => {
    // A cap of 10, on a server with room for 30.
    const s = await start({ maxRooms: 30, maxRoomsPerAddress: 10, trustedProxies: 1 });
    const { hosts, refusal } = await roomsUntilRefused(s, () => "203.0.113.1");
    expect(hosts).toHaveLength(10);
    expect(refusal).toEqual({
      ok: false,
      code: "too_many_rooms",
      message: "your address already holds 10 live rooms, the most this server allows; close one first",
    });
    expect(await s.health()).toMatchObject({ rooms: 10 });
    // Another address creates as usual.
    expect(await create(await s.connect(forwardedFor("203.0.113.2")))).toMatchObject({ ok: true });
    // A room that closes gives its place back.
    await hosts[0]!.request("leave");
    expect(await create(await s.connect(forwardedFor("203.0.113.1")))).toMatchObject({ ok: true });
    expect(s.server.debugStats().addresses.rooms).toBe(2);
  });

  it("counts the distinct /64s of one IPv6 /56 as one address", async () => {
    const s = await start({ maxRoomsPerAddress: 3, trustedProxies: 1 });
    let next = 0;
    // A new /64 for every room: 2001:db8:aa:bb00::/64, 2001:db8:aa:bb01::/64, …
    const { hosts, refusal } = await roomsUntilRefused(
      s,
      () => `2001:db8:aa:bb${(next++).toString(16).padStart(2, "0")}::1`,
    );
    expect(hosts).toHaveLength(3);
    expect(refusal).toMatchObject({ code: "too_many_rooms" });
    expect(await create(await s.connect(forwardedFor("2001:db8:aa:bbff:1:2:3:4")))).toMatchObject({
      code: "too_many_rooms",
    });
    // The next /56 is another address.
    expect(await create(await s.connect(forwardedFor("2001:db8:aa:bc00::1")))).toMatchObject({ ok: true });
  });

  it("counts reclaimed rooms too; a takeover by the holding address is not a new room; a bad token is still reclaim_refused", async () => {
    const s = await start({ maxRoomsPerAddress: 1, roomSecret: SECRET, maxReconnectGraceMs: 5000 });
    const host = await s.connect();
    const created = await create(host, { maxPlayers: 4, reconnectGraceMs: 5000 });
    if (!created.ok) throw new Error(created.code);
    const other = await s.connect();
    expect(await create(other)).toMatchObject({ code: "too_many_rooms" });
    const reclaim = (hostToken: string) =>
      create(other, { maxPlayers: 4, reclaim: { roomCode: created.roomCode, hostToken, peers: [] } });
    expect(await reclaim("not-a-token")).toMatchObject({ code: "reclaim_refused" });
    // The same address takes its own room over: still one room.
    expect(await reclaim(created.hostToken!)).toMatchObject({ ok: true, roomCode: created.roomCode });
    expect(s.server.debugStats().addresses.rooms).toBe(1);
  });
});

describe("EMPTY_ROOM_TIMEOUT_MS", () => {
  it("closes a room that never had a client: the host gets roomExpired, the code and token are spent", async () => {
    const s = await start({ emptyRoomTimeoutMs: 300, roomSecret: SECRET, idleSocketTimeoutMs: 1000 });
    const host = await s.connect();
    const created = await create(host);
    if (!created.ok) throw new Error(created.code);
    const closing = disconnection(host, 300 + 1000 + WAIT_MS);
    expect(await host.inbox.next("roomExpired", 300 + WAIT_MS)).toEqual({ reason: "empty_room" });
    expect(await s.health()).toMatchObject({ rooms: 0 });
    const player = await s.connect();
    expect(await player.request("join", { roomCode: created.roomCode })).toMatchObject({
      code: "no_such_room",
    });
    expect(
      await create(player, {
        maxPlayers: 4,
        reclaim: { roomCode: created.roomCode, hostToken: created.hostToken, peers: [] },
      }),
    ).toMatchObject({ code: "reclaim_refused" });
    expect(s.logs).toContainEqual(expect.stringMatching(/^room #\S+ closed reason=empty_room /));
    // The host's socket is outside any room: the idle countdown closes it unless it creates one.
    expect(await closing).toBe("io server disconnect");
    expect(s.server.debugStats()).toMatchObject({ rooms: 0, roomTimers: 0 });
    expect(s.server.debugStats().addresses.rooms).toBe(0);
  });

  it("spares a room with clients, and counts from the moment the last one left", async () => {
    const s = await start({ emptyRoomTimeoutMs: 400 });
    const { host, roomCode } = await s.createRoom();
    const { client } = await s.joinRoom(roomCode, host);
    await delay(700);
    expect(host.inbox.pending("roomExpired")).toEqual([]);
    const left = Date.now();
    await client.request("leave");
    await delay(200);
    expect(await s.health()).toMatchObject({ rooms: 1 });
    expect(await host.inbox.next("roomExpired", 400 + WAIT_MS)).toEqual({ reason: "empty_room" });
    expect(Date.now() - left).toBeGreaterThanOrEqual(400 - 50);
  });

  it("counts ids a reclaiming host still plays with over WebRTC as clients, until it kicks them", async () => {
    const first = await start({ roomSecret: SECRET });
    const { reply } = await (async () => {
      const host = await first.connect();
      const created = await create(host);
      if (!created.ok) throw new Error(created.code);
      return { reply: created };
    })();
    await first.close();
    // After a restart, the host comes back with one client still connected to it.
    const s = await start({ roomSecret: SECRET, emptyRoomTimeoutMs: 300 });
    const host = await s.connect();
    expect(
      await create(host, {
        maxPlayers: 4,
        reclaim: { roomCode: reply.roomCode, hostToken: reply.hostToken, peers: [5] },
      }),
    ).toMatchObject({ ok: true });
    await delay(600);
    expect(host.inbox.pending("roomExpired")).toEqual([]);
    expect(await host.request("kick", { peerId: 5 })).toEqual({ ok: true });
    expect(await host.inbox.next("roomExpired", 300 + WAIT_MS)).toEqual({ reason: "empty_room" });
  });

  it("is off at 0", async () => {
    const s = await start({ emptyRoomTimeoutMs: 0 });
    const { host } = await s.createRoom();
    await delay(300);
    expect(host.inbox.pending("roomExpired")).toEqual([]);
    expect(s.server.debugStats()).toMatchObject({ rooms: 1, roomTimers: 1 });
  });
});
