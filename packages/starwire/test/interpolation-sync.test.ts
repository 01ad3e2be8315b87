// A synchronizer's interpolation when the receiver's replicationInterval is not the sender's: the
// sender's interval is learned from the ticks of the states it sends, for the buffer delay and
// for which ticks that left it out count as its unchanged state (in-memory transport, faked clock).
import { afterEach, describe, expect, it, vi } from "vitest";
import { MultiplayerSynchronizer, NetNode } from "../src/common.js";
import { flush, replicatedGame, TICK_RATE } from "./replication-helpers.js";

afterEach(() => {
  vi.useRealTimers();
});

/** An interpolated x, sent every `interval` s by this peer's setting. */
class Glider extends NetNode {
  x = 0;
  readonly sync = new MultiplayerSynchronizer("sync");
  constructor(interval: number) {
    super("glider");
    this.sync.replicationConfig = { x: { replicate: "always", precision: 0.01, interpolate: true } };
    this.sync.replicationInterval = interval;
    this.addChild(this.sync);
  }
}

/** Changes every network tick: every tick carries a complete SYNC, in which the glider may be left out. */
class Ticker extends NetNode {
  n = 0;
  readonly sync = new MultiplayerSynchronizer("sync");
  constructor() {
    super("ticker");
    this.sync.replicationConfig = { n: { replicate: "always" } };
    this.addChild(this.sync);
  }
}

/**
 * 4 s of a glider moving at 2 units a second (quantized steps of 0.01), sent by the host every
 * `sender` s and set to `receiver` s on the client's copy, beside a ticker that makes every
 * network tick carry a complete SYNC; the client's shown x at 60 frames a second.
 */
async function glide(sender: number, receiver: number) {
  const game = await replicatedGame(1);
  const gliders = [
    game.apis[0]!.root.addChild(new Glider(sender)),
    game.apis[1]!.root.addChild(new Glider(receiver)),
  ];
  const tickers = game.apis.map((api) => api.root.addChild(new Ticker()));
  const FRAME = 1000 / 60;
  const shown: number[] = [];
  const start = performance.now();
  for (let i = 0; i < 240; i++) {
    vi.advanceTimersByTime(FRAME);
    gliders[0]!.x = Math.round(((performance.now() - start) / 1000) * 2 * 100) / 100;
    tickers[0]!.n = i;
    for (const api of game.apis) api.poll();
    await flush();
    shown.push(gliders[1]!.x);
  }
  expect(game.rejections).toEqual([]);
  // Past the first second (the copy is spawned, the buffer fills).
  return { shown: shown.slice(60), stats: gliders[1]!.sync.interpolationStats! };
}

describe("Synchronizer interpolation with the sender's interval", () => {
  it("a sender every 3 ticks, a receiver set to every tick: forward on every frame, no stall, the delay of the sender's interval", async () => {
    expect(TICK_RATE).toBe(20);
    const { shown, stats } = await glide(0.15, 0);
    // A tick that left the glider out as not yet due, taken for its unchanged state, held it still.
    for (let i = 1; i < shown.length; i++)
      expect(shown[i]!, `frame ${i + 60}`).toBeGreaterThan(shown[i - 1]!);
    expect(stats.stalls).toBe(0);
    expect(stats.interval).toBeCloseTo(150, 9);
    // Transit + 1.5 of the sender's intervals at least (the start-up cover is still being shed).
    expect(stats.targetDelay - stats.transit).toBeGreaterThanOrEqual(1.5 * 150);
  });

  it("the same setting on both sides: a tick that left the glider out never shows an older state", async () => {
    // The ticker's ticks between the glider's carry a baseline from before the glider's last
    // state (acknowledgements take a tick): their held state for the glider is an older one.
    const { shown, stats } = await glide(0.15, 0.15);
    for (let i = 1; i < shown.length; i++)
      expect(shown[i]!, `frame ${i + 60}`).toBeGreaterThan(shown[i - 1]!);
    expect(stats.stalls).toBe(0);
  });
});
