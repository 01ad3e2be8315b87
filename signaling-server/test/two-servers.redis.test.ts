// Two signaling servers of one deployment, each with its own socket.io and Redis streams adapter,
// sharing one Redis (the "signaling-redis" project's): a host on one, its clients on the other.
// Real processes (and a process killed mid-game) are in tests/node/two-processes.test.ts.
import { createClient } from "redis";
import type { CreateReply, JoinReply, Reply } from "starwire-protocol";
import { afterEach, describe, expect, it } from "vitest";
import { defaultConfig, type SignalingConfig } from "../src/config.js";
import { RedisRoomStore } from "../src/redis-room-store.js";
import { createSignalingServer } from "../src/server.js";
import {
  ANSWER,
  CANDIDATE,
  disconnection,
  freshKeyPrefix,
  OFFER,
  startServer,
  TEST_REDIS_URL,
  TEST_ROOM_SECRET,
  type TestClient,
  type TestServer,
  WAIT_MS,
} from "./helpers.js";

const redisUrl = TEST_REDIS_URL!;
const servers: TestServer[] = [];
const clients: ReturnType<typeof createClient>[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(clients.splice(0).map((client) => client.quit()));
});

/** Two servers of one deployment: the same keys in the same Redis. */
async function pair(
  overrides: Partial<SignalingConfig> = {},
  leaseMs?: number,
): Promise<[TestServer, TestServer]> {
  const keyPrefix = freshKeyPrefix();
  const options = { redisKeyPrefix: keyPrefix, ...(leaseMs === undefined ? {} : { redisLeaseMs: leaseMs }) };
  const a = await startServer(overrides, options);
  const b = await startServer(overrides, options);
  servers.push(a, b);
  return [a, b];
}

async function create(s: TestServer, request: object = { maxPlayers: 4 }) {
  const host = await s.connect();
  const reply = await host.request<Reply<CreateReply>>("create", request);
  if (!reply.ok) throw new Error(`create failed: ${reply.code}`);
  return { host, reply };
}

async function join(s: TestServer, roomCode: string, host: TestClient) {
  const client = await s.connect();
  const reply = await client.request<Reply<JoinReply>>("join", { roomCode });
  if (!reply.ok) throw new Error(`join failed: ${reply.code}`);
  expect(await host.inbox.next("peerJoined")).toEqual({ peerId: reply.peerId });
  return { client, reply };
}

/** What a join from a fresh socket is answered (its place, if any, is left at once). */
async function joinAnswer(s: TestServer, roomCode: string): Promise<string> {
  const client = await s.connect();
  const reply = await client.request<Reply<JoinReply>>("join", { roomCode });
  client.raw.disconnect();
  return reply.ok ? "ok" : reply.code;
}

async function store(
  keyPrefix: string,
  overrides: { maxRooms?: number; randomIndex?: (max: number) => number },
) {
  const client = createClient({ url: redisUrl });
  clients.push(client);
  await client.connect();
  const rooms = new RedisRoomStore(client, {
    keyPrefix,
    maxRooms: overrides.maxRooms ?? 1000,
    roomCodeLength: 4,
    tokenTtlSeconds: 600,
    commandTimeoutMs: defaultConfig.redisCommandTimeoutMs,
    ...(overrides.randomIndex === undefined ? {} : { randomIndex: overrides.randomIndex }),
  });
  await rooms.start();
  return rooms;
}

