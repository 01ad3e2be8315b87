import { describe, expect, it } from "vitest";
import { reachesAny, targetIncludes, targetPeers } from "../src/multiplayer/targets.js";

describe("targets", () => {
  const peers = new Set([1, 2, 3, 4]);

  it("0 reaches everyone", () => {
    for (const id of [1, 2, 7]) expect(targetIncludes(0, id)).toBe(true);
    expect([...targetPeers(0, peers, 0)]).toEqual([1, 2, 3, 4]);
  });

  it("-n reaches everyone but n", () => {
    expect(targetIncludes(-2, 2)).toBe(false);
    expect(targetIncludes(-2, 1)).toBe(true);
    expect(targetIncludes(-2, 3)).toBe(true);
    expect([...targetPeers(-2, peers, 0)]).toEqual([1, 3, 4]);
  });

  it("n reaches n alone, and only when n is one of the peers", () => {
    expect(targetIncludes(3, 3)).toBe(true);
    expect(targetIncludes(3, 1)).toBe(false);
    expect([...targetPeers(3, peers, 0)]).toEqual([3]);
    expect([...targetPeers(9, peers, 0)]).toEqual([]);
  });

  it("never reaches the peer it leaves out", () => {
    expect([...targetPeers(0, peers, 1)]).toEqual([2, 3, 4]);
    expect([...targetPeers(-3, peers, 2)]).toEqual([1, 4]);
    expect([...targetPeers(2, peers, 2)]).toEqual([]);
  });

  it("reachesAny says whether anyone is left", () => {
    expect(reachesAny(0, [], 1)).toBe(false);
    expect(reachesAny(0, [2], 1)).toBe(true);
    expect(reachesAny(-2, [2], 1)).toBe(false);
    expect(reachesAny(2, [2], 1)).toBe(true);
    expect(reachesAny(2, [3], 1)).toBe(false);
    expect(reachesAny(1, [1], 1)).toBe(false);
  });
});
