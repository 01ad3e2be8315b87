import { afterEach, describe, expect, it, vi } from "vitest";
import {
  MemoryMultiplayerPeer,
  MultiplayerAPI,
  MultiplayerSpawner,
  MultiplayerSynchronizer,
  NetNode,
} from "../src/common.js";
import { encodeSyncValues } from "../src/replication/sync-values.js";
import { Extended, extendedHead } from "../src/wire/commands.js";
import { encodeSpawn } from "../src/wire/spawn-packet.js";
import { until } from "./helpers.js";
import { buildWorld, Coin, flush, Player, replicatedGame } from "./replication-helpers.js";

class Ball extends NetNode {
  x = 0;
  constructor() {
    super("ball");
    const sync = this.addChild(new MultiplayerSynchronizer("sync"));
    sync.replicationConfig = { x: { replicate: "always" } };
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe("MultiplayerSpawner", () => {
  it("spawns a registered child on every peer with its spawn state, and despawns it", async () => {
    const game = await replicatedGame(2);
    const worlds = game.apis.map(buildWorld);
    const spawned: string[] = [];
    worlds[1]!.spawner.on("spawned", (node) => spawned.push(node.getPath()));
    const player = new Player("p1");
    player.x = 3;
    player.y = 4;
    worlds[0]!.players.addChild(player);
    await flush();
    for (const world of worlds.slice(1)) {
      const copy = world.players.getChild("p1");
      expect(copy).toBeInstanceOf(Player);
      expect([(copy as Player).x, (copy as Player).y, (copy as Player).hp]).toEqual([3, 4, 100]);
    }
    expect(spawned).toEqual(["/root/level/players/p1"]);
    const despawned: string[] = [];
    worlds[2]!.spawner.on("despawned", (node) => despawned.push(node.name));
    worlds[0]!.players.removeChild(player);
    await flush();
    expect(worlds[1]!.players.children).toEqual([]);
    expect(worlds[2]!.players.children).toEqual([]);
    expect(despawned).toEqual(["p1"]);
    expect(game.rejections).toEqual([]);
  });

  it("ignores children of classes it does not know", async () => {
    const game = await replicatedGame(1);
    const worlds = game.apis.map(buildWorld);
    worlds[0]!.players.addChild(new NetNode("plain"));
    await flush();
    expect(worlds[1]!.players.children).toEqual([]);
  });

  it("gives a late joiner every spawned node with its current spawn state", async () => {
    const game = await replicatedGame(1);
    const host = buildWorld(game.apis[0]!);
    buildWorld(game.apis[1]!);
    const player = host.players.addChild(new Player("p1"));
    host.players.addChild(new Coin("c1"));
    const hostBall = game.apis[0]!.root.addChild(new Ball());
    player.x = 42;
    await game.tick(2);
    // Like a Godot scene, the world exists before the client connects.
    const api = new MultiplayerAPI();
    api.autoPoll = false;
    const world = buildWorld(api);
    const peer = new MemoryMultiplayerPeer(game.network);
    await peer.createClient(game.host.roomCode);
    api.peer = peer;
    // A synchronizer that was not spawned (part of every peer's tree) reaches it too.
    const ball = api.root.addChild(new Ball());
    await until(() => world.players.children.length === 2);
    await game.tick(2);
    api.poll();
    await flush();
    expect(ball.x).toBe(0);
    hostBall.x = 12;
    await game.tick(2);
    expect(ball.x).toBe(12);
    expect(world.players.children.map((node) => node.name)).toEqual(["p1", "c1"]);
    expect((world.players.getChild("p1") as Player).x).toBe(42);
    expect(world.players.getChild("c1")).toBeInstanceOf(Coin);
  });

  it("spawns with a custom spawn function and its data", async () => {
    const game = await replicatedGame(1);
    const worlds = game.apis.map(buildWorld);
    for (const { spawner } of worlds) {
      spawner.spawnFunction = (data) => {
        const { name, value } = data as { name: string; value: number };
        const coin = new Coin(name);
        coin.value = value;
        return coin;
      };
    }
    const coin = worlds[0]!.spawner.spawn({ name: "gold", value: 50 }) as Coin;
    expect(coin.parent).toBe(worlds[0]!.players);
    await flush();
    const copy = worlds[1]!.players.getChild("gold") as Coin;
    expect(copy.value).toBe(50);
  });

  it("enforces the spawn limit on the authority and on receivers", async () => {
    const game = await replicatedGame(1);
    const worlds = game.apis.map(buildWorld);
    worlds[0]!.spawner.spawnLimit = 2;
    worlds[0]!.spawner.spawnFunction = (data) => new Coin(String(data));
    expect(() => worlds[0]!.spawner.spawn("a")).not.toThrow();
    expect(() => worlds[0]!.spawner.spawn("b")).not.toThrow();
    expect(() => worlds[0]!.spawner.spawn("c")).toThrow(RangeError);
    // Auto-spawn over the limit stays local.
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    worlds[0]!.players.addChild(new Coin("d"));
    warn.mockRestore();
    worlds[1]!.spawner.spawnFunction = (data) => new Coin(String(data));
    await flush();
    expect(worlds[1]!.players.children.map((n) => n.name)).toEqual(["a", "b"]);
    // A receiver with a lower limit refuses the spawn above it.
    worlds[1]!.spawner.spawnLimit = 2;
    worlds[0]!.spawner.spawnLimit = 0;
    worlds[0]!.spawner.spawn("e");
    await flush();
    expect(worlds[1]!.players.children.map((n) => n.name)).toEqual(["a", "b"]);
    expect(game.rejections.map((r) => r.reason)).toEqual(["spawn_refused"]);
    expect(game.apis[1]!.rejectionCount(1)).toBe(1);
  });

  it("refuses spawns from anyone but the spawner's authority, unknown classes, bad and taken names", async () => {
    const game = await replicatedGame(2);
    const worlds = game.apis.map(buildWorld);
    const client = game.joined[0]!;
    const spawn = (className: string, name: string) =>
      encodeSpawn({
        spawner: { id: 0, path: "/root/level/spawner" },
        nodeId: 1,
        name,
        className,
        data: null,
        syncs: [],
      });
    // Client 2 is not the spawner's authority (the host is): the host refuses, relays nothing.
    client.peer.send(1, spawn("Coin", "forged"), "reliable", 0);
    await flush();
    expect(worlds[0]!.players.children).toEqual([]);
    expect(game.rejectedAt[0]!.map((r) => r.reason)).toEqual(["forbidden"]);
    expect(game.apis[0]!.rejectionCount(client.id)).toBe(1);
    expect(worlds[2]!.players.children).toEqual([]);
    // The host is the authority; the receiver still refuses what it cannot spawn.
    const hostPeer = game.host.peer;
    hostPeer.send(client.id, spawn("Dragon", "d"), "reliable", 0);
    hostPeer.send(client.id, spawn("Coin", "a/b"), "reliable", 0);
    worlds[1]!.players.addChild(new NetNode("taken"));
    hostPeer.send(client.id, spawn("Coin", "taken"), "reliable", 0);
    hostPeer.send(client.id, spawn("Coin", "ok"), "reliable", 0);
    // The same spawn again is no news (the host checks relayed copies after running its own).
    hostPeer.send(client.id, spawn("Coin", "ok"), "reliable", 0);
    await flush();
    expect(worlds[1]!.players.children.map((n) => n.name)).toEqual(["taken", "ok"]);
    expect(game.rejectedAt[1]!.map((r) => r.reason)).toEqual([
      // The forged SPAWN came directly: the host learned its inline spawner id (as it would an
      // RPC's) and confirmed it to a client that never handed it out.
      "malformed",
      "spawn_refused",
      "spawn_refused",
      "spawn_refused",
    ]);
  });

  it("refuses a spawn state that sets a property not marked spawn", async () => {
    const game = await replicatedGame(1);
    const worlds = game.apis.map(buildWorld);
    const packet = encodeSpawn({
      spawner: { id: 0, path: "/root/level/spawner" },
      nodeId: 1,
      name: "p",
      className: "Player",
      data: null,
      syncs: [{ id: 2, path: "sync", state: encodeSyncValues([[2, 0]]) }],
    });
    game.host.peer.send(game.joined[0]!.id, packet, "reliable", 0);
    await flush();
    expect(worlds[1]!.players.children).toEqual([]);
    expect(game.rejectedAt[1]!.map((r) => r.reason)).toEqual(["forbidden"]);
  });

  it("frees the nodes a leaving peer spawned (Godot's rule)", async () => {
    const game = await replicatedGame(2);
    const worlds = game.apis.map(buildWorld);
    const client = game.joined[0]!;
    for (const { spawner } of worlds) spawner.setMultiplayerAuthority(client.id);
    worlds[1]!.players.addChild(new Player("mine"));
    await flush();
    await flush();
    expect(worlds[0]!.players.getChild("mine")).toBeInstanceOf(Player);
    expect(worlds[2]!.players.getChild("mine")).toBeInstanceOf(Player);
    client.api.peer = null;
    await flush();
    await flush();
    expect(worlds[0]!.players.children).toEqual([]);
    expect(worlds[2]!.players.children).toEqual([]);
  });

  it("uses the first byte of the SPAWN family", () => {
    expect(extendedHead(Extended.SPAWN)).toBe(0x07);
    expect(new MultiplayerSpawner("s").spawnPath).toBe("..");
  });
});
