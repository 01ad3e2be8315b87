import { MAX_PASSWORD_LENGTH, type SignalingError } from "starwire-protocol";
import { describe, expect, it } from "vitest";
import { serverPerTest, type TestClient, type TestServer, tagOf } from "./helpers.js";

const start = serverPerTest();

type JoinResult = { ok: true; peerId: number } | SignalingError;

async function lockedRoom(s: TestServer, password: string, maxPlayers = 4) {
  const host = await s.connect();
  const reply = await host.request<{ ok: true; roomCode: string; hostToken: string } | SignalingError>(
    "create",
    { maxPlayers, password },
  );
  if (!reply.ok) throw new Error(`create failed: ${reply.code}`);
  return { host, roomCode: reply.roomCode, tag: tagOf(reply.hostToken) };
}

async function join(s: TestServer, request: object): Promise<{ client: TestClient; reply: JoinResult }> {
  const client = await s.connect();
  return { client, reply: await client.request<JoinResult>("join", request) };
}

describe("room passwords", () => {
  it("admits a client with the right password; the host hears only of that one", async () => {
    const s = await start();
    const { host, roomCode } = await lockedRoom(s, "open sesame");
    expect((await join(s, { roomCode })).reply).toEqual({
      ok: false,
      code: "wrong_password",
      message: "this room needs a password",
    });
    expect((await join(s, { roomCode, password: "open sesam" })).reply).toEqual({
      ok: false,
      code: "wrong_password",
      message: "wrong password for this room",
    });
    const { reply } = await join(s, { roomCode: roomCode.toLowerCase(), password: "open sesame" });
    expect(reply).toMatchObject({ ok: true });
    // peerJoined for the admitted client only: the refused ones never reached the host.
    expect(await host.inbox.next("peerJoined")).toEqual({ peerId: reply.ok && reply.peerId });
    expect(host.inbox.pending("peerJoined")).toEqual([]);
    expect(await s.health()).toMatchObject({ rooms: 1 });
  });

  it("logs refused attempts without the password, the code or (at info) the address", async () => {
    const s = await start();
    const { roomCode, tag } = await lockedRoom(s, "tr0ub4dor&3");
    const { client } = await join(s, { roomCode, password: "tr0ub4dor&4" });
    await join(s, { roomCode });
    // One line, then refusals of the same kind are counted for a minute (logging.test.ts).
    const refused = s.logs.filter((line) => line.includes("refused"));
    expect(refused).toEqual([`room ${tag} refused socket=${client.raw.id} password=wrong`]);
    expect(s.logs.join("\n")).not.toContain("tr0ub4dor");
    expect(s.logs.join("\n")).not.toContain(roomCode);
    expect(s.logs.join("\n")).not.toContain("127.0.0.1");
    expect(s.logs).toContainEqual(expect.stringMatching(`^room ${tag} created .* password=yes$`));
  });

  it("at LOG_LEVEL=debug, logs every refused attempt with the address", async () => {
    const s = await start({ logLevel: "debug" });
    const { roomCode, tag } = await lockedRoom(s, "tr0ub4dor&3");
    const { client } = await join(s, { roomCode, password: "tr0ub4dor&4" });
    await join(s, { roomCode });
    expect(s.logs.filter((line) => line.includes("refused"))).toEqual([
      `room ${tag} refused socket=${client.raw.id} password=wrong address=127.0.0.1`,
      expect.stringMatching(`^room ${tag} refused socket=\\S+ password=none given address=127.0.0.1$`),
    ]);
    expect(s.logs.join("\n")).not.toContain("tr0ub4dor");
    expect(s.logs.join("\n")).not.toContain(roomCode);
  });

  it("tells a client without the password nothing more about the room (full, refusing)", async () => {
    const s = await start();
    const { host, roomCode } = await lockedRoom(s, "pw", 1);
    expect((await join(s, { roomCode, password: "pw" })).reply).toMatchObject({ ok: true });
    expect((await join(s, { roomCode, password: "nope" })).reply).toMatchObject({ code: "wrong_password" });
    expect((await join(s, { roomCode, password: "pw" })).reply).toMatchObject({ code: "room_full" });
    await host.request("setRefusing", { refusing: true });
    expect((await join(s, { roomCode })).reply).toMatchObject({ code: "wrong_password" });
  });

  it("a room without a password admits joins that carry one", async () => {
    const s = await start();
    const { roomCode } = await s.createRoom();
    expect((await join(s, { roomCode, password: "unneeded" })).reply).toMatchObject({ ok: true });
    expect((await join(s, { roomCode })).reply).toMatchObject({ ok: true });
  });

  it("refuses malformed passwords on create and join with invalid_request, creating nothing", async () => {
    const s = await start();
    const { roomCode } = await lockedRoom(s, "pw");
    const client = await s.connect();
    for (const password of ["", "x".repeat(MAX_PASSWORD_LENGTH + 1), 42, null, ["pw"], { pw: true }]) {
      expect(await client.request("create", { maxPlayers: 2, password })).toMatchObject({
        ok: false,
        code: "invalid_request",
      });
      expect(await client.request("join", { roomCode, password })).toMatchObject({
        ok: false,
        code: "invalid_request",
      });
    }
    expect(await s.health()).toMatchObject({ rooms: 1 });
    const longest = "p".repeat(MAX_PASSWORD_LENGTH);
    const other = await lockedRoom(s, longest);
    expect((await join(s, { roomCode: other.roomCode, password: longest })).reply).toMatchObject({
      ok: true,
    });
  });

  it("a passworded room closes like any other when its host leaves", async () => {
    const s = await start();
    const { host, roomCode } = await lockedRoom(s, "pw");
    const { client } = await join(s, { roomCode, password: "pw" });
    await host.request("leave");
    expect(await client.inbox.next("roomClosed")).toEqual({ reason: "host_left" });
    expect((await join(s, { roomCode, password: "pw" })).reply).toMatchObject({ code: "no_such_room" });
  });
});
