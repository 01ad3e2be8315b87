import { describe, expect, it } from "vitest";
import { Vector2 } from "../src/common.js";
import {
  captureState,
  decodeSync,
  type EntityState,
  type PropertySpec,
  sameState,
} from "../src/replication/state-codec.js";
import { type DueState, SyncSender } from "../src/replication/sync-sender.js";

const specs: readonly PropertySpec[] = [{ name: "position", precision: 0.01 }];
const IDS = [0, 1, 2];
const PEERS = [2, 3, 4, 5];

/** Every synchronizer moved at `tick` (so every entry is in every packet). */
function statesAt(tick: number): Map<number, EntityState> {
  return new Map(IDS.map((id) => [id, captureState(specs, [new Vector2(id * 10 + tick, tick * 0.5)])]));
}

function dueAt(states: Map<number, EntityState>): DueState[] {
  return IDS.map((id) => ({ id, specs, state: states.get(id)!, peers: PEERS }));
}

describe("SyncSender", () => {
  it("encodes once per distinct baseline when receivers acknowledged different ticks, each still decoding the tick", () => {
    const sender = new SyncSender(() => true);
    const held = new Map<number, Map<number, EntityState>>();
    const limit = 16 * 1024;
    const s1 = statesAt(1);
    held.set(1, s1);
    expect(sender.encode(1, dueAt(s1), limit)).toHaveLength(1);
    sender.acknowledge(2, 1);
    sender.acknowledge(3, 1);
    const s2 = statesAt(2);
    held.set(2, s2);
    sender.encode(2, dueAt(s2), limit);
    sender.acknowledge(2, 2);
    sender.acknowledge(4, 2);
    // Tick 3: no tick every peer acknowledged. 2 and 4 hold tick 2, 3 holds tick 1, 5 nothing.
    const s3 = statesAt(3);
    const groups = sender.encode(3, dueAt(s3), limit);
    expect(groups.map((g) => [...g.peers].sort())).toEqual(expect.arrayContaining([[5], [2, 4], [3]]));
    expect(groups).toHaveLength(3);
    for (const group of groups) {
      for (const packet of group.packets) {
        const decoded = decodeSync(packet, { specs: () => specs, baseline: (tick) => held.get(tick) });
        if (!decoded.ok) throw new Error(decoded.message);
        expect(decoded.sync.entries.map((e) => e.id)).toEqual(IDS);
        for (const entry of decoded.sync.entries)
          expect(sameState(entry.state, s3.get(entry.id)!)).toBe(true);
      }
    }
  });
});
