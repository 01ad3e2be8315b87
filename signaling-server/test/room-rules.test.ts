import {
  type CreateReply,
  type JoinReply,
  MAX_PEER_ID,
  type Reply,
  ROOM_CODE_ALPHABET,
  type SignalingError,
} from "starwire-protocol";
import { describe, expect, it } from "vitest";
import { serverPerTest } from "./helpers.js";

const start = serverPerTest();

describe("creating a room", () => {
  it("makes the creator peer 1 and hands out the configured ICE servers", async () => {
    const iceServers = [{ urls: "stun:stun.example.com:3478" }];
    const s = await start({ iceServers });
    const host = await s.connect();
    const reply = await host.request<Reply<CreateReply>>("create", { maxPlayers: 8 });
    expect(reply).toMatchObject({ ok: true, peerId: 1, iceServers });
    expect(s.logs).toContain(
      `room #${reply.ok && reply.hostToken!.slice(0, 8)} created host=${host.raw.id} maxPlayers=8`,
    );
  });

  it("gives codes of the configured length, from the alphabet only, all distinct", async () => {
    // 25 live rooms from one address: MAX_ROOMS_PER_ADDRESS is not what this is about.
    const s = await start({ roomCodeLength: 8, maxRoomsPerAddress: 0 });
    const codes = new Set<string>();
    for (let i = 0; i < 25; i++) {
      const { roomCode } = await s.createRoom(2);
      expect(roomCode).toHaveLength(8);
      for (const char of roomCode) expect(ROOM_CODE_ALPHABET).toContain(char);
      codes.add(roomCode);
    }
    expect(codes.size).toBe(25);
    expect(await s.health()).toMatchObject({ rooms: 25 });
  });

  it("refuses a second create or a join from a socket already in a room", async () => {
    const s = await start();
    const { host, roomCode } = await s.createRoom();
    expect(await host.request("create", { maxPlayers: 2 })).toMatchObject({
      ok: false,
      code: "already_in_room",
    });
    expect(await host.request("join", { roomCode })).toMatchObject({ ok: false, code: "already_in_room" });
    const { client } = await s.joinRoom(roomCode, host);
    expect(await client.request("join", { roomCode })).toMatchObject({ ok: false, code: "already_in_room" });
    expect(await client.request("create", { maxPlayers: 2 })).toMatchObject({
      ok: false,
      code: "already_in_room",
    });
    expect(await s.health()).toMatchObject({ rooms: 1 });
  });

  it("lets a socket create again after leaving", async () => {
    const s = await start();
    const { host, roomCode } = await s.createRoom();
    expect(await host.request("leave")).toEqual({ ok: true });
    const again = await host.request<Reply<CreateReply>>("create", { maxPlayers: 2 });
    expect(again).toMatchObject({ ok: true, peerId: 1 });
    expect(again.ok && again.roomCode).not.toBe(roomCode);
  });

  it("caps maxPlayers at MAX_PLAYERS_PER_ROOM", async () => {
    const s = await start({ maxPlayersPerRoom: 4 });
    const host = await s.connect();
    expect(await host.request("create", { maxPlayers: 5 })).toMatchObject({ code: "invalid_request" });
    expect(await host.request("create", { maxPlayers: 4 })).toMatchObject({ ok: true });
  });

  it("answers server_full at MAX_ROOMS, and has room again once one closes", async () => {
    const s = await start({ maxRooms: 2 });
    const first = await s.createRoom();
    await s.createRoom();
    const third = await s.connect();
    const full = await third.request<SignalingError>("create", { maxPlayers: 2 });
    expect(full).toMatchObject({ ok: false, code: "server_full" });
    first.host.raw.disconnect();
    await expect.poll(() => s.health().then((h) => h.rooms)).toBe(1);
    expect(await third.request("create", { maxPlayers: 2 })).toMatchObject({ ok: true });
  });
});

describe("joining a room", () => {
  it("gives 20 clients unique ids in [2, 2^31-1] and tells the host each one", async () => {
    const s = await start();
    const { host, roomCode } = await s.createRoom(20);
    const ids: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { peerId } = await s.joinRoom(roomCode, host);
      ids.push(peerId);
    }
    expect(new Set(ids).size).toBe(20);
    for (const id of ids) {
      expect(Number.isInteger(id)).toBe(true);
      expect(id).toBeGreaterThanOrEqual(2);
      expect(id).toBeLessThanOrEqual(MAX_PEER_ID);
    }
  });

  it("answers room_full once maxPlayers clients are in (the host is not counted)", async () => {
    const s = await start();
    const { host, roomCode } = await s.createRoom(2);
    await s.joinRoom(roomCode, host);
    const { client: second } = await s.joinRoom(roomCode, host);
    const late = await s.connect();
    expect(await late.request("join", { roomCode })).toMatchObject({ ok: false, code: "room_full" });
    // A place frees up when someone leaves.
    await second.request("leave");
    await host.inbox.next("peerLeft");
    expect(await late.request("join", { roomCode })).toMatchObject({ ok: true });
  });

  it("answers no_such_room for codes that name no live room", async () => {
    const s = await start();
    const { host, roomCode } = await s.createRoom();
    const client = await s.connect();
    for (const code of ["ZZZZZZ", "!!!!!!", "A", `${roomCode}X`, "🙂🙂🙂"]) {
      expect(await client.request("join", { roomCode: code })).toMatchObject({
        ok: false,
        code: "no_such_room",
      });
    }
    host.raw.disconnect();
    await expect.poll(() => s.health().then((h) => h.rooms)).toBe(0);
    expect(await client.request("join", { roomCode })).toMatchObject({ ok: false, code: "no_such_room" });
  });

  it("answers room_refusing while the host refuses, and admits again after it stops", async () => {
    const s = await start();
    const { host, roomCode, tag } = await s.createRoom();
    expect(await host.request("setRefusing", { refusing: true })).toEqual({ ok: true });
    const client = await s.connect();
    expect(await client.request("join", { roomCode })).toMatchObject({ ok: false, code: "room_refusing" });
    expect(await host.request("setRefusing", { refusing: false })).toEqual({ ok: true });
    expect(await client.request("join", { roomCode })).toMatchObject({ ok: true });
    expect(s.logs).toContain(`room ${tag} refusing=true`);
    expect(s.logs).toContain(`room ${tag} refusing=false`);
  });

  it("accepts codes in lower case, with dashes and spaces", async () => {
    const s = await start();
    const { host, roomCode } = await s.createRoom();
    const variants = [
      roomCode.toLowerCase(),
      `${roomCode.slice(0, 3)}-${roomCode.slice(3)}`.toLowerCase(),
      ` ${roomCode.slice(0, 3)} ${roomCode.slice(3)} `,
    ];
    for (const variant of variants) {
      const client = await s.connect();
      const reply = await client.request<Reply<JoinReply>>("join", { roomCode: variant });
      expect(reply).toMatchObject({ ok: true, roomCode });
      await host.inbox.next("peerJoined");
    }
  });

  it("tells the host the new id and logs the join", async () => {
    const s = await start();
    const { host, roomCode, tag } = await s.createRoom(3);
    const client = await s.connect();
    const reply = await client.request<Reply<JoinReply>>("join", { roomCode });
    if (!reply.ok) throw new Error(reply.code);
    expect(await host.inbox.next("peerJoined")).toEqual({ peerId: reply.peerId });
    expect(s.logs).toContainEqual(
      expect.stringMatching(`^room ${tag} joined peer=${reply.peerId} .*players=1/3$`),
    );
  });
});
