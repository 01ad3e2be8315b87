// The tick memories of delta encoding (src/replication/state-history.ts): what a receiver holds
// and may acknowledge, and which baseline a sender may pick for a group.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { captureState, type DecodedSync, type EntityState } from "../src/replication/state-codec.js";
import { ReceivedStates, SentStates } from "../src/replication/state-history.js";

const SPECS = [{ precision: 1 }];
const state = (n: number): EntityState => captureState(SPECS, [n]);
const packet = (
  tick: number,
  baselineTick: number | null,
  entries: Array<[number, number]>,
  part = 0,
  last = true,
): DecodedSync => ({
  tick,
  baselineTick,
  part,
  last,
  entries: entries.map(([id, n]) => ({ id, state: state(n) })),
});
const values = (map: ReadonlyMap<number, EntityState> | undefined) =>
  map && Object.fromEntries([...map].map(([id, s]) => [id, (s[0] as { q: readonly number[] }).q[0]]));

describe("ReceivedStates", () => {
  it("holds a tick once its only part arrived, and acknowledges the newest", () => {
    const history = new ReceivedStates();
    expect(history.newestComplete).toBeNull();
    expect(history.apply(packet(10, null, [[1, 5]]))).toBe(true);
    expect(values(history.baseline(10))).toEqual({ 1: 5 });
    expect(history.newestComplete).toBe(10);
    expect(history.baseline(11)).toBeUndefined();
    expect(history.apply(packet(8, null, [[1, 4]]))).toBe(true); // late, still a valid tick
    expect(history.newestComplete).toBe(10);
  });

  it("carries the baseline's states forward: entities left out are unchanged, not gone", () => {
    const history = new ReceivedStates();
    history.apply(
      packet(10, null, [
        [1, 5],
        [2, 7],
      ]),
    );
    history.apply(packet(12, 10, [[2, 8]]));
    expect(values(history.baseline(12))).toEqual({ 1: 5, 2: 8 });
    expect(values(history.baseline(10))).toEqual({ 1: 5, 2: 7 }); // the baseline itself is untouched
  });

  it("completes a split tick only when every part arrived, in any order", () => {
    const history = new ReceivedStates();
    history.apply(packet(10, null, [[1, 1]]));
    expect(history.apply(packet(11, 10, [[3, 3]], 2, true))).toBe(false);
    expect(history.apply(packet(11, 10, [[1, 2]], 0, false))).toBe(false);
    expect(history.baseline(11)).toBeUndefined();
    expect(history.newestComplete).toBe(10);
    expect(history.apply(packet(11, 10, [[2, 2]], 1, false))).toBe(true);
    expect(values(history.baseline(11))).toEqual({ 1: 2, 2: 2, 3: 3 });
    expect(history.apply(packet(11, 10, [[2, 2]], 1, false))).toBe(false); // a duplicate changes nothing
    expect(history.newestComplete).toBe(11);
  });

  it("never completes a tick with a lost part, nor one whose parts disagree on the baseline", () => {
    const history = new ReceivedStates();
    history.apply(packet(10, null, [[1, 1]]));
    history.apply(packet(9, null, [[1, 0]]));
    history.apply(packet(11, 10, [[1, 2]], 1, true));
    expect(history.apply(packet(11, 9, [[2, 2]], 0, false))).toBe(false);
    expect(history.baseline(11)).toBeUndefined();
    history.apply(packet(12, 10, [[1, 3]], 0, false)); // part 1 never comes
    expect(history.newestComplete).toBe(10);
    expect(history.apply(packet(13, 11, [[1, 4]]))).toBe(false); // relative to an incomplete tick
    expect(history.baseline(13)).toBeUndefined();
  });

  it("keeps the last `size` ticks and ignores older ones", () => {
    const history = new ReceivedStates(4);
    for (let tick = 0; tick < 6; tick++) history.apply(packet(tick, null, [[1, tick]]));
    expect([0, 1, 2, 3, 4, 5].map((t) => history.baseline(t) !== undefined)).toEqual([
      false,
      false,
      true,
      true,
      true,
      true,
    ]);
    expect(history.apply(packet(1, null, [[1, 1]]))).toBe(false);
    expect(history.baseline(1)).toBeUndefined();
    // A baseline in the very slot its tick takes is copied before the slot is reused.
    expect(history.apply(packet(6, 2, [[2, 6]]))).toBe(true);
    expect(values(history.baseline(6))).toEqual({ 1: 2, 2: 6 });
  });

  it("forgets a synchronizer in every tick, and everything on clear", () => {
    const history = new ReceivedStates();
    history.apply(
      packet(1, null, [
        [1, 1],
        [2, 2],
      ]),
    );
    history.apply(packet(2, 1, [[2, 3]]));
    history.forget(1);
    expect(values(history.baseline(1))).toEqual({ 2: 2 });
    expect(values(history.baseline(2))).toEqual({ 2: 3 });
    history.clear();
    expect(history.baseline(2)).toBeUndefined();
    expect(history.newestComplete).toBeNull();
  });

  it("stays bounded and consistent whatever packets arrive, in whatever order", () => {
    const arbitraryPacket = fc.record({
      tick: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
      back: fc.integer({ min: 0, max: 40 }),
      part: fc.integer({ min: 0, max: 3 }),
      last: fc.boolean(),
      ids: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(arbitraryPacket, { maxLength: 60 }), (packets) => {
        const history = new ReceivedStates(8);
        const seen = new Set<number>();
        for (const p of packets) {
          const baselineTick = p.back === 0 || p.back > p.tick ? null : p.tick - p.back;
          if (baselineTick !== null && !history.baseline(baselineTick)) continue; // decodeSync's rule
          history.apply(
            packet(
              p.tick,
              baselineTick,
              p.ids.map((id) => [id, p.tick]),
              p.part,
              p.last,
            ),
          );
          seen.add(p.tick);
          const newest = history.newestComplete;
          if (newest !== null) expect(history.baseline(newest)).toBeDefined();
        }
        const held = [...seen].filter((tick) => history.baseline(tick) !== undefined);
        expect(held.length).toBeLessThanOrEqual(8);
        if (held.length) expect(Math.max(...held) - Math.min(...held)).toBeLessThan(8);
      }),
      { numRuns: 500 },
    );
  });

  it("refuses a size that cannot hold a baseline and a tick", () => {
    expect(() => new ReceivedStates(1)).toThrow(RangeError);
    expect(() => new SentStates(0)).toThrow(RangeError);
  });
});

