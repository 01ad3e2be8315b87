import { io as connectSocket } from "socket.io-client";
import type { SignalingError } from "starwire-protocol";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../src/config.js";
import { createSignalingServer } from "../src/server.js";
import { OFFER, serverPerTest, WAIT_MS } from "./helpers.js";

/** "At once" means well under a second; ICE consent alone would take ~30 s. */
const PROMPTLY_MS = 500;

const start = serverPerTest();

/** A signal no test sends otherwise, to mark a point in a socket's stream (`Inbox.before`). */
const MARKER = { type: "answer", sdp: "v=0\r\no=- 5 6 IN IP4 127.0.0.1\r\n" } as const;
const isMarker = (arg: unknown) => (arg as { data?: { sdp?: string } }).data?.sdp === MARKER.sdp;
/** The answer to a marker `signal` sent from outside any room. */
const isNotInRoom = (arg: unknown) => {
  const error = arg as SignalingError & { event: string };
  return error.code === "not_in_room" && error.event === "signal";
};

describe("clients leaving", () => {
  it("tells the host at once when a client's socket drops", async () => {
    const s = await start();
    const { host, roomCode, tag } = await s.createRoom();
    const { client, peerId } = await s.joinRoom(roomCode, host);
    client.raw.disconnect();
    expect(await host.inbox.next("peerLeft", PROMPTLY_MS)).toEqual({ peerId });
    expect(s.logs).toContain(`room ${tag} left peer=${peerId} (disconnected)`);
  });

  it("tells the host when a client leaves, and lets that socket join again with a new id", async () => {
    const s = await start();
    const { host, roomCode } = await s.createRoom();
    const { client, peerId } = await s.joinRoom(roomCode, host);
    expect(await client.request("leave")).toEqual({ ok: true });
    expect(await host.inbox.next("peerLeft", PROMPTLY_MS)).toEqual({ peerId });
    // Out of the room: its signals go nowhere.
    expect(await client.request("signal", { data: OFFER })).toMatchObject({ code: "not_in_room" });
    const rejoined = await client.request<{ ok: true; peerId: number }>("join", { roomCode });
    expect(rejoined.ok).toBe(true);
    expect(await host.inbox.next("peerJoined")).toEqual({ peerId: rejoined.peerId });
  });

  it("treats leave outside a room as done, with or without a reply callback", async () => {
    const s = await start();
    const loner = await s.connect();
    expect(await loner.request("leave")).toEqual({ ok: true });
    loner.raw.emit("leave");
    // A marker over the same socket: an error for the leave above would arrive before it.
    loner.raw.emit("signal", { data: OFFER });
    expect(await loner.inbox.before("signalingError", isNotInRoom)).toEqual([]);
  });
});

describe("the host leaving", () => {
  for (const how of ["disconnects", "leaves"] as const) {
    it(`closes the room when the host ${how}: every client gets roomClosed host_left at once`, async () => {
      const s = await start();
      const { host, roomCode, tag } = await s.createRoom();
      const clients = [];
      for (let i = 0; i < 3; i++) clients.push(await s.joinRoom(roomCode, host));
      const bystander = await s.createRoom();

      if (how === "disconnects") host.raw.disconnect();
      else expect(await host.request("leave")).toEqual({ ok: true });

      for (const { client } of clients) {
        expect(await client.inbox.next("roomClosed", PROMPTLY_MS)).toEqual({ reason: "host_left" });
      }
      expect(await s.health()).toMatchObject({ rooms: 1 });
      const late = await s.connect();
      expect(await late.request("join", { roomCode })).toMatchObject({ code: "no_such_room" });
      // The former clients are free to join elsewhere.
      const joined = await clients[0]!.client.request<{ ok: true; peerId: number }>("join", {
        roomCode: bystander.roomCode,
      });
      expect(joined).toMatchObject({ ok: true });
      // That join was handled after the room closed (its clients had heard): its peerJoined is a
      // marker on the bystander's socket, and nothing (no roomClosed) came before it.
      expect(
        await bystander.host.inbox.before(
          "peerJoined",
          (e) => (e as { peerId: number }).peerId === joined.peerId,
        ),
      ).toEqual([]);
      expect(s.logs).toContainEqual(
        expect.stringMatching(`^room ${tag} closed reason=host_left .*clients=3$`),
      );
    });
  }

  it("closing an empty room notifies nobody", async () => {
    const s = await start();
    const { host } = await s.createRoom();
    const bystander = await s.connect();
    host.raw.disconnect();
    await expect.poll(() => s.health().then((h) => h.rooms)).toBe(0);
    // Sent after the room closed: a roomClosed for the bystander would arrive before the answer.
    bystander.raw.emit("signal", { data: OFFER });
    expect(await bystander.inbox.before("signalingError", isNotInRoom)).toEqual([]);
  });
});

