// Spawn visibility is Godot's: a node is spawned on a peer when any synchronizer rooted at it is
// visible there ("composed using OR"), and each synchronizer then reaches only its own peers. The
// game pattern it serves: a player with a public synchronizer (where it is) and an owner-only one
// (what it carries) is seen by everyone, and its private state reaches its owner alone.
import { afterEach, describe, expect, it, vi } from "vitest";
import { MultiplayerSynchronizer, NetNode } from "../src/common.js";
import { buildWorld, recordSends, replicatedGame } from "./replication-helpers.js";

afterEach(() => {
  vi.useRealTimers();
});

/** A player: `pos` public (x), `vault` hidden from everyone (gold on change, secret always). */
class Hero extends NetNode {
  x = 0;
  gold = 0;
  secret = "none";
  readonly waves: number[] = [];
  readonly pos = new MultiplayerSynchronizer("pos");
  readonly vault = new MultiplayerSynchronizer("vault");

  constructor(name: string) {
    super(name);
    this.pos.replicationConfig = { x: { replicate: "always", spawn: true } };
    this.vault.replicationConfig = {
      gold: { replicate: "on_change", spawn: true },
      secret: { replicate: "always", spawn: true },
    };
    this.vault.publicVisibility = false;
    this.addChild(this.pos);
    this.addChild(this.vault);
    this.rpcConfig("wave", ["authority"]);
  }

  wave(count: number): void {
    this.waves.push(count);
  }
}

/** A Hero whose owner (the peer its name ends with) moves its private state; visibility is the host's. */
class OwnHero extends Hero {
  constructor(name: string) {
    super(name);
    this.vault.publicVisibility = true;
    this.vault.setMultiplayerAuthority(Number(name.slice("hero".length)));
  }
}

const text = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);

describe("spawn visibility (Godot's OR)", () => {
  it("spawns a node with a public and an owner-only synchronizer on every peer; the private state reaches only its owner", async () => {
    const game = await replicatedGame(2);
    const worlds = game.apis.map(buildWorld);
    for (const { spawner } of worlds) spawner.addSpawnable("Hero", Hero);
    const [owner, other] = game.joined.map((client) => client.id) as [number, number];
    const sent = recordSends(game.host.peer);
    const hero = new Hero(`hero${owner}`);
    hero.vault.setVisibilityFor(owner, true);
    Object.assign(hero, { x: 1, gold: 7, secret: "hunter2-0" });
    worlds[0]!.players.addChild(hero);
    await game.tick(2);
    const [mine, theirs] = [worlds[1]!, worlds[2]!].map((world) => world.players.getChild(hero.name) as Hero);
    expect(theirs).toBeInstanceOf(Hero);
    expect([mine!.x, mine!.gold, mine!.secret]).toEqual([1, 7, "hunter2-0"]);
    const privateApplied: string[] = [];
    theirs!.vault.on("synchronized", () => privateApplied.push("synchronized"));
    theirs!.vault.on("deltaSynchronized", () => privateApplied.push("deltaSynchronized"));
    for (let frame = 1; frame <= 20; frame++) {
      Object.assign(hero, { x: frame, gold: 100 + frame, secret: `hunter2-${frame}` });
      await game.tick();
    }
    await game.tick(2);
    expect([mine!.x, mine!.gold, mine!.secret]).toEqual([20, 120, "hunter2-20"]);
    expect([theirs!.x, theirs!.gold, theirs!.secret]).toEqual([20, 0, "none"]);
    expect(privateApplied).toEqual([]);
    // No packet to the other peer carries a private value, nor even names the private synchronizer.
    const toOther = sent.filter((packet) => packet.to === other).map((packet) => text(packet.bytes));
    expect(toOther.filter((bytes) => bytes.includes("hunter2") || bytes.includes("vault"))).toEqual([]);
    // RPCs follow the node: it is visible to both.
    hero.rpc("wave", 3);
    await game.tick();
    expect([mine!.waves, theirs!.waves]).toEqual([[3], [3]]);

    // The private synchronizer shown to the other peer too: its state follows, the node stays.
    hero.vault.setVisibilityFor(other, true);
    await game.tick(2);
    expect(worlds[2]!.players.getChild(hero.name)).toBe(theirs);
    expect([theirs!.gold, theirs!.secret]).toEqual([120, "hunter2-20"]);
    // Both hidden from it: despawned there. Only the public one shown again: spawned again,
    // without the private one's spawn state.
    hero.vault.setVisibilityFor(other, false);
    let hidePos = true;
    hero.pos.addVisibilityFilter((peer) => !(hidePos && peer === other));
    await game.tick(2);
    expect(worlds[2]!.players.getChild(hero.name)).toBeNull();
    hero.secret = "hunter2-again";
    hidePos = false;
    await game.tick(3);
    const again = worlds[2]!.players.getChild(hero.name) as Hero;
    expect([again.x, again.gold, again.secret]).toEqual([20, 0, "none"]);
    expect(mine!.secret).toBe("hunter2-again");
    const later = sent.filter((packet) => packet.to === other).map((packet) => text(packet.bytes));
    expect(later.filter((bytes) => bytes.includes("hunter2-again"))).toEqual([]);
    expect(game.rejections).toEqual([]);
  });

  it("keeps a client-owned private synchronizer of a node spawned everywhere from the others, through the relay", async () => {
    const game = await replicatedGame(2);
    const worlds = game.apis.map(buildWorld);
    for (const { spawner } of worlds) spawner.addSpawnable("OwnHero", OwnHero);
    const [owner, other] = game.joined.map((client) => client.id) as [number, number];
    const sent = recordSends(game.host.peer);
    const hero = new OwnHero(`hero${owner}`);
    // The host decides: its copy of the owner's synchronizer is the owner's alone.
    hero.vault.publicVisibility = false;
    hero.vault.setVisibilityFor(owner, true);
    worlds[0]!.players.addChild(hero);
    await game.tick(2);
    const [mine, theirs] = [worlds[1]!, worlds[2]!].map((world) => world.players.getChild(hero.name) as Hero);
    expect(theirs).toBeInstanceOf(Hero);
    // The owner's copy is public: until the host's SYNC_VISIBILITY, it sends the other peer its
    // private state too, and the relay keeps it.
    for (let frame = 1; frame <= 20; frame++) {
      hero.x = frame;
      Object.assign(mine!, { gold: 100 + frame, secret: `hunter2-${frame}` });
      await game.tick();
    }
    await game.tick(2);
    expect([hero.gold, hero.secret]).toEqual([120, "hunter2-20"]);
    expect([theirs!.x, theirs!.gold, theirs!.secret]).toEqual([20, 0, "none"]);
    const toOther = sent.filter((packet) => packet.to === other).map((packet) => text(packet.bytes));
    expect(toOther.filter((bytes) => bytes.includes("hunter2") || bytes.includes("vault"))).toEqual([]);
    expect(game.rejections).toEqual([]);
  });
});