describe("SentStates", () => {
  const world = (n: number) => new Map([[1, state(n)]]);

  it("picks the newest tick every peer of the group acknowledged", () => {
    const sent = new SentStates();
    const maps = [world(0), world(1), world(2), world(3)];
    for (const [tick, states] of maps.entries()) sent.record(tick, [2, 3], states);
    expect(sent.baseline([2, 3], 4)).toBeNull();
    sent.acknowledge(2, 1);
    sent.acknowledge(2, 3);
    sent.acknowledge(3, 1);
    sent.acknowledge(3, 2);
    expect(sent.baseline([2, 3], 4)).toEqual({ tick: 1, states: maps[1] });
    expect(sent.baseline([2], 4)?.tick).toBe(3);
    expect(sent.baseline([3], 4)?.tick).toBe(2);
    expect(sent.baseline([3], 2)?.tick).toBe(1); // only ticks before the one being encoded
    expect(sent.baseline([], 4)).toBeNull();
  });

  it("ignores acknowledgements of ticks never sent to that peer, or no longer kept", () => {
    const sent = new SentStates(4);
    sent.record(1, [2], world(1));
    expect(sent.acknowledge(3, 1)).toBe(false);
    expect(sent.acknowledge(2, 0)).toBe(false);
    expect(sent.acknowledge(2, -4)).toBe(false);
    expect(sent.acknowledge(2, 1.5)).toBe(false);
    expect(sent.baseline([3], 2)).toBeNull();
    expect(sent.acknowledge(2, 1)).toBe(true);
    sent.record(5, [2], world(5)); // the same slot: tick 1 is gone
    expect(sent.acknowledge(2, 1)).toBe(false);
    expect(sent.baseline([2], 6)).toBeNull();
  });

  it("picks no tick `size` or more ticks older than the one being encoded", () => {
    const sent = new SentStates(4);
    sent.record(10, [2], world(10));
    sent.acknowledge(2, 10);
    expect(sent.baseline([2], 13)?.tick).toBe(10);
    expect(sent.baseline([2], 14)).toBeNull();
  });

  it("only picks a tick the group's peers were sent as one group", () => {
    const sent = new SentStates();
    const together = world(1);
    sent.record(1, [2, 3], together);
    sent.record(2, [2], world(2));
    sent.record(2, [3], world(2)); // equal states, but two groups: not known to be the same
    for (const peer of [2, 3]) for (const tick of [1, 2]) sent.acknowledge(peer, tick);
    expect(sent.baseline([2, 3], 3)).toEqual({ tick: 1, states: together });
  });

  it("forgets a peer's acknowledgements, and a re-sent tick's", () => {
    const sent = new SentStates();
    sent.record(1, [2], world(1));
    sent.acknowledge(2, 1);
    sent.record(1, [2], world(9)); // sent again (another group now): the old ack says nothing of it
    expect(sent.baseline([2], 2)).toBeNull();
    sent.acknowledge(2, 1);
    expect(sent.baseline([2], 2)?.tick).toBe(1);
    sent.forgetPeer(2);
    expect(sent.baseline([2], 2)).toBeNull();
    expect(sent.acknowledge(2, 1)).toBe(false);
    sent.record(2, [2], world(2));
    sent.acknowledge(2, 2);
    sent.clear();
    expect(sent.baseline([2], 3)).toBeNull();
  });
});