describe("two servers sharing one Redis", () => {
  it("relay offers, answers and candidates between a host on one and clients on the other", async () => {
    const [a, b] = await pair();
    const { host, reply } = await create(a);
    const alice = await join(b, reply.roomCode, host);
    const bob = await join(a, reply.roomCode, host);

    alice.client.raw.emit("signal", { data: OFFER });
    expect(await host.inbox.next("signal")).toEqual({ from: alice.reply.peerId, data: OFFER });
    host.raw.emit("signal", { to: alice.reply.peerId, data: ANSWER });
    expect(await alice.client.inbox.next("signal")).toEqual({ from: 1, data: ANSWER });
    host.raw.emit("signal", { to: alice.reply.peerId, data: CANDIDATE });
    expect(await alice.client.inbox.next("signal")).toEqual({ from: 1, data: CANDIDATE });
    // A client on the host's own server is relayed as ever.
    host.raw.emit("signal", { to: bob.reply.peerId, data: OFFER });
    expect(await bob.client.inbox.next("signal")).toEqual({ from: 1, data: OFFER });

    // Leaving on one server is heard by the host on the other; the room closing reaches clients on both.
    expect(await alice.client.request("leave")).toEqual({ ok: true });
    expect(await host.inbox.next("peerLeft")).toEqual({ peerId: alice.reply.peerId });
    const carol = await join(b, reply.roomCode, host);
    expect(await host.request("leave")).toEqual({ ok: true });
    expect(await carol.client.inbox.next("roomClosed")).toEqual({ reason: "host_left" });
    expect(await bob.client.inbox.next("roomClosed")).toEqual({ reason: "host_left" });
    expect(await (await b.connect()).request("join", { roomCode: reply.roomCode })).toMatchObject({
      code: "no_such_room",
    });
  });

  it("a kick from the host's server removes a client on the other: its signals then need a room", async () => {
    const [a, b] = await pair();
    const { host, reply } = await create(a);
    const alice = await join(b, reply.roomCode, host);
    expect(await host.request("kick", { peerId: alice.reply.peerId })).toEqual({ ok: true });
    expect(await alice.client.inbox.next("roomClosed")).toEqual({ reason: "kicked" });
    expect(await alice.client.request("signal", { data: OFFER })).toMatchObject({ code: "not_in_room" });
    expect(await alice.client.request("join", { roomCode: reply.roomCode })).toMatchObject({ ok: true });
  });

  it("takes a room's host token and its clients' resume tokens on either server", async () => {
    const grace = { maxReconnectGraceMs: 10_000 };
    const [a, b] = await pair(grace);
    const { host, reply } = await create(a, { maxPlayers: 4, reconnectGraceMs: 10_000 });
    const alice = await join(b, reply.roomCode, host);

    // The host's socket drops on A; it takes its room back on B.
    host.raw.io.engine.close();
    await disconnection(host);
    const newHost = await b.connect();
    const reclaimed = await newHost.request<Reply<CreateReply>>("create", {
      maxPlayers: 4,
      reconnectGraceMs: 10_000,
      reclaim: { roomCode: reply.roomCode, hostToken: reply.hostToken, peers: [alice.reply.peerId] },
    });
    expect(reclaimed).toMatchObject({ ok: true, roomCode: reply.roomCode, peerId: 1 });

    // Alice's socket drops on B; she resumes her id on A, and the host on B reaches her there.
    alice.client.raw.io.engine.close();
    await disconnection(alice.client);
    const aliceAgain = await a.connect();
    const resumed = await aliceAgain.request<Reply<JoinReply>>("resume", {
      roomCode: reply.roomCode,
      peerId: alice.reply.peerId,
      resumeToken: alice.reply.resumeToken,
    });
    expect(resumed).toMatchObject({ ok: true, peerId: alice.reply.peerId });
    newHost.raw.emit("signal", { to: alice.reply.peerId, data: OFFER });
    expect(await aliceAgain.inbox.next("signal")).toEqual({ from: 1, data: OFFER });
    aliceAgain.raw.emit("signal", { data: ANSWER });
    expect(await newHost.inbox.next("signal")).toEqual({ from: alice.reply.peerId, data: ANSWER });
  });

  it("a full room refuses one of two joins arriving at both servers at the same moment", async () => {
    const [a, b] = await pair();
    for (let round = 0; round < 10; round++) {
      const { host, reply } = await create(a, { maxPlayers: 1 });
      const [onA, onB] = await Promise.all([a.connect(), b.connect()]);
      const answers = await Promise.all(
        [onA, onB].map((client) => client.request<Reply<JoinReply>>("join", { roomCode: reply.roomCode })),
      );
      expect(answers.filter((answer) => answer.ok)).toHaveLength(1);
      expect(answers.filter((answer) => !answer.ok)).toEqual([
        { ok: false, code: "room_full", message: "this room is full (1 players)" },
      ]);
      expect(await host.request("leave")).toEqual({ ok: true });
    }
  });

  it("room codes stay unique under concurrent creates on both servers", async () => {
    const [a, b] = await pair();
    const hosts = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).connect()));
    const replies = await Promise.all(
      hosts.map((host) => host.request<Reply<CreateReply>>("create", { maxPlayers: 2 })),
    );
    const codes = replies.map((reply) => (reply.ok ? reply.roomCode : reply.code));
    expect(new Set(codes).size).toBe(40);
  });

  it("an empty room closes on time though its client joined and left on the other server", async () => {
    const [a, b] = await pair({ emptyRoomTimeoutMs: 1000 });
    const { host, reply } = await create(a);
    const alice = await join(b, reply.roomCode, host);
    expect(await alice.client.request("leave")).toEqual({ ok: true });
    expect(await host.inbox.next("roomExpired", 1000 + WAIT_MS)).toEqual({ reason: "empty_room" });
    expect(await (await b.connect()).request("join", { roomCode: reply.roomCode })).toMatchObject({
      code: "no_such_room",
    });
  });

  it("a room outlives its lease while its host's server renews it, and goes once that server is gone", async () => {
    const [a, b] = await pair({}, 300);
    const { reply } = await create(a);
    // Well past the lease: renewed every 100 ms by A.
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(await joinAnswer(b, reply.roomCode)).toBe("ok");
    // A goes away without closing the room (as a crashed process would leave it).
    await a.close();
    await expect
      .poll(() => joinAnswer(b, reply.roomCode), { timeout: WAIT_MS, interval: 50 })
      .toBe("no_such_room");
  });

  it("a draining server moves only its own sockets; the places they let go of wait for them on the other", async () => {
    const [a, b] = await pair({ drainTimeoutMs: 10_000 });
    const { host, reply } = await create(a);
    const alice = await join(b, reply.roomCode, host);
    const bob = await join(a, reply.roomCode, host);

    const shutdown = a.server.shutdown();
    expect(await host.inbox.next("serverDraining")).toEqual({});
    expect(await bob.client.inbox.next("serverDraining")).toEqual({});
    // A's host still relays; its signal reaches Alice on B through the same stream a broadcast
    // would have taken, so a serverDraining sent to every process would have come first.
    host.raw.emit("signal", { to: alice.reply.peerId, data: OFFER });
    expect(await alice.client.inbox.before("signal", () => true)).toEqual([]);

    // Bob lets go of A at once (as the SDK's clients do), then takes his place back on B.
    bob.client.raw.disconnect();
    const bobAgain = await b.connect();
    const resumed = await bobAgain.request<Reply<JoinReply>>("resume", {
      roomCode: reply.roomCode,
      peerId: bob.reply.peerId,
      resumeToken: bob.reply.resumeToken,
    });
    expect(resumed).toMatchObject({ ok: true, peerId: bob.reply.peerId });
    // The host keeps A's socket until B has its room, which closes the old one.
    const newHost = await b.connect();
    const reclaimed = await newHost.request<Reply<CreateReply>>("create", {
      maxPlayers: 4,
      reclaim: {
        roomCode: reply.roomCode,
        hostToken: reply.hostToken,
        peers: [alice.reply.peerId, bob.reply.peerId],
      },
    });
    expect(reclaimed).toMatchObject({ ok: true, roomCode: reply.roomCode, peerId: 1 });
    await disconnection(host);
    await shutdown;

    // A is gone; the room plays on, whole, on B, and takes a newcomer.
    newHost.raw.emit("signal", { to: bob.reply.peerId, data: OFFER });
    expect(await bobAgain.inbox.next("signal")).toEqual({ from: 1, data: OFFER });
    alice.client.raw.emit("signal", { data: ANSWER });
    expect(await newHost.inbox.next("signal")).toEqual({ from: alice.reply.peerId, data: ANSWER });
    await join(b, reply.roomCode, newHost);
    expect(newHost.inbox.pending("peerLeft")).toEqual([]);
  });
});

