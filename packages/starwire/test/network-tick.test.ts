import { afterEach, describe, expect, it, vi } from "vitest";
import { NetworkTick } from "../src/multiplayer/network-tick.js";
import { gameOf, until } from "./helpers.js";

function ticker(rate = 20) {
  let time = 0;
  const polls: Array<[number, number | null]> = [];
  const tick = new NetworkTick({ time: () => time, poll: (now, due) => polls.push([now, due]) });
  tick.rate = rate;
  return {
    tick,
    polls,
    at(ms: number) {
      time = ms;
    },
  };
}

describe("network tick", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a tick is due once per tick number, however often the game polls", () => {
    const { tick, polls, at } = ticker(20); // one tick per 50 ms
    for (const ms of [0, 10, 49, 50, 99, 120, 200]) {
      at(ms);
      tick.poll();
    }
    expect(polls).toEqual([
      [0, 0],
      [10, null],
      [49, null],
      [50, 1],
      [99, null],
      [120, 2],
      [200, 4],
    ]);
  });

  it("refuses rates that are not whole ticks per second from 1 to 240", () => {
    const { tick } = ticker();
    for (const bad of [0, -5, 1.5, 241, Number.NaN]) expect(() => (tick.rate = bad)).toThrow(RangeError);
    tick.rate = 240;
    expect(tick.rate).toBe(240);
  });

  it("the automatic scheduler polls on the tick grid while running, and stops", () => {
    vi.useFakeTimers();
    const start = Date.now();
    const polls: Array<number | null> = [];
    const tick = new NetworkTick({ time: () => Date.now() - start, poll: (_, due) => polls.push(due) });
    tick.rate = 10;
    tick.running = true;
    vi.advanceTimersByTime(1000);
    expect(polls).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    tick.running = false;
    vi.advanceTimersByTime(1000);
    expect(polls).toHaveLength(10);
    tick.running = true;
    tick.auto = false;
    vi.advanceTimersByTime(1000);
    expect(polls).toHaveLength(10);
  });

  it("the automatic scheduler goes on after a poll throws, and reports it", () => {
    vi.useFakeTimers();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const start = Date.now();
    const polls: Array<number | null> = [];
    const tick = new NetworkTick({
      time: () => Date.now() - start,
      poll: (_, due) => {
        polls.push(due);
        if (due === 2) throw new Error("a game bug");
      },
    });
    tick.rate = 10;
    tick.running = true;
    // A throw escaping a timer callback is an uncaught exception: fake timers rethrow it here.
    expect(() => vi.advanceTimersByTime(500)).not.toThrow();
    expect(polls).toEqual([1, 2, 3, 4, 5]);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(String(errors.mock.calls[0]![1])).toContain("a game bug");
    tick.running = false;
    errors.mockRestore();
  });

  it("MultiplayerAPI's tickRate is set before another peer is in the game, never during one", async () => {
    const { host, joined } = await gameOf(1, (api) => {
      api.tickRate = 20;
    });
    const client = joined[0]!.api;
    expect([host.api.tickRate, client.tickRate]).toEqual([20, 20]);
    // Receivers turn tick numbers into time with their own rate: a change in a game breaks them.
    expect(() => (host.api.tickRate = 10)).toThrow(/tickRate can only change while no other peer/);
    expect(() => (client.tickRate = 10)).toThrow(/a client's tickRate is its host's/);
    expect([host.api.tickRate, client.tickRate]).toEqual([20, 20]);
    host.api.tickRate = 20; // the same rate is no change
    // Alone again (the client left): the host may change it for the next players.
    client.peer = null;
    await until(() => host.api.getPeers().length === 0);
    host.api.tickRate = 10;
    expect(host.api.tickRate).toBe(10);
    host.api.peer = null;
  });

  it("MultiplayerAPI exposes tickRate, autoPoll and poll()", async () => {
    const { host } = await gameOf(0);
    expect(host.api.tickRate).toBe(30);
    host.api.tickRate = 60;
    expect(host.api.tickRate).toBe(60);
    expect(() => (host.api.tickRate = 0)).toThrow(RangeError);
    expect(host.api.autoPoll).toBe(true);
    host.api.autoPoll = false;
    host.api.tickRate = 1; // one tick a second: the two polls below fall in the same one
    const ticks: number[] = [];
    host.api.on("networkTick", (tick) => ticks.push(tick));
    host.api.poll();
    host.api.poll(); // the same tick: nothing due
    // tickRate was just set, which starts tick counting over: the first poll has a tick due.
    expect(ticks).toHaveLength(1);
    expect(host.api.clock.tick - ticks[0]!).toBeGreaterThanOrEqual(0);
    expect(host.api.clock.tick - ticks[0]!).toBeLessThanOrEqual(1);
    host.api.peer = null;
  });
});
