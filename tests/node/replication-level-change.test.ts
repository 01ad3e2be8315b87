import { afterEach, describe, expect, it } from "vitest";
import {
  buildWorld,
  Entity,
  moveTo,
  populate,
  worldDiff,
  worldState,
} from "../e2e/harness/replication-world.js";
import { replicatedPair, until } from "./helpers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("scene replication across a level change", () => {
  it("despawns a removed level's spawned nodes everywhere, and the host keeps replicating", async () => {
    // An exception in the host's automatic poll surfaces here (a timer callback has no caller).
    const uncaught: string[] = [];
    const record = (error: Error) => uncaught.push(error.message);
    process.on("uncaughtException", record);
    cleanups.push(() => process.off("uncaughtException", record));

    const pair = await replicatedPair((api) => buildWorld(api.root), cleanups);
    const { host, clientWorld, rejected } = pair;
    let { hostWorld } = pair;
    populate(hostWorld, 5);
    await until(() => clientWorld.entities.children.length === 5, 10_000, "five entities on the client");

    // Level change: the host removes /root/world (spawner and spawned nodes with it) and builds the next.
    host.root.removeChild(hostWorld.entities.parent!);
    hostWorld = buildWorld(host.root);
    populate(hostWorld, 2, 0, "next");
    // The client still has its own /root/world: the new level's spawns land there.
    await until(
      () => clientWorld.entities.getChild("next1") !== null || uncaught.length > 0,
      10_000,
      "the next level's spawns",
    );
    // The next level's nodes move: synchronized states must keep coming (network ticks go on).
    moveTo(hostWorld, 40);
    const moved = worldState(hostWorld);
    await until(
      () =>
        uncaught.length > 0 ||
        worldDiff(moved, worldState(clientWorld)).filter((line) => line.startsWith("next")).length === 0,
      10_000,
      `the next level's states: ${worldDiff(moved, worldState(clientWorld)).join("; ")}`,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; host poll threw: ${uncaught.join("; ") || "nothing"}`);
    });
    expect(uncaught).toEqual([]);
    // The removed level's nodes were despawned on the client: only the next level's are left.
    await until(
      () => clientWorld.entities.children.every((child) => child.name.startsWith("next")),
      10_000,
      `the old level despawned on the client (it still has ${clientWorld.entities.children
        .filter((child) => child instanceof Entity && !child.name.startsWith("next"))
        .map((child) => child.name)
        .join(", ")})`,
    );
    expect(rejected).toEqual([]);
  });
});
