import { afterEach, describe, expect, it } from "vitest";
import { buildWorld, moveTo, populate, worldDiff, worldState } from "../e2e/harness/replication-world.js";
import { replicatedPair, until } from "./helpers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("scene replication at the host's tick rate", () => {
  it("a client configured with another rate follows the host's; a change during the game is refused", async () => {
    let built = 0;
    const { host, hostWorld, client, clientWorld, rejected } = await replicatedPair((api) => {
      // The host is built first, at the default 30 Hz; the client's own setting is 10 Hz.
      if (built++ === 1) api.tickRate = 10;
      return buildWorld(api.root);
    }, cleanups);
    // The host's rate arrives first after admission, at most a moment after the client is in.
    await until(() => client.tickRate === 30, 2000, "the host's tick rate on the client");
    populate(hostWorld, 3);
    // A game that has run for a while at 30 Hz: states keep coming and are applied.
    for (let frame = 1; host.clock.now() < 3000; frame++) {
      moveTo(hostWorld, frame);
      await new Promise((resolve) => setTimeout(resolve, 33));
    }
    await until(() => worldDiff(worldState(hostWorld), worldState(clientWorld)).length === 0, 5000, "30 Hz");
    const before = client.clock.tick;
    // Host ticks on both sides: a client counting its own 10 Hz would be a third of the host's.
    expect(Math.abs(before - host.clock.tick)).toBeLessThanOrEqual(1);

    expect(() => (host.tickRate = 10)).toThrow(/tickRate can only change while no other peer/);
    expect(() => (client.tickRate = 10)).toThrow(/a client's tickRate is its host's/);
    expect([host.tickRate, client.tickRate]).toEqual([30, 30]);
    moveTo(hostWorld, 1000);
    const expected = worldState(hostWorld);
    // A few network ticks at 30 Hz are 100 ms; two seconds is far more than the client needs.
    await until(
      () => worldDiff(expected, worldState(clientWorld)).length === 0,
      2000,
      `the client applying states after the refused change (tick ${before} then ${host.clock.tick}; the client still shows ${worldDiff(expected, worldState(clientWorld))[0]})`,
    );
    expect(rejected).toEqual([]);
  });
});