describe("kick", () => {
  it("removes the client: it gets roomClosed kicked, the host peerLeft before its reply", async () => {
    const s = await start();
    const { host, roomCode, tag } = await s.createRoom();
    const { client, peerId } = await s.joinRoom(roomCode, host);
    const other = await s.joinRoom(roomCode, host);
    expect(await host.request("kick", { peerId })).toEqual({ ok: true });
    // Same connection, in order: peerLeft was already received when the reply came.
    expect(host.inbox.pending("peerLeft")).toEqual([{ peerId }]);
    await host.inbox.next("peerLeft");
    expect(await client.inbox.next("roomClosed")).toEqual({ reason: "kicked" });
    // A marker from the host, sent after the kick was handled: nothing came to the other client first.
    host.raw.emit("signal", { to: other.peerId, data: MARKER });
    expect(await other.client.inbox.before("signal", isMarker)).toEqual([]);
    expect(await client.request("signal", { data: OFFER })).toMatchObject({ code: "not_in_room" });
    expect(await host.request("kick", { peerId })).toMatchObject({ code: "unknown_peer" });
    expect(s.logs).toContainEqual(expect.stringMatching(`^room ${tag} kicked peer=${peerId} `));
    // A kicked client's later disconnect is not reported a second time: once the server has let
    // go of its socket, a marker from the other client reaches the host with nothing before it.
    const { sockets } = await s.health();
    client.raw.disconnect();
    await expect.poll(() => s.health().then((h) => h.sockets)).toBe(sockets - 1);
    other.client.raw.emit("signal", { data: MARKER });
    expect(await host.inbox.before("signal", isMarker)).toEqual([]);
    other.client.raw.disconnect();
    expect(await host.inbox.next("peerLeft")).toEqual({ peerId: other.peerId });
  });

  it("kick without a reply callback works too", async () => {
    const s = await start();
    const { host, roomCode } = await s.createRoom();
    const { client, peerId } = await s.joinRoom(roomCode, host);
    host.raw.emit("kick", { peerId });
    expect(await client.inbox.next("roomClosed")).toEqual({ reason: "kicked" });
    expect(await host.inbox.next("peerLeft")).toEqual({ peerId });
  });
});

describe("rate limiting", () => {
  it("drops events beyond the burst with rate_limited, and recovers", async () => {
    const s = await start({ eventsPerSecond: 5, eventBurst: 5 });
    const client = await s.connect();
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => client.request<{ ok: true } | SignalingError>("leave")),
    );
    const limited = replies.filter((reply) => !reply.ok && reply.code === "rate_limited");
    expect(replies.slice(0, 5)).toEqual(Array(5).fill({ ok: true }));
    expect(limited.length).toBeGreaterThanOrEqual(5);

    const error = client.inbox.next("signalingError");
    client.raw.emit("leave");
    expect(await error).toMatchObject({ code: "rate_limited", event: "leave" });

    // 5 per second: a token is back within about 200 ms.
    await expect.poll(() => client.request("leave"), { timeout: 2000, interval: 100 }).toEqual({ ok: true });
  });

  it("limits each socket separately", async () => {
    const s = await start({ eventsPerSecond: 1, eventBurst: 3 });
    const noisy = await s.connect();
    for (let i = 0; i < 5; i++) noisy.raw.emit("leave");
    expect(await noisy.inbox.next("signalingError")).toMatchObject({ code: "rate_limited" });
    const quiet = await s.connect();
    expect(await quiet.request("leave")).toEqual({ ok: true });
  });
});

describe("logging", () => {
  it("writes one line per room event", async () => {
    const s = await start();
    const { host, roomCode } = await s.createRoom(8);
    const { peerId } = await s.joinRoom(roomCode, host);
    await host.request("setRefusing", { refusing: true });
    await host.request("kick", { peerId });
    await host.request("leave");
    const kinds = s.logs.map((line) => line.split(" ")[2]);
    expect(kinds).toEqual(["created", "joined", "refusing=true", "kicked", "closed"]);
  });

  it("writes nothing with LOG_LEVEL=silent, even with a logger given", async () => {
    const s = await start({ logLevel: "silent" });
    const { host, roomCode } = await s.createRoom();
    await s.joinRoom(roomCode, host);
    host.raw.disconnect();
    await expect.poll(() => s.health().then((h) => h.rooms)).toBe(0);
    expect(s.logs).toEqual([]);
  });

  it("keeps answering when the logger throws", async () => {
    const broken = createSignalingServer({ ...defaultConfig, host: "127.0.0.1", port: 0 }, () => {
      throw new Error("disk full");
    });
    const { url } = await broken.listen();
    const socket = connectSocket(url, { transports: ["websocket"], reconnection: false, forceNew: true });
    try {
      const reply = await socket.timeout(WAIT_MS).emitWithAck("create", { maxPlayers: 2 });
      expect(reply).toMatchObject({ ok: true, peerId: 1 });
    } finally {
      socket.disconnect();
      await broken.close();
    }
  });
});
