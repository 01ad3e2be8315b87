// Scene replication when a scene is assembled in another order than replication-world.ts's:
// nodes added one by one, as a game written without a scene editor would add them.
import { type MultiplayerAPI, MultiplayerSpawner, NetNode } from "starwire/node";
import { afterEach, describe, expect, it } from "vitest";
import { Entity } from "../e2e/harness/replication-world.js";
import { replicatedPair, until } from "./helpers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** /root/world with its spawner added BEFORE the spawn node it points at ("../entities"). */
function spawnerFirst(api: MultiplayerAPI) {
  const world = api.root.addChild(new NetNode("world"));
  const spawner = new MultiplayerSpawner("spawner");
  spawner.spawnPath = "../entities";
  spawner.addSpawnable("Entity", Entity);
  world.addChild(spawner);
  const entities = world.addChild(new NetNode("entities"));
  return { spawner, entities };
}

describe("scene replication, nodes added one by one", () => {
  it("spawns under a spawn node that entered the tree after its spawner", async () => {
    const { hostWorld, clientWorld, rejected } = await replicatedPair((api) => spawnerFirst(api), cleanups);

    // The spawner resolves "../entities" now: the node is there.
    expect(hostWorld.spawner.spawnNode).toBe(hostWorld.entities);
    hostWorld.entities.addChild(new Entity("e0"));
    let spawned = 0;
    clientWorld.spawner.on("spawned", () => spawned++);
    await until(() => spawned === 1 || rejected.length > 0, 5000, "the spawn of e0 on the client").catch(
      (error: Error) => {
        throw new Error(
          `${error.message}; the host's e0 was never spawned (rejections: ${rejected.join("; ") || "none"})`,
        );
      },
    );
    expect(clientWorld.entities.getChild("e0")).toBeInstanceOf(Entity);
  });
});
