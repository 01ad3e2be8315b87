/**
 * Carrier-grade NAT: a mobile carrier or a school puts hundreds of honest players behind one
 * address. With the default limits they all get in, while what only abuse needs in bulk (failed
 * joins, room creation) is still limited from that address, each refusal saying when to retry.
 */
import type { CreateReply, JoinReply, Reply, SignalingError } from "starwire-protocol";
import { expect, it } from "vitest";
import { serverPerTest } from "./helpers.js";

const start = serverPerTest();

const ROOMS = 10;
const PLAYERS_PER_ROOM = 30;

it("300 players and 10 hosts behind one address all get in with the default limits; failed joins and room creations from it are still limited", async () => {
  // Every test socket comes from 127.0.0.1: one address, with the defaults (no override).
  const s = await start();
  const codes: string[] = [];
  for (let i = 0; i < ROOMS; i++) {
    const host = await s.connect();
    const created = await host.request<Reply<CreateReply>>("create", { maxPlayers: PLAYERS_PER_ROOM });
    expect(created).toMatchObject({ ok: true });
    if (created.ok) codes.push(created.roomCode);
  }
  const joins: string[] = [];
  for (const roomCode of codes) {
    const replies = await Promise.all(
      Array.from({ length: PLAYERS_PER_ROOM }, async () => {
        const player = await s.connect();
        const joined = await player.request<Reply<JoinReply>>("join", { roomCode });
        return joined.ok ? "ok" : joined.code;
      }),
    );
    joins.push(...replies);
  }
  expect(joins.filter((outcome) => outcome === "ok")).toHaveLength(ROOMS * PLAYERS_PER_ROOM);
  expect(await s.health()).toMatchObject({ rooms: ROOMS, sockets: ROOMS * (PLAYERS_PER_ROOM + 1) });

  // Someone behind the same address guesses codes: 60 guesses, then rate_limited, retry in 1 s.
  const guesser = await s.connect();
  const guesses: string[] = [];
  let refusal: SignalingError | undefined;
  for (let i = 0; i < 70; i++) {
    const reply = await guesser.request<Reply<JoinReply>>("join", { roomCode: `NOPE${i}` });
    guesses.push(reply.ok ? "ok" : reply.code);
    if (!reply.ok && reply.code === "rate_limited") refusal ??= reply;
  }
  // (One more may refill while the loop runs: one a second.)
  expect(guesses.filter((code) => code === "no_such_room").length).toBeGreaterThanOrEqual(60);
  expect(guesses.slice(-5)).toContain("rate_limited");
  expect(refusal?.retryAfterSeconds).toBe(1);

  // …and creates rooms in a loop: 60 a minute (the 10 hosts' included), then rate_limited.
  const creator = await s.connect();
  const creates: string[] = [];
  for (let i = 0; i < 60; i++) {
    const reply = await creator.request<Reply<CreateReply>>("create", { maxPlayers: 2 });
    creates.push(reply.ok ? "ok" : reply.code);
    if (reply.ok) await creator.request("leave");
  }
  expect(creates.filter((code) => code === "ok").length).toBeGreaterThanOrEqual(60 - ROOMS);
  expect(creates.slice(-5)).toContain("rate_limited");
}, 60_000);
