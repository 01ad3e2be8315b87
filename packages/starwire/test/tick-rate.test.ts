// The host's tickRate is the game's: it announces it to each client (WIRE.md, "SYS": TICK_RATE).
import { afterEach, describe, expect, it } from "vitest";
import type { MultiplayerPeer, Rejection } from "../src/common.js";
import { Command, SystemCommand } from "../src/wire/commands.js";
import { encodeTickRate } from "../src/wire/system-packet.js";
import { hostGame, joinGame, MemoryNetwork, until } from "./helpers.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const isTickRate = (data: Uint8Array) => data[0] === Command.SYS && data[1] === SystemCommand.TICK_RATE;
const CLOCK_PONG = 0x37;

/**
 * Counts the host's clock pongs, and drops its own TICK_RATE announcements when `announce` is
 * false; `forge` sends past that filter.
 */
function watchHost(peer: MultiplayerPeer, announce: boolean) {
  const send = peer.send.bind(peer);
  const seen = { pongs: 0, forge: (to: number, data: Uint8Array) => send(to, data, "reliable", 0) };
  peer.send = (to, data, ...rest) => {
    if (data[0] === CLOCK_PONG) seen.pongs++;
    if (!announce && isTickRate(data)) return;
    send(to, data, ...rest);
  };
  return seen;
}

async function game(announce: boolean) {
  const network = new MemoryNetwork();
  const host = await hostGame(network, 8, (api) => {
    api.tickRate = 20;
  });
  const seen = watchHost(host.peer, announce);
  const client = await joinGame(network, host.roomCode, (api) => {
    api.tickRate = 60;
  });
  const rejected: Rejection[] = [];
  client.api.on("rejected", (r) => rejected.push(r));
  cleanups.push(() => {
    client.api.peer = null;
    host.api.peer = null;
  });
  await until(() => client.api.getPeers().includes(1));
  return { host, client, rejected, seen };
}

describe("the host's tick rate is the game's", () => {
  it("a client configured with another rate counts the host's ticks while in its game", async () => {
    const { host, client, rejected } = await game(true);
    await until(() => client.api.clock.synchronized);
    expect(client.api.tickRate).toBe(20);
    // The same tick numbers at the same moment (the clock estimate is off by well under a tick here).
    expect(Math.abs(client.api.clock.tick - host.api.clock.tick)).toBeLessThanOrEqual(1);
    const ticks: number[] = [];
    client.api.on("networkTick", (tick) => ticks.push(tick));
    await until(() => ticks.length >= 2);
    expect(Math.abs(ticks.at(-1)! - host.api.clock.tick)).toBeLessThanOrEqual(1);
    expect(() => (client.api.tickRate = 60)).toThrow(/a client's tickRate is its host's/);
    client.api.tickRate = 20; // the rate it has: no change
    expect(rejected).toEqual([]);
    // Out of the game, its own setting again.
    client.api.peer = null;
    expect(client.api.tickRate).toBe(60);
  });

  it("a client counts no ticks as the host's before the rate arrived, and refuses hostile rates", async () => {
    const { client, rejected, seen } = await game(false);
    // Enough pongs for a synchronized estimate of the host's time (5): still not synchronized.
    await until(() => seen.pongs >= 5);
    // In-memory packets arrive on the next microtask: by the next task the pongs were read.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(client.api.clock.rttMs).not.toBeNull();
    expect(client.api.clock.synchronized).toBe(false);

    const hostile = [
      encodeTickRate(0),
      encodeTickRate(241),
      encodeTickRate(1e9),
      encodeTickRate(0xffffffff), // −1 as an i32; a u32 has no NaN
      Uint8Array.of(Command.SYS, SystemCommand.TICK_RATE, 30),
      Uint8Array.of(...encodeTickRate(30), 0),
    ];
    for (const packet of hostile) seen.forge(client.id, packet);
    await until(() => rejected.length === hostile.length);
    expect(rejected.map((r) => r.reason)).toEqual(hostile.map(() => "malformed"));
    expect(client.api.tickRate).toBe(60);
    expect(client.api.clock.synchronized).toBe(false);

    seen.forge(client.id, encodeTickRate(20));
    await until(() => client.api.tickRate === 20);
    expect(client.api.clock.synchronized).toBe(true);
    // Fixed for the game: a second announcement is refused.
    seen.forge(client.id, encodeTickRate(10));
    await until(() => rejected.length === hostile.length + 1);
    expect(rejected.at(-1)!.reason).toBe("forbidden");
    expect(client.api.tickRate).toBe(20);
  });

  it("the host refuses a tick rate from a client", async () => {
    const { host, client } = await game(true);
    const rejected: Rejection[] = [];
    host.api.on("rejected", (r) => rejected.push(r));
    client.peer.send(1, encodeTickRate(5), "reliable", 0);
    await until(() => rejected.length === 1);
    expect(rejected[0]!.reason).toBe("forbidden");
    expect(host.api.tickRate).toBe(20);
  });
});
