import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EventPacer } from "../src/signaling/event-pacer.js";

describe("EventPacer", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends a burst at once, then keeps to its rate without losing an event, in order", () => {
    const pacer = new EventPacer();
    const sent: number[] = [];
    for (let i = 0; i < 400; i++) pacer.send(() => sent.push(i));
    expect(sent).toHaveLength(150);
    vi.advanceTimersByTime(1000);
    expect(sent.length).toBeGreaterThanOrEqual(229);
    expect(sent.length).toBeLessThanOrEqual(231);
    vi.advanceTimersByTime(3000);
    expect(sent).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(pacer.stats).toMatchObject({ waiting: 0, dropped: 0 });
  });

  it("halves its rate and pauses when the server still refuses an event", () => {
    const pacer = new EventPacer();
    const sent: number[] = [];
    pacer.refused();
    expect(pacer.stats.perSecond).toBe(40);
    for (let i = 0; i < 10; i++) pacer.send(() => sent.push(i));
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(sent.length).toBeGreaterThanOrEqual(9);
    for (let i = 0; i < 10; i++) pacer.refused();
    expect(pacer.stats.perSecond).toBe(5);
  });

  it("holds a bounded backlog, dropping the oldest", () => {
    const pacer = new EventPacer();
    const sent: number[] = [];
    for (let i = 0; i < 150 + 2500; i++) pacer.send(() => sent.push(i));
    expect(pacer.stats).toMatchObject({ waiting: 2000, dropped: 500 });
    pacer.close();
    vi.advanceTimersByTime(60_000);
    expect(sent).toHaveLength(150);
  });
});
