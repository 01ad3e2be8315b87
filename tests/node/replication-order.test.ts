// Scene replication when a scene is assembled in another order than replication-world.ts's:
// nodes added one by one, as a game written without a scene editor would add them.
import { MultiplayerAPI, MultiplayerSpawner, NetNode } from "starwire/node";
import { afterEach, describe, expect, it } from "vitest";
import { Entity } from "../e2e/harness/replication-world.js";
import { loopbackPeer, startSignaling, until } from "./helpers.js";

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
    const signaling = await startSignaling();
    cleanups.push(signaling.close);
    const host = new MultiplayerAPI();
    const hostWorld = spawnerFirst(host);
    const hostPeer = loopbackPeer(signaling.url);
    const { roomCode } = await hostPeer.createServer({ maxPlayers: 4 });
    host.peer = hostPeer;
    const client = new MultiplayerAPI();
    const clientWorld = spawnerFirst(client);
    const rejected: string[] = [];
    client.on("rejected", (r) => rejected.push(`${r.reason}: ${r.message}`));
    const clientPeer = loopbackPeer(signaling.url);
    client.peer = clientPeer;
    cleanups.push(() => {
      client.peer = null;
      host.peer = null;
    });
    await clientPeer.createClient(roomCode);
    await client.whenConnected();

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
