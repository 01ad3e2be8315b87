import type { SignalingError } from "starwire-protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CANDIDATE,
  delay,
  eventually,
  OFFER,
  startServer,
  type TestClient,
  type TestServer,
} from "./helpers.js";

/** Argument lists a client might send, each sent once with a reply callback and once without. */
const badArguments: Record<string, unknown[][]> = {
  create: [
    [],
    [null],
    [42],
    ["8"],
    [true],
    [[]],
    [[{ maxPlayers: 8 }]],
    [{}],
    [{ maxPlayers: "8" }],
    [{ maxPlayers: null }],
    [{ maxPlayers: Number.NaN }],
    [{ maxPlayers: Number.POSITIVE_INFINITY }],
    [{ maxPlayers: -1 }],
    [{ maxPlayers: 0 }],
    [{ maxPlayers: 2.5 }],
    [{ maxPlayers: 65 }],
    [{ maxPlayers: 1e308 }],
    [{ maxPlayers: 2 ** 53 }],
    [{ maxPlayers: [8] }],
    [{ maxPlayers: { value: 8 } }],
    [{ maxPlayers: 8, extra: "junk" }],
    [JSON.parse('{"__proto__": {"maxPlayers": 8}}')],
    [Buffer.from("binary")],
    [{ maxPlayers: 8 }, "extra"],
    [{ maxPlayers: 8 }, { maxPlayers: 8 }],
    [{ maxPlayers: 8 }, 1, 2, 3, 4],
    [{ maxPlayers: 8, reconnectGraceMs: -1 }],
    [{ maxPlayers: 8, reconnectGraceMs: 0.5 }],
    [{ maxPlayers: 8, reconnectGraceMs: "500" }],
    [{ maxPlayers: 8, reconnectGraceMs: null }],
    [{ maxPlayers: 8, reconnectGraceMs: 1e300 }],
  ],
  join: [
    [],
    [null],
    ["ABCDEF"],
    [[]],
    [{}],
    [{ roomCode: 123456 }],
    [{ roomCode: null }],
    [{ roomCode: "" }],
    [{ roomCode: "   " }],
    [{ roomCode: ["ABCDEF"] }],
    [{ roomCode: "A".repeat(65) }],
    [{ roomCode: "x".repeat(50_000) }],
    [{ roomCode: "ABCDEF", extra: 1 }],
    [{ roomCode: "ABCDEF" }, "extra"],
  ],
  resume: [
    [],
    [null],
    ["ABCDEF"],
    [[]],
    [{}],
    [{ roomCode: "ABCDEF" }],
    [{ roomCode: "ABCDEF", peerId: 2 }],
    [{ roomCode: "ABCDEF", resumeToken: "t" }],
    [{ peerId: 2, resumeToken: "t" }],
    [{ roomCode: "", peerId: 2, resumeToken: "t" }],
    [{ roomCode: "x".repeat(65), peerId: 2, resumeToken: "t" }],
    [{ roomCode: 123456, peerId: 2, resumeToken: "t" }],
    [{ roomCode: "ABCDEF", peerId: 1, resumeToken: "t" }],
    [{ roomCode: "ABCDEF", peerId: 0, resumeToken: "t" }],
    [{ roomCode: "ABCDEF", peerId: "2", resumeToken: "t" }],
    [{ roomCode: "ABCDEF", peerId: 2.5, resumeToken: "t" }],
    [{ roomCode: "ABCDEF", peerId: 2 ** 31, resumeToken: "t" }],
    [{ roomCode: "ABCDEF", peerId: 2, resumeToken: 5 }],
    [{ roomCode: "ABCDEF", peerId: 2, resumeToken: null }],
    [{ roomCode: "ABCDEF", peerId: 2, resumeToken: "t".repeat(129) }],
    [{ roomCode: "ABCDEF", peerId: 2, resumeToken: "t", password: "pw" }],
    [{ roomCode: "ABCDEF", peerId: 2, resumeToken: "t" }, "extra"],
  ],
  probe: [[{}], [null], ["now"], [1, 2], [[]]],
  signal: [
    [],
    [null],
    ["offer"],
    [[]],
    [{}],
    [{ data: null }],
    [{ data: [] }],
    [{ data: "v=0" }],
    [{ data: {} }],
    [{ data: { type: "offer" } }],
    [{ data: { type: "offer", sdp: 5 } }],
    [{ data: { type: "offer", sdp: "" } }],
    [{ data: { type: "offer", sdp: ["v=0"] } }],
    [{ data: { type: "pranswer", sdp: "v=0" } }],
    [{ data: { type: "rollback" } }],
    [{ data: { type: "renegotiate", renegotiate: true } }],
    [{ data: { type: "transceiverRequest", transceiverRequest: { kind: "audio" } } }],
    [{ data: { type: 1, sdp: "v=0" } }],
    [{ data: { type: "offer", sdp: "x".repeat(8193) } }],
    // 4097 two-byte characters: under the cap in characters, over it in bytes.
    [{ data: { type: "answer", sdp: "é".repeat(4097) } }],
    [{ data: { type: "offer", sdp: "v=0", extra: "junk" } }],
    [{ data: { type: "offer", sdp: "v=0", candidate: CANDIDATE.candidate } }],
    [{ data: { type: "candidate" } }],
    [{ data: { type: "candidate", candidate: "candidate:1 1 udp 1 1.2.3.4 5 typ host" } }],
    [{ data: { type: "candidate", candidate: null } }],
    [{ data: { type: "candidate", candidate: [] } }],
    [{ data: { type: "candidate", candidate: {} } }],
    [{ data: { type: "candidate", candidate: { candidate: 1 } } }],
    [{ data: { type: "candidate", candidate: { candidate: "x".repeat(1025) } } }],
    [{ data: { type: "candidate", candidate: { candidate: "", sdpMLineIndex: -1 } } }],
    [{ data: { type: "candidate", candidate: { candidate: "", sdpMLineIndex: 0.5 } } }],
    [{ data: { type: "candidate", candidate: { candidate: "", sdpMLineIndex: "0" } } }],
    [{ data: { type: "candidate", candidate: { candidate: "", sdpMLineIndex: 1e20 } } }],
    [{ data: { type: "candidate", candidate: { candidate: "", sdpMid: 0 } } }],
    [{ data: { type: "candidate", candidate: { candidate: "", sdpMid: "x".repeat(300) } } }],
    [{ data: { type: "candidate", candidate: { candidate: "", usernameFragment: {} } } }],
    [{ data: { type: "candidate", candidate: { candidate: "", foundation: "1" } } }],
    [{ data: { ...CANDIDATE, sdp: "v=0" } }],
    [{ to: "2", data: OFFER }],
    [{ to: 0, data: OFFER }],
    [{ to: -2, data: OFFER }],
    [{ to: 2.5, data: OFFER }],
    [{ to: 2 ** 31, data: OFFER }],
    [{ to: null, data: OFFER }],
    [{ to: [2], data: OFFER }],
    [{ from: 1, data: OFFER }],
    [{ data: OFFER }, "extra"],
    [{ data: OFFER, connection: -1 }],
    [{ data: OFFER, connection: 1.5 }],
    [{ data: OFFER, connection: "0" }],
    [{ data: OFFER, connection: 2 ** 31 }],
  ],
  setRefusing: [
    [],
    [null],
    [true],
    [[true]],
    [{}],
    [{ refusing: "yes" }],
    [{ refusing: 1 }],
    [{ refusing: null }],
    [{ refusing: true, extra: 1 }],
    [{ refusing: true }, 2],
  ],
  kick: [
    [],
    [null],
    [2],
    [[{ peerId: 2 }]],
    [{}],
    [{ peerId: "2" }],
    [{ peerId: null }],
    [{ peerId: 1 }],
    [{ peerId: 0 }],
    [{ peerId: -5 }],
    [{ peerId: 2.5 }],
    [{ peerId: 2 ** 31 }],
    [{ peerId: 1e300 }],
    [{ peerId: Number.NaN }],
    [{ peerId: 2, extra: true }],
    [{ peerId: 2 }, "x"],
  ],
  leave: [[{}], [null], ["now"], [1, 2], [[]]],
};