describe("the Redis room store", () => {
  it("hands out each code once under concurrent creates from two processes (a space of 16 codes)", async () => {
    const keyPrefix = freshKeyPrefix();
    // Codes of 4 characters from 2 letters only: 16 codes, so creates collide all the time.
    const tiny = (max: number) => Math.floor(Math.random() * Math.min(max, 2));
    const [one, two] = await Promise.all([
      store(keyPrefix, { randomIndex: tiny }),
      store(keyPrefix, { randomIndex: tiny }),
    ]);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? one : two).create(`socket-${i}`, 2, undefined, 0)),
    );
    const codes = results.flatMap((result) => (result.ok ? [result.room.code] : []));
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.length).toBe(16);
    expect(results.filter((result) => !result.ok).map((result) => !result.ok && result.code)).toEqual(
      Array(24).fill("server_full"),
    );
  });

  it("admits exactly maxPlayers of many concurrent joins from two processes", async () => {
    const keyPrefix = freshKeyPrefix();
    const [one, two] = await Promise.all([store(keyPrefix, {}), store(keyPrefix, {})]);
    const created = await one.create("host", 10, undefined, 0);
    if (!created.ok) throw new Error(created.code);
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? one : two).join(`client-${i}`, created.room.code)),
    );
    const admitted = results.flatMap((result) => (result.ok ? [result.peerId] : []));
    expect(admitted).toHaveLength(10);
    expect(new Set(admitted).size).toBe(10);
    expect(
      results.filter((result) => !result.ok).every((result) => !result.ok && result.code === "room_full"),
    ).toBe(true);
    expect((await two.room(created.room.code))?.clients.size).toBe(10);
  });
});

