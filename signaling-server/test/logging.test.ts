/**
 * What the server writes to its log: rooms by tag, never by code; client addresses only at debug
 * level; refusals anyone can provoke aggregated, so a flood of them costs a line or two.
 */
import type { CreateReply, JoinReply, Reply } from "starwire-protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SignalingLog } from "../src/logger.js";
import { serverPerTest, type TestClient, type TestServer, tagOf } from "./helpers.js";

const start = serverPerTest();
const SECRET = "a-shared-room-secret-for-tests";

function reclaim(client: TestClient, roomCode: string, hostToken: string) {
  return client.request<Reply<CreateReply>>("create", {
    maxPlayers: 4,
    reclaim: { roomCode, hostToken, peers: [] },
  });
}

/** Everything a room goes through, refusals included; returns its code and the host's token. */
async function busyRoom(s: TestServer): Promise<{ roomCode: string; hostToken: string }> {
  const host = await s.connect();
  const created = await host.request<Reply<CreateReply>>("create", { maxPlayers: 4, password: "pw" });
  if (!created.ok) throw new Error(created.code);
  const { roomCode, hostToken } = created;
  const stranger = await s.connect();
  expect(await stranger.request("join", { roomCode, password: "nope" })).toMatchObject({
    code: "wrong_password",
  });
  expect(await reclaim(stranger, roomCode, `${hostToken!.slice(0, -2)}xx`)).toMatchObject({
    code: "reclaim_refused",
  });
  const player = await s.connect();
  const joined = await player.request<Reply<JoinReply>>("join", { roomCode, password: "pw" });
  if (!joined.ok) throw new Error(joined.code);
  expect(
    await stranger.request("resume", {
      roomCode,
      peerId: joined.peerId,
      resumeToken: `${joined.resumeToken}x`,
    }),
  ).toMatchObject({ code: "invalid_request" });
  expect(await host.request("setRefusing", { refusing: true })).toEqual({ ok: true });
  expect(await host.request("kick", { peerId: joined.peerId })).toEqual({ ok: true });
  expect(await host.request("leave")).toEqual({ ok: true });
  return { roomCode, hostToken: hostToken! };
}

describe("room codes and addresses in the log", () => {
  it("at info: rooms by tag only, no code, no address, no token", async () => {
    const s = await start({ roomSecret: SECRET });
    const { roomCode, hostToken } = await busyRoom(s);
    const text = s.logs.join("\n");
    expect(text).toContain(`room ${tagOf(hostToken)} created `);
    expect(text).toContain(`room ${tagOf(hostToken)} closed `);
    expect(text).not.toContain(roomCode);
    expect(text).not.toContain(hostToken);
    expect(text).not.toContain("127.0.0.1");
    expect(text).not.toContain("address=");
  });

  it("at debug: refusals with the address, still no code", async () => {
    const s = await start({ roomSecret: SECRET, logLevel: "debug" });
    const { roomCode } = await busyRoom(s);
    const text = s.logs.join("\n");
    expect(text).not.toContain(roomCode);
    expect(s.logs.filter((line) => line.endsWith(" address=127.0.0.1"))).toHaveLength(3);
  });
});

describe("a burst of refusals", () => {
  it("150 refused reclaims of a live code write one line, without the code", async () => {
    // Failed joins off: this is about the log, not the limit (reclaim.test.ts covers that).
    const s = await start({ roomSecret: SECRET, failedJoinsPerMinute: 0 });
    const { roomCode, hostToken } = await s.createRoom();
    const attacker = await s.connect();
    const forged = `${hostToken.slice(0, -2)}xx`;
    const before = s.logs.length;
    for (let i = 0; i < 150; i++) {
      expect(await reclaim(attacker, i % 2 === 0 ? roomCode : "ABCDEF", forged)).toMatchObject({
        code: "reclaim_refused",
      });
    }
    const written = s.logs.slice(before);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^reclaim refused socket=\S+: /);
    expect(s.logs.join("\n")).not.toContain(roomCode);
    // The closing summary says how many were not written one by one.
    await s.close();
    expect(s.logs).toContain("reclaim refused: 149 more in the last 60 s (not logged one by one)");
  });
});

describe("SignalingLog", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("writes one line per kind per window, then a count of the rest", () => {
    const lines: string[] = [];
    const log = new SignalingLog((line) => lines.push(line), "info", 10_000);
    for (let i = 0; i < 500; i++) log.refusal("reclaim refused", `reclaim refused #${i}`, "address=1.2.3.4");
    log.refusal("resume refused", "resume refused #0");
    expect(lines).toEqual(["reclaim refused #0", "resume refused #0"]);
    vi.advanceTimersByTime(10_000);
    expect(lines.slice(2)).toEqual(["reclaim refused: 499 more in the last 10 s (not logged one by one)"]);
    // Still within the next window: counted, not written.
    log.refusal("reclaim refused", "reclaim refused #500");
    vi.advanceTimersByTime(10_000);
    expect(lines.slice(3)).toEqual(["reclaim refused: 1 more in the last 10 s (not logged one by one)"]);
    // A quiet window ends the aggregation: the next refusal is written at once again.
    vi.advanceTimersByTime(10_000);
    log.refusal("reclaim refused", "reclaim refused #501");
    expect(lines.at(-1)).toBe("reclaim refused #501");
    expect(lines).toHaveLength(5);
    log.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("at debug writes every refusal with its detail; silent writes nothing; a throwing sink is ignored", () => {
    const lines: string[] = [];
    const debug = new SignalingLog((line) => lines.push(line), "debug");
    debug.refusal("x", "refused", "address=1.2.3.4");
    debug.refusal("x", "refused", "address=1.2.3.5");
    debug.debug("detail");
    expect(lines).toEqual(["refused address=1.2.3.4", "refused address=1.2.3.5", "detail"]);
    const silent = new SignalingLog((line) => lines.push(line), "silent");
    silent.info("a");
    silent.refusal("x", "b");
    expect(lines).toHaveLength(3);
    const info = new SignalingLog((line) => lines.push(line), "info");
    info.debug("hidden");
    expect(lines).toHaveLength(3);
    const broken = new SignalingLog(() => {
      throw new Error("disk full");
    }, "info");
    expect(() => broken.refusal("x", "y")).not.toThrow();
    broken.close();
    info.close();
  });
});
