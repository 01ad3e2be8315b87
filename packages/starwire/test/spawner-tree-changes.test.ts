// Spawners when the tree changes around them: a level removed with everything in it, a spawn
// node added after its spawner or rebuilt. Godot despawns a tracked node whenever it exits the
// tree, and a spawner follows its spawn path as nodes come and go.
import { afterEach, describe, expect, it, vi } from "vitest";
import { type MultiplayerAPI, MultiplayerSpawner, NetNode } from "../src/common.js";
import { buildWorld, flush, Player, replicatedGame } from "./replication-helpers.js";

afterEach(() => {
  vi.useRealTimers();
});

/** /root/level with its spawner added BEFORE the spawn node it points at. */
function spawnerFirst(api: MultiplayerAPI) {
  const level = api.root.addChild(new NetNode("level"));
  const spawner = new MultiplayerSpawner("spawner");
  spawner.spawnPath = "../players";
  spawner.addSpawnable("Player", Player);
  level.addChild(spawner);
  return { level, spawner, players: () => level.getChild("players") };
}

describe("MultiplayerSpawner across tree changes", () => {
  it("despawns a removed level's spawned nodes on every peer, and the host keeps replicating", async () => {
    const game = await replicatedGame(2);
    const worlds = game.apis.map(buildWorld);
    for (const name of ["a", "b"]) worlds[0]!.players.addChild(new Player(name));
    await game.tick();
    expect(worlds[1]!.players.children.map((child) => child.name)).toEqual(["a", "b"]);
    const despawned: string[] = [];
    worlds[2]!.spawner.on("despawned", (node) => despawned.push(node.name));

    // A level change: the level goes (spawner, spawn node and spawned nodes at once), the next comes.
    game.apis[0]!.root.removeChild(worlds[0]!.level);
    await flush();
    for (const world of worlds.slice(1)) expect(world.players.children).toEqual([]);
    expect(despawned).toEqual(["a", "b"]);
    // The clients keep their own level: the host's next one is the same scene.
    const next = buildWorld(game.apis[0]!);
    const player = next.players.addChild(new Player("c"));
    await game.tick(); // polls must not throw for nodes that left the tree
    player.x = 7;
    await game.tick(2);
    for (const world of worlds.slice(1)) {
      expect(world.players.children.map((child) => child.name)).toEqual(["c"]);
      expect((world.players.getChild("c") as Player).x).toBe(7);
    }
    expect(game.rejections).toEqual([]);
  });

  it("despawns everywhere what a spawner spawned when the spawner alone leaves the tree", async () => {
    const game = await replicatedGame(1);
    const worlds = game.apis.map(buildWorld);
    worlds[0]!.players.addChild(new Player("a"));
    await game.tick();
    expect(worlds[1]!.players.getChild("a")).toBeInstanceOf(Player);
    worlds[0]!.level.removeChild(worlds[0]!.spawner);
    await game.tick();
    expect(worlds[1]!.players.children).toEqual([]);
    // Here the node stays, an ordinary node now: removing it sends nothing more.
    expect(worlds[0]!.players.getChild("a")).toBeInstanceOf(Player);
    worlds[0]!.players.removeChild(worlds[0]!.players.getChild("a")!);
    await game.tick();
    expect(game.rejections).toEqual([]);
  });

  it("spawns under a spawn node added after its spawner, and under the one that replaces it", async () => {
    const game = await replicatedGame(1);
    const [host, client] = game.apis.map(spawnerFirst);
    expect(host!.spawner.spawnNode).toBeNull();
    for (const world of [host!, client!]) world.level.addChild(new NetNode("players"));
    expect(host!.spawner.spawnNode).toBe(host!.players());
    host!.players()!.addChild(new Player("a"));
    await game.tick();
    expect(client!.players()!.getChild("a")).toBeInstanceOf(Player);

    // The spawn node is rebuilt (removed, then a new one under the same path): it follows.
    host!.level.removeChild(host!.players()!);
    await game.tick();
    expect(client!.players()!.children).toEqual([]);
    host!.level.addChild(new NetNode("players")).addChild(new Player("b"));
    await game.tick();
    expect(client!.players()!.children.map((child) => child.name)).toEqual(["b"]);
    expect(game.rejections).toEqual([]);
  });
});
