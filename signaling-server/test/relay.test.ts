import type { SignalingError } from "starwire-protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ANSWER, CANDIDATE, OFFER, startServer, type TestClient, type TestServer } from "./helpers.js";

let server: TestServer;
let host: TestClient;
let roomCode: string;
let alice: { client: TestClient; peerId: number };
let bob: { client: TestClient; peerId: number };

beforeEach(async () => {
  server = await startServer();
  ({ host, roomCode } = await server.createRoom(4));
  alice = await server.joinRoom(roomCode, host);
  bob = await server.joinRoom(roomCode, host);
});
afterEach(async () => {
  await server.close();
});

let markers = 0;

/** A signal no test sends otherwise, and a test for it (`Inbox.before`). */
function newMarker() {
  const data = { type: "answer", sdp: `marker-${++markers}` } as const;
  const isMarker = (arg: unknown) => (arg as { data?: { sdp?: string } }).data?.sdp === data.sdp;
  return { data, isMarker };
}

/**
 * Proves `client` got nothing (of any event) before a marker signal from its host `from`. Call it
 * once the server has handled whatever must not reach `client` (its sender had its answer): the
 * server emits to a socket in the order it handles events, and a connection delivers in order,
 * so anything sent to `client` earlier would arrive before the marker.
 */
async function expectNothingBeforeMarker(client: TestClient, peerId: number, from: TestClient = host) {
  const marker = newMarker();
  from.raw.emit("signal", { to: peerId, data: marker.data });
  expect(await client.inbox.before("signal", marker.isMarker)).toEqual([]);
}

/** The same for a host: a marker signal from one of its clients. */
async function expectHostGotNothingBeforeMarker(roomHost: TestClient, client: TestClient) {
  const marker = newMarker();
  client.raw.emit("signal", { data: marker.data });
  expect(await roomHost.inbox.before("signal", marker.isMarker)).toEqual([]);
}

describe("signal relay", () => {
  it("forwards a client's signal to its host, stamped with the client's true id", async () => {
    alice.client.raw.emit("signal", { data: OFFER });
    expect(await host.inbox.next("signal")).toEqual({ from: alice.peerId, data: OFFER });
  });

  it("ignores a client's `to`: its signal still goes to the host only, stamped with its own id", async () => {
    alice.client.raw.emit("signal", { to: bob.peerId, data: CANDIDATE });
    alice.client.raw.emit("signal", { to: 1, data: OFFER });
    expect(await host.inbox.next("signal")).toEqual({ from: alice.peerId, data: CANDIDATE });
    expect(await host.inbox.next("signal")).toEqual({ from: alice.peerId, data: OFFER });
    await expectNothingBeforeMarker(bob.client, bob.peerId);
    await expectNothingBeforeMarker(alice.client, alice.peerId);
  });

  it("forwards a host's signal only to the addressed client, from peer 1", async () => {
    host.raw.emit("signal", { to: alice.peerId, data: ANSWER });
    expect(await alice.client.inbox.next("signal")).toEqual({ from: 1, data: ANSWER });
    await expectNothingBeforeMarker(bob.client, bob.peerId);
    await expectHostGotNothingBeforeMarker(host, alice.client);
  });

  it("forwards candidates field for field, nulls and the end-of-candidates empty string included", async () => {
    const endOfCandidates = {
      type: "candidate",
      candidate: { candidate: "", sdpMid: null, sdpMLineIndex: null, usernameFragment: null },
    };
    const minimal = {
      type: "candidate",
      candidate: { candidate: "candidate:2 1 tcp 1 10.0.0.1 9 typ host" },
    };
    for (const data of [CANDIDATE, endOfCandidates, minimal]) {
      host.raw.emit("signal", { to: bob.peerId, data });
      expect(await bob.client.inbox.next("signal")).toEqual({ from: 1, data });
    }
  });

  it("answers the host with unknown_peer for ids outside its room", async () => {
    const other = await server.createRoom(2);
    const stranger = await server.joinRoom(other.roomCode, other.host);
    for (const to of [12345, 1, stranger.peerId, undefined]) {
      const error = host.inbox.next<SignalingError & { event: string }>("signalingError");
      host.raw.emit("signal", to === undefined ? { data: OFFER } : { to, data: OFFER });
      expect(await error).toMatchObject({ ok: false, code: "unknown_peer", event: "signal" });
    }
    // Every refused signal was handled before its error came back: none reached the other room,
    // nor the host itself (`to: 1`).
    await expectNothingBeforeMarker(stranger.client, stranger.peerId, other.host);
    await expectHostGotNothingBeforeMarker(other.host, stranger.client);
    await expectHostGotNothingBeforeMarker(host, alice.client);
  });

  it("answers not_in_room for a signal from a socket in no room", async () => {
    const loner = await server.connect();
    const error = loner.inbox.next("signalingError");
    loner.raw.emit("signal", { to: alice.peerId, data: OFFER });
    expect(await error).toMatchObject({ code: "not_in_room", event: "signal" });
    await expectNothingBeforeMarker(alice.client, alice.peerId);
    await expectHostGotNothingBeforeMarker(host, bob.client);
  });

  it("answers through a reply callback when the sender gave one", async () => {
    expect(await alice.client.request("signal", { data: OFFER })).toEqual({ ok: true });
    expect(await host.inbox.next("signal")).toEqual({ from: alice.peerId, data: OFFER });
    expect(await host.request("signal", { to: 999, data: OFFER })).toMatchObject({ code: "unknown_peer" });
  });
});

describe("host-only requests", () => {
  it("refuses kick and setRefusing from a client with not_host", async () => {
    expect(await alice.client.request("kick", { peerId: bob.peerId })).toMatchObject({ code: "not_host" });
    expect(await alice.client.request("setRefusing", { refusing: true })).toMatchObject({ code: "not_host" });
    const error = alice.client.inbox.next("signalingError");
    alice.client.raw.emit("kick", { peerId: bob.peerId });
    expect(await error).toMatchObject({ code: "not_host", event: "kick" });
    // Bob is still in (the host can still reach him) and heard nothing: no roomClosed came first.
    await expectNothingBeforeMarker(bob.client, bob.peerId);
    // Nor did the host lose him: no peerLeft before a marker from him.
    await expectHostGotNothingBeforeMarker(host, bob.client);
    // And the room still takes players.
    await server.joinRoom(roomCode, host);
  });

  it("answers unknown_peer when the host kicks an id that is not in its room", async () => {
    expect(await host.request("kick", { peerId: 424242 })).toMatchObject({ code: "unknown_peer" });
  });
});