const unknownEvents = [
  "hello",
  "Create",
  "JOIN",
  "error",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "peerJoined",
  "signalingError",
  "x".repeat(500),
];

let server: TestServer;

beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  await server.close();
});

async function expectReplyError(client: TestClient, event: string, args: unknown[], code: string) {
  const reply = await client.request<SignalingError>(event, ...args);
  expect(reply, `${event}(${describeArgs(args)}) with a reply callback`).toMatchObject({ ok: false, code });
  expect(typeof reply.message).toBe("string");
}

async function expectSignalingError(client: TestClient, event: string, args: unknown[], code: string) {
  const error = client.inbox.next<SignalingError & { event: string }>("signalingError");
  client.raw.emit(event, ...args);
  expect(await error, `${event}(${describeArgs(args)}) without a reply callback`).toMatchObject({
    ok: false,
    code,
    event: event.slice(0, 64),
  });
}

function describeArgs(args: unknown[]): string {
  const text = JSON.stringify(args) ?? String(args);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

async function expectServerStillWorks() {
  expect(await server.health()).toMatchObject({ status: "ok" });
  const { host, roomCode } = await server.createRoom(4);
  const { peerId } = await server.joinRoom(roomCode, host);
  expect(peerId).toBeGreaterThanOrEqual(2);
}

describe("malformed payloads are answered with invalid_request", () => {
  for (const [event, cases] of Object.entries(badArguments)) {
    it(`${event}: ${cases.length} bad argument lists, with and without a reply callback`, async () => {
      // A host in a room, so that only validation stands between the event and its effect.
      const { host } = await server.createRoom(4);
      for (const args of cases) {
        await expectReplyError(host, event, args, "invalid_request");
        await expectSignalingError(host, event, args, "invalid_request");
      }
      // The bad events changed nothing: the host still has exactly its one room.
      expect(await server.health()).toMatchObject({ rooms: 1 });
      await expectServerStillWorks();
    });
  }

  it("create, join and resume without a reply callback get a signalingError and create no room", async () => {
    const client = await server.connect();
    await expectSignalingError(client, "create", [{ maxPlayers: 4 }], "invalid_request");
    await expectSignalingError(client, "join", [{ roomCode: "ABCDEF" }], "invalid_request");
    await expectSignalingError(
      client,
      "resume",
      [{ roomCode: "ABCDEF", peerId: 2, resumeToken: "t" }],
      "invalid_request",
    );
    expect(await server.health()).toMatchObject({ rooms: 0 });
  });

  it("probe without a reply callback is silent, like any success", async () => {
    const client = await server.connect();
    client.raw.emit("probe");
    expect(await client.request("probe")).toEqual({ ok: true });
    expect(client.inbox.pending("signalingError")).toEqual([]);
  });

  it("a non-function where the reply callback goes is an extra argument", async () => {
    const client = await server.connect();
    for (const notAFunction of ["callback", 1, null, {}, []]) {
      await expectSignalingError(client, "create", [{ maxPlayers: 4 }, notAFunction], "invalid_request");
      await expectSignalingError(client, "leave", [notAFunction], "invalid_request");
    }
    expect(await server.health()).toMatchObject({ rooms: 0 });
  });

  it("a function first (not last) is not taken as a reply", async () => {
    const client = await server.connect();
    const noop = () => {};
    // socket.io-client only treats a trailing function as an ack; this one reaches the server as null.
    await expectSignalingError(client, "create", [noop, { maxPlayers: 4 }], "invalid_request");
    expect(await server.health()).toMatchObject({ rooms: 0 });
  });

  it("unknown event names, including a numeric one, get invalid_request", async () => {
    const client = await server.connect();
    for (const event of unknownEvents) {
      await expectReplyError(client, event, [{ maxPlayers: 4 }], "invalid_request");
      await expectSignalingError(client, event, [], "invalid_request");
    }
    const numeric = client.inbox.next<SignalingError & { event: string }>("signalingError");
    (client.raw.emit as (event: unknown, ...args: unknown[]) => void)(42, "payload");
    expect(await numeric).toMatchObject({ code: "invalid_request", event: "42" });
    await expectServerStillWorks();
  });

  it("valid requests with the wrong state get their own codes, not invalid_request", async () => {
    const client = await server.connect();
    await expectReplyError(client, "join", [{ roomCode: "!!!!!!" }], "no_such_room");
    // A well-formed resume with a token that is not this room's and peer's: refused like a bad request.
    await expectReplyError(
      client,
      "resume",
      [{ roomCode: "ABCDEF", peerId: 2, resumeToken: "t".repeat(43) }],
      "invalid_request",
    );
    await expectSignalingError(client, "signal", [{ data: OFFER }], "not_in_room");
    await expectReplyError(client, "kick", [{ peerId: 2 }], "not_in_room");
    await expectSignalingError(client, "setRefusing", [{ refusing: true }], "not_in_room");
  });

  it("a message over MAX_PAYLOAD_BYTES drops only the sender's connection", async () => {
    await server.close();
    server = await startServer({ maxPayloadBytes: 4096, maxSdpBytes: 2048, maxCandidateBytes: 512 });
    const bystander = await server.connect();
    const sender = await server.connect();
    const disconnected = new Promise<string>((resolve) => sender.raw.once("disconnect", resolve));
    sender.raw.emit("create", { maxPlayers: 2, padding: "x".repeat(10_000) });
    await expect(Promise.race([disconnected, delay(2000).then(() => "still connected")])).resolves.not.toBe(
      "still connected",
    );
    expect(bystander.raw.connected).toBe(true);
    expect(await bystander.request("leave")).toEqual({ ok: true });
    await expectServerStillWorks();
  });

  it("survives a reply callback that throws, and a handler that throws inside", async () => {
    const client = await server.connect();
    const serverSocket = server.server.io.of("/").sockets.get(client.raw.id!)!;
    const [dispatch] = serverSocket.listenersAny();
    const throwing = () => {
      throw new Error("reply exploded");
    };
    expect(() => dispatch!("create", { maxPlayers: 2 }, throwing)).not.toThrow();
    expect(() => dispatch!("create", "bad", throwing)).not.toThrow();
    await eventually(
      () => server.logs.some((line) => line.includes('error answering "create"')),
      "the failed answer to be logged",
    );
    // The room from the first call exists even though its reply could not be delivered.
    expect(await server.health()).toMatchObject({ rooms: 1 });

    // Make the next handler throw partway: the relay's emit fails.
    const { host, roomCode } = await server.createRoom(2);
    const { peerId } = await server.joinRoom(roomCode, host);
    const io = server.server.io;
    const realTo = io.to;
    io.to = () => {
      throw new Error("emit exploded");
    };
    let replies: unknown[];
    try {
      replies = [await host.request("signal", { to: peerId, data: OFFER })];
    } finally {
      io.to = realTo;
    }
    expect(replies).toEqual([
      { ok: false, code: "invalid_request", message: "the server could not process this request" },
    ]);
    expect(server.logs).toContainEqual(
      expect.stringMatching(/^error handling "signal" from \S+: Error: emit exploded \(at .*\)$/),
    );
    await expectServerStillWorks();
  });
});
