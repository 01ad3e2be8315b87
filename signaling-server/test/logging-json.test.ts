/**
 * LOG_FORMAT=json: every line a JSON object a log pipeline can index (time, level, event, the
 * line's key=value facts as fields, the text line as msg), with the same guarantees as text:
 * rooms by tag, never a room code or token.
 */
import type { CreateReply, JoinReply, Reply } from "starwire-protocol";
import { describe, expect, it } from "vitest";
import { jsonLine, SignalingLog } from "../src/logger.js";
import { serverPerTest, tagOf } from "./helpers.js";

const start = serverPerTest();

describe("LOG_FORMAT=json", () => {
  it("writes one JSON object per line, with event names and fields, and no room code", async () => {
    const s = await start({ logFormat: "json" });
    const host = await s.connect();
    const created = await host.request<Reply<CreateReply>>("create", { maxPlayers: 4, password: "pw" });
    if (!created.ok) throw new Error(created.code);
    const { roomCode, hostToken } = created;
    const player = await s.connect();
    expect(await player.request("join", { roomCode, password: "nope" })).toMatchObject({
      code: "wrong_password",
    });
    const joined = await player.request<Reply<JoinReply>>("join", { roomCode, password: "pw" });
    if (!joined.ok) throw new Error(joined.code);
    expect(await host.request("kick", { peerId: joined.peerId })).toEqual({ ok: true });
    expect(await host.request("leave")).toEqual({ ok: true });

    const entries = s.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const entry of entries) {
      expect(Date.parse(String(entry.time))).not.toBeNaN();
      expect(entry).toMatchObject({ level: "info", event: expect.stringMatching(/^[a-z0-9_]+$/) });
      expect(typeof entry.msg).toBe("string");
    }
    const room = tagOf(hostToken!);
    expect(entries.map((entry) => entry.event)).toEqual([
      "room_created",
      "join_refused_password",
      "room_joined",
      "room_kicked",
      "room_closed",
    ]);
    expect(entries[0]).toMatchObject({ room, host: expect.any(String), maxPlayers: 4, password: "yes" });
    expect(entries[2]).toMatchObject({ room, peer: joined.peerId, players: "1/4" });
    expect(entries[4]).toMatchObject({ room, reason: "host_left", clients: 0 });
    const text = s.logs.join("\n");
    expect(text).not.toContain(roomCode);
    expect(text).not.toContain(hostToken!);
    expect(text).not.toContain("127.0.0.1");
  });

  it("writes a refusal's summary as its event with how many were not written", () => {
    const lines: string[] = [];
    const log = new SignalingLog((line) => lines.push(line), "info", 60_000, "json");
    for (let i = 0; i < 4; i++) log.refusal("resume refused", `resume refused peer=${i + 2} socket=abc: no`);
    log.close();
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ event: "resume_refused", peer: 2, socket: "abc" }),
      expect.objectContaining({ event: "resume_refused", suppressed: 3 }),
    ]);
  });

  it("keeps its own keys: a line cannot set time, level, event or msg", () => {
    const entry = JSON.parse(jsonLine("error event=forged level=debug msg=x time=0", "info"));
    expect(entry).toMatchObject({
      event: "error",
      level: "info",
      msg: "error event=forged level=debug msg=x time=0",
    });
    expect(Date.parse(entry.time)).not.toBeNaN();
  });

  it("text stays the default", async () => {
    const s = await start();
    await s.createRoom(2);
    expect(s.logs[0]).toMatch(/^room #\S+ created /);
  });
});
