/**
 * TURN credentials minted per player with the TURN REST scheme (coturn's use-auth-secret): their
 * format, where they are handed out, and their refresh. That coturn accepts them (and refuses a
 * wrong or expired one) is tested against a real coturn in tests/node/turn.test.ts and tests/e2e/turn.spec.ts.
 */
import { createHmac } from "node:crypto";
import type { CreateReply, IceServer, JoinReply, Reply } from "starwire-protocol";
import { describe, expect, it } from "vitest";
import { mintTurnCredentials } from "../src/turn-credentials.js";
import { serverPerTest, type TestClient, type TestServer, WAIT_MS } from "./helpers.js";

const SECRET = "turn-shared-secret-for-tests";
const STUN: IceServer = { urls: "stun:127.0.0.1:3478" };
const TURN_URLS = ["turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"];

const start = serverPerTest();

function turnServer(overrides: Parameters<typeof start>[0] = {}): Promise<TestServer> {
  return start({
    iceServers: [STUN],
    turnUrls: TURN_URLS,
    turnSecret: SECRET,
    roomSecret: "a-shared-room-secret-for-tests",
    ...overrides,
  });
}

/** The TURN entry of an ICE server list, checked against the secret the way coturn checks it. */
function turnEntry(iceServers: IceServer[]): { username: string; expiry: number; label: string } {
  expect(iceServers).toHaveLength(2);
  expect(iceServers[0]).toEqual(STUN);
  const turn = iceServers[1]!;
  expect(turn.urls).toEqual(TURN_URLS);
  const username = turn.username!;
  expect(turn.credential).toBe(createHmac("sha1", SECRET).update(username).digest("base64"));
  const [, expiry, label] = /^(\d+)-(.+)$/.exec(username)!;
  // node-datachannel folds credentials into a URL and splits the username at a ':'.
  expect(username).not.toContain(":");
  return { username, expiry: Number(expiry), label: label! };
}

async function host(s: TestServer): Promise<{ host: TestClient; reply: CreateReply }> {
  const socket = await s.connect();
  const reply = await socket.request<Reply<CreateReply>>("create", { maxPlayers: 4, reconnectGraceMs: 5000 });
  if (!reply.ok) throw new Error(`create failed: ${reply.code}`);
  return { host: socket, reply };
}

async function join(s: TestServer, roomCode: string): Promise<{ client: TestClient; reply: JoinReply }> {
  const client = await s.connect();
  const reply = await client.request<Reply<JoinReply>>("join", { roomCode });
  if (!reply.ok) throw new Error(`join failed: ${reply.code}`);
  return { client, reply };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe("mintTurnCredentials", () => {
  it("is <expiry>-<label> and base64(HMAC-SHA1(secret, username)): a vector computed with openssl", () => {
    // printf '%s' 1700000000-AbCd_e-f.42 | openssl dgst -sha1 -hmac shared-secret-0123456789 -binary | base64
    const minted = mintTurnCredentials(
      { urls: ["turn:turn.example.com:3478"], secret: "shared-secret-0123456789", ttlSeconds: 600 },
      "AbCd_e-f.42",
      (1_700_000_000 - 600) * 1000 + 999,
    );
    expect(minted).toEqual({
      urls: ["turn:turn.example.com:3478"],
      username: "1700000000-AbCd_e-f.42",
      credential: "sYliwRYjH0+tKPAiJNBaiOOc8os=",
    });
  });
});

describe("TURN credentials from the signaling server", () => {
  it("come with create, join and resume: one of its own per player, TURN_TTL_SECONDS ahead", async () => {
    const s = await turnServer({ turnTtlSeconds: 3600 });
    const before = nowSeconds();
    const { reply: created } = await host(s);
    const { reply: joined } = await join(s, created.roomCode);
    const { reply: other } = await join(s, created.roomCode);
    const after = nowSeconds();

    const hostTurn = turnEntry(created.iceServers);
    const clientTurn = turnEntry(joined.iceServers);
    const otherTurn = turnEntry(other.iceServers);
    for (const { expiry } of [hostTurn, clientTurn, otherTurn]) {
      expect(expiry).toBeGreaterThanOrEqual(before + 3600);
      expect(expiry).toBeLessThanOrEqual(after + 3600);
    }
    // Labelled like the logs name the room (its tag, never its code) and the player.
    const roomTag = created.hostToken!.slice(0, 8);
    expect(hostTurn.label).toBe(`${roomTag}.1`);
    expect(clientTurn.label).toBe(`${roomTag}.${joined.peerId}`);
    expect(otherTurn.label).toBe(`${roomTag}.${other.peerId}`);
    expect(hostTurn.label).not.toContain(created.roomCode);

    // A resume hands out a fresh one (the place's old one may have expired while it was away).
    const again = await s.connect();
    const resumed = await again.request<Reply<JoinReply>>("resume", {
      roomCode: created.roomCode,
      peerId: joined.peerId,
      resumeToken: joined.resumeToken,
    });
    if (!resumed.ok) throw new Error(`resume failed: ${resumed.code}`);
    expect(turnEntry(resumed.iceServers).label).toBe(clientTurn.label);
    // And so does a host's takeover of its room.
    const newHost = await s.connect();
    const reclaimed = await newHost.request<Reply<CreateReply>>("create", {
      maxPlayers: 4,
      reclaim: { roomCode: created.roomCode, hostToken: created.hostToken, peers: [] },
    });
    if (!reclaimed.ok) throw new Error(`reclaim failed: ${reclaimed.code}`);
    expect(turnEntry(reclaimed.iceServers).label).toBe(hostTurn.label);
  });

  it("are refreshed for every connected member every third of TURN_TTL_SECONDS, until the room closes", async () => {
    const s = await turnServer({ turnTtlSeconds: 3 });
    const { host: hostSocket, reply: created } = await host(s);
    const { client, reply: joined } = await join(s, created.roomCode);
    const first = turnEntry(joined.iceServers);

    const refreshed = await client.inbox.next<{ iceServers: IceServer[] }>("iceServers", 1000 + WAIT_MS);
    const fresh = turnEntry(refreshed.iceServers);
    expect(fresh.label).toBe(first.label);
    expect(fresh.expiry).toBeGreaterThan(first.expiry);
    const hostRefresh = await hostSocket.inbox.next<{ iceServers: IceServer[] }>(
      "iceServers",
      1000 + WAIT_MS,
    );
    expect(turnEntry(hostRefresh.iceServers).label).toBe(`${created.hostToken!.slice(0, 8)}.1`);

    // The host leaves: the room closes and with it its refreshes (and every other room timer).
    hostSocket.raw.disconnect();
    await client.inbox.next("roomClosed");
    expect(s.server.debugStats()).toMatchObject({ rooms: 0, roomTimers: 0 });
  });

  it("are not minted without TURN_URLS and TURN_SECRET: ICE_SERVERS is handed out as it is", async () => {
    const s = await start({ iceServers: [STUN] });
    const { reply } = await host(s);
    expect(reply.iceServers).toEqual([STUN]);
  });
});