describe("round trips to Redis", () => {
  it("one per step: create, join, signal, leave; two for a join to a room with a password", async () => {
    const client = createClient({ url: redisUrl });
    clients.push(client);
    await client.connect();
    let trips = 0;
    // Every store step runs the script: EVALSHA (or EVAL, once, if Redis forgot it), through the
    // client's evalSha/eval or sent as a raw command, on the client or on one with options set.
    const runsScript = (property: string | symbol, args: unknown[]) =>
      property === "evalSha" ||
      property === "eval" ||
      (property === "sendCommand" &&
        Array.isArray(args[0]) &&
        ["EVALSHA", "EVAL"].includes(String(args[0][0])));
    const counting = <T extends object>(redis: T): T =>
      new Proxy(redis, {
        get(target, property) {
          const value: unknown = Reflect.get(target, property, target);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => {
            if (runsScript(property, args)) trips++;
            const result = (value as (...args: unknown[]) => unknown).apply(target, args);
            return property === "withCommandOptions" ? counting(result as object) : result;
          };
        },
      });
    const rooms = new RedisRoomStore(counting(client), {
      keyPrefix: freshKeyPrefix(),
      maxRooms: 10,
      roomCodeLength: 6,
      tokenTtlSeconds: 600,
      commandTimeoutMs: defaultConfig.redisCommandTimeoutMs,
    });
    await rooms.start();
    const tripsOf = async (step: () => Promise<unknown>) => {
      const before = trips;
      await step();
      return trips - before;
    };
    let code = "";
    expect(
      await tripsOf(async () => {
        const created = await rooms.create("host", 4, undefined, 0);
        if (created.ok) code = created.room.code;
      }),
    ).toBe(1);
    expect(await tripsOf(() => rooms.join("alice", code))).toBe(1);
    expect(await tripsOf(() => rooms.signalRoute("alice", undefined))).toBe(1);
    expect(await tripsOf(() => rooms.leave("alice"))).toBe(1);
    let locked = "";
    await rooms.create("locked-host", 4, "pw", 0).then((created) => {
      if (created.ok) locked = created.room.code;
    });
    expect(await tripsOf(() => rooms.join("bob", locked, "pw"))).toBe(2);
    expect(await rooms.join("carol", locked, "wrong")).toMatchObject({ code: "wrong_password" });
    await rooms.close();
  });
});

describe("REDIS_URL", () => {
  it("needs ROOM_SECRET: a server without one refuses to start", () => {
    expect(() =>
      createSignalingServer({ ...defaultConfig, redisUrl, roomSecret: undefined }, () => {}),
    ).toThrow(/ROOM_SECRET/);
    expect(TEST_ROOM_SECRET.length).toBeGreaterThanOrEqual(16);
  });
});
