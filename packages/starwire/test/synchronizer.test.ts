import { afterEach, describe, expect, it, vi } from "vitest";
import { MultiplayerSynchronizer, NetNode } from "../src/common.js";
import { captureState, encodeSync, MAX_SYNC_PACKET_BYTES } from "../src/replication/state-codec.js";
import { encodeSyncValues } from "../src/replication/sync-values.js";
import { Extended, extendedHead } from "../src/wire/commands.js";
import { encodeDelta } from "../src/wire/sync-packet.js";
import { buildWorld, flush, Player, recordSends, replicatedGame } from "./replication-helpers.js";

const SPAWN = extendedHead(Extended.SPAWN);
const SYNC = extendedHead(Extended.SYNC);
const DELTA = extendedHead(Extended.DELTA);
const SYNC_ACK = extendedHead(Extended.SYNC_ACK);

afterEach(() => {
  vi.useRealTimers();
});

/** A ball at /root/ball on every peer (a static node, not spawned): x always, color on change. */
class Ball extends NetNode {
  x = 0;
  color = "red";
  hits: number[] = [];
  readonly sync = new MultiplayerSynchronizer("sync");

  constructor() {
    super("ball");
    this.sync.replicationConfig = { x: { replicate: "always" }, color: { replicate: "on_change" } };
    this.addChild(this.sync);
    this.rpcConfig("hit", ["any_peer"]);
  }

  hit(power: number): void {
    this.hits.push(power);
  }
}

/** The first bytes of the packets to `to`, the network clock's left out (it talks to every client). */
const commandsTo = (sent: { to: number; bytes: Uint8Array }[], to: number) =>
  sent
    .filter((packet) => packet.to === to)
    .map((packet) => packet.bytes[0])
    .filter((head) => head !== CLOCK_PING && head !== CLOCK_PONG);
const CLOCK_PING = 0x2f;
const CLOCK_PONG = 0x37;

/** The packets to `to`, relays unwrapped (a client's packets for others go through the host). */
const count = (sent: { to: number; bytes: Uint8Array }[], to: number, head: number) =>
  commandsTo(sent, to).filter((first) => first === head).length;

describe("MultiplayerSynchronizer", () => {
  it("sends always properties every tick and on-change ones only when they change", async () => {
    const game = await replicatedGame(2);
    const balls = game.apis.map((api) => api.root.addChild(new Ball()));
    const sent = recordSends(game.host.peer);
    const synchronized: number[] = [];
    const deltas: number[] = [];
    balls[1]!.sync.on("synchronized", () => synchronized.push(balls[1]!.x));
    balls[1]!.sync.on("deltaSynchronized", () => deltas.push(1));
    await game.tick();
    balls[0]!.x = 5;
    await game.tick();
    expect(balls[1]!.x).toBe(5);
    expect(balls[2]!.x).toBe(5);
    balls[0]!.x = 6;
    balls[0]!.color = "blue";
    await game.tick();
    expect([balls[1]!.x, balls[1]!.color, balls[2]!.color]).toEqual([6, "blue", "blue"]);
    await game.tick(3);
    const to2 = game.joined[0]!.id;
    // The first DELTA announces the synchronizer (with every on-change value), one more for "blue".
    expect(count(sent, to2, DELTA)).toBe(2);
    expect(deltas).toHaveLength(2);
    // SYNC waits for the confirmation of the id, then flows every tick.
    expect(count(sent, to2, SYNC)).toBeGreaterThanOrEqual(4);
    expect(synchronized.at(-1)).toBe(6);
    // Receivers acknowledge the newest tick they hold.
    const acks = recordSends(game.joined[0]!.peer);
    await game.tick();
    expect(commandsTo(acks, 1)).toContain(SYNC_ACK);
    expect(game.rejections).toEqual([]);
  });

  it("keeps to replicationInterval and deltaInterval", async () => {
    const game = await replicatedGame(1);
    const balls = game.apis.map((api) => api.root.addChild(new Ball()));
    balls[0]!.sync.replicationInterval = 0.1; // every 2 ticks at 20 Hz
    balls[0]!.sync.deltaInterval = 0.15; // every 3 ticks
    await game.tick(2); // announce and confirm
    const sent = recordSends(game.host.peer);
    for (let i = 0; i < 12; i++) {
      balls[0]!.color = `c${i}`;
      await game.tick();
    }
    const to = game.joined[0]!.id;
    expect(count(sent, to, SYNC)).toBe(6);
    expect(count(sent, to, DELTA)).toBe(4);
    expect(balls[1]!.color).toMatch(/^c(9|10|11)$/);
  });

  it("spaces the states it sends by the interval in whole ticks, however uneven the polls", async () => {
    const game = await replicatedGame(1);
    const balls = game.apis.map((api) => api.root.addChild(new Ball()));
    balls[0]!.sync.replicationInterval = 0.12; // 2.4 ticks at 20 Hz: every 3 ticks
    await game.tick(2); // announce and confirm
    let tick = -1;
    game.host.api.on("networkTick", (t) => {
      tick = t;
    });
    const sent = recordSends(game.host.peer);
    const to = game.joined[0]!.id;
    const sentAt: number[] = [];
    // Frames of 2 to 48 ms in a fixed pseudo-random order (a network tick is 50 ms).
    let seed = 7;
    for (let i = 0; i < 200; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      vi.advanceTimersByTime(2 + (seed % 47));
      const before = count(sent, to, SYNC);
      balls[0]!.x = i;
      for (const api of game.apis) api.poll();
      if (count(sent, to, SYNC) > before) sentAt.push(tick);
      await flush();
    }
    expect(game.rejections).toEqual([]);
    const gaps = sentAt.slice(1).map((t, i) => t - sentAt[i]!);
    expect(gaps.length).toBeGreaterThan(20);
    expect(new Set(gaps)).toEqual(new Set([3]));
  });

  it("replicates properties of nodes under the root and spawn-only ones, and interpolates interpolated ones", async () => {
    class Sprite extends NetNode {
      color = "white";
    }
    class Ship extends NetNode {
      angle = 0;
      kind = "none";
      readonly sync = new MultiplayerSynchronizer("sync");
      constructor(name: string) {
        super(name);
        this.addChild(new Sprite("sprite"));
        this.sync.replicationConfig = {
          angle: { replicate: "always", interpolate: "angle" },
          "sprite:color": { replicate: "on_change" },
          kind: { replicate: "never", spawn: true },
        };
        this.addChild(this.sync);
      }
    }
    const game = await replicatedGame(1);
    const worlds = game.apis.map(buildWorld);
    for (const { spawner } of worlds) spawner.addSpawnable("Ship", Ship);
    const ship = new Ship("s1");
    ship.kind = "frigate";
    worlds[0]!.players.addChild(ship);
    await game.tick(2);
    ship.angle = 1.5;
    (ship.getNode("sprite") as Sprite).color = "gold";
    ship.kind = "changed later, never sent";
    await game.tick(2);
    const copy = worlds[1]!.players.getChild("s1") as Ship;
    expect(copy.kind).toBe("frigate");
    expect((copy.getNode("sprite") as Sprite).color).toBe("gold");
    // Interpolated: shown a little in the past, so not there yet, then reached without overshoot.
    expect(copy.angle).toBeLessThan(1.5);
    expect(copy.sync.interpolationStats).not.toBeNull();
    const shown: number[] = [];
    for (let i = 0; i < 20; i++) {
      await game.tick();
      shown.push(copy.angle);
    }
    expect(shown.at(-1)).toBe(1.5);
    expect(Math.max(...shown)).toBeLessThanOrEqual(1.5);
    expect(shown).toEqual([...shown].sort((a, b) => a - b));
    // The sender interpolates nothing: it is the authority.
    expect(ship.sync.interpolationStats).toBeNull();
  });

  it("splits a tick's states between entries instead of dropping any", async () => {
    class Banner extends NetNode {
      text = "";
      constructor(name: string) {
        super(name);
        const sync = this.addChild(new MultiplayerSynchronizer("sync"));
        sync.replicationConfig = { text: { replicate: "always" } };
      }
    }
    const game = await replicatedGame(1);
    const banners = game.apis.map((api) =>
      Array.from({ length: 30 }, (_, i) => api.root.addChild(new Banner(`b${i}`))),
    );
    await game.tick(2);
    const sent = recordSends(game.host.peer);
    banners[0]!.forEach((banner, i) => {
      banner.text = `${i}`.padEnd(1500, "x");
    });
    await game.tick();
    const syncs = sent.filter((packet) => packet.bytes[0] === SYNC);
    expect(syncs.length).toBeGreaterThanOrEqual(3);
    for (const packet of syncs) expect(packet.bytes.length).toBeLessThanOrEqual(MAX_SYNC_PACKET_BYTES);
    expect(banners[1]!.map((banner) => banner.text)).toEqual(banners[0]!.map((banner) => banner.text));
  });

  it("drops a state older than the newest one applied", async () => {
    const game = await replicatedGame(1);
    const balls = game.apis.map((api) => api.root.addChild(new Ball()));
    await game.tick(2);
    const sent = recordSends(game.host.peer);
    balls[0]!.x = 1;
    await game.tick();
    balls[0]!.x = 2;
    await game.tick();
    expect(balls[1]!.x).toBe(2);
    const to = game.joined[0]!.id;
    const old = sent.find((packet) => packet.to === to && packet.bytes[0] === SYNC)!;
    game.host.peer.send(to, old.bytes, "unreliable", 0);
    await flush();
    expect(balls[1]!.x).toBe(2);
    expect(game.rejections).toEqual([]);
  });

  it("spawns a node where it becomes visible, despawns it where hidden, and never sends it elsewhere", async () => {
    const game = await replicatedGame(2);
    const worlds = game.apis.map(buildWorld);
    const [two, three] = game.joined.map((client) => client.id) as [number, number];
    const sent = recordSends(game.host.peer);
    const player = new Player("p1");
    player.sync.publicVisibility = false;
    worlds[0]!.players.addChild(player);
    await game.tick(2);
    expect(worlds[1]!.players.children).toEqual([]);
    const changes: number[] = [];
    player.sync.on("visibilityChanged", (peer) => changes.push(peer));
    player.sync.setVisibilityFor(two, true);
    await flush();
    expect(worlds[1]!.players.getChild("p1")).toBeInstanceOf(Player);
    player.x = 7;
    player.hp = 50;
    await game.tick(2);
    expect([
      (worlds[1]!.players.getChild("p1") as Player).x,
      (worlds[1]!.players.getChild("p1") as Player).hp,
    ]).toEqual([7, 50]);
    expect(changes).toEqual([two]);
    // Peer 3 never got a byte about it.
    expect(worlds[2]!.players.children).toEqual([]);
    const toThree = sent.filter((packet) => packet.to === three).map((packet) => packet.bytes[0]);
    expect(toThree.filter((head) => head === SPAWN || head === SYNC || head === DELTA)).toEqual([]);
    player.sync.setVisibilityFor(two, false);
    await game.tick();
    expect(worlds[1]!.players.children).toEqual([]);
    expect(changes).toEqual([two, two]);
    expect(game.rejections).toEqual([]);
  });

  it("stops and starts a static synchronizer with a visibility filter, and RPCs follow it", async () => {
    const game = await replicatedGame(2);
    const balls = game.apis.map((api) => api.root.addChild(new Ball()));
    const [two, three] = game.joined.map((client) => client.id) as [number, number];
    let hideThree = true;
    balls[0]!.sync.addVisibilityFilter((peer) => !(hideThree && peer === three));
    const sent = recordSends(game.host.peer);
    balls[0]!.x = 3;
    await game.tick(3);
    balls[0]!.rpc("hit", 9);
    await flush();
    expect([balls[1]!.x, balls[2]!.x]).toEqual([3, 0]);
    expect([balls[1]!.hits, balls[2]!.hits]).toEqual([[9], []]);
    expect(commandsTo(sent, three)).toEqual([]);
    expect(count(sent, two, SYNC)).toBeGreaterThan(0);
    hideThree = false;
    await game.tick(3);
    expect(balls[2]!.x).toBe(3);
    expect(balls[2]!.color).toBe("red");
  });

  it("keeps the host's RPCs on a child of a hidden node from the peer it is hidden from", async () => {
    class Lamp extends NetNode {
      hits: number[] = [];
      constructor() {
        super("lamp");
        this.rpcConfig("hit", ["any_peer"]);
      }
      hit(power: number): void {
        this.hits.push(power);
      }
    }
    const game = await replicatedGame(2);
    const balls = game.apis.map((api) => api.root.addChild(new Ball()));
    const lamps = balls.map((ball) => ball.addChild(new Lamp()));
    const three = game.joined[1]!.id;
    balls[0]!.sync.addVisibilityFilter((peer) => peer !== three);
    await game.tick(3);
    const sent = recordSends(game.host.peer);
    lamps[0]!.rpc("hit", 4);
    await flush();
    expect([lamps[1]!.hits, lamps[2]!.hits]).toEqual([[4], []]);
    // Not even the lamp's path: it would name the ball there.
    expect(commandsTo(sent, three)).toEqual([]);
    expect(game.rejections).toEqual([]);
  });

  it("follows a change of authority at runtime, relayed through the host for a client", async () => {
    const game = await replicatedGame(2);
    const balls = game.apis.map((api) => api.root.addChild(new Ball()));
    const two = game.joined[0]!.id;
    balls[0]!.x = 1;
    await game.tick(3);
    expect(balls.map((ball) => ball.x)).toEqual([1, 1, 1]);
    for (const ball of balls) ball.setMultiplayerAuthority(two);
    const hostSends = recordSends(game.host.peer);
    balls[1]!.x = 20;
    balls[1]!.color = "green";
    balls[0]!.x = 99; // no longer the host's to send
    await game.tick(4);
    expect(balls.map((ball) => ball.x)).toEqual([20, 20, 20]);
    expect(balls.map((ball) => ball.color)).toEqual(["green", "green", "green"]);
    // What the host still sends about the ball is the client's state, relayed.
    expect(hostSends.filter((packet) => packet.bytes[0] === SYNC)).toEqual([]);
    // And back to the host.
    for (const ball of balls) ball.setMultiplayerAuthority(1);
    balls[0]!.x = 5;
    await game.tick(3);
    expect(balls.map((ball) => ball.x)).toEqual([5, 5, 5]);
    expect(game.rejections).toEqual([]);
  });

  it("lets each client own the synchronizer of the player the host spawned for it", async () => {
    class OwnedPlayer extends Player {
      constructor(name: string) {
        super(name);
        // Godot's pattern: the player named after its peer is that peer's to move.
        this.sync.setMultiplayerAuthority(Number(name));
      }
    }
    const game = await replicatedGame(2);
    const worlds = game.apis.map(buildWorld);
    for (const { spawner } of worlds) spawner.addSpawnable("OwnedPlayer", OwnedPlayer);
    const [two, three] = game.joined.map((client) => client.id) as [number, number];
    worlds[0]!.players.addChild(new OwnedPlayer(String(two)));
    worlds[0]!.players.addChild(new OwnedPlayer(String(three)));
    await game.tick();
    const mine = worlds[1]!.players.getChild(String(two)) as OwnedPlayer;
    mine.x = 11;
    mine.hp = 80;
    const theirs = worlds[2]!.players.getChild(String(three)) as OwnedPlayer;
    theirs.y = -4;
    await game.tick(3);
    for (const world of worlds) {
      const a = world.players.getChild(String(two)) as OwnedPlayer;
      const b = world.players.getChild(String(three)) as OwnedPlayer;
      expect([a.x, a.hp, b.y]).toEqual([11, 80, -4]);
    }
    expect(game.rejections).toEqual([]);
  });

  it("announces a client's synchronizer again to a peer that did not have its node yet", async () => {
    class OwnedPlayer extends Player {
      constructor(name: string) {
        super(name);
        this.sync.setMultiplayerAuthority(Number(name));
      }
    }
    const game = await replicatedGame(2);
    const worlds = game.apis.map(buildWorld);
    for (const { spawner } of worlds) spawner.addSpawnable("OwnedPlayer", OwnedPlayer);
    const [two, three] = game.joined.map((client) => client.id) as [number, number];
    const player = new OwnedPlayer(String(two));
    // The host spawns client 2's player for client 2 alone; client 2 does not know and announces it to 3.
    player.sync.publicVisibility = false;
    player.sync.setVisibilityFor(two, true);
    worlds[0]!.players.addChild(player);
    await game.tick();
    const mine = worlds[1]!.players.getChild(String(two)) as OwnedPlayer;
    mine.x = 8;
    await game.tick(3);
    expect(worlds[2]!.players.children).toEqual([]);
    expect(player.x).toBe(8);
    player.sync.setVisibilityFor(three, true);
    await game.tick(25);
    const seen = worlds[2]!.players.getChild(String(two)) as OwnedPlayer;
    mine.x = 9;
    await game.tick(2);
    expect(seen.x).toBe(9);
    expect(game.rejections).toEqual([]);
  });

  it("rejects and counts SYNC, DELTA and SPAWN from a peer that is not the authority; nothing changes", async () => {
    const game = await replicatedGame(2);
    const balls = game.apis.map((api) => api.root.addChild(new Ball()));
    const worlds = game.apis.map(buildWorld);
    await game.tick(2);
    const attacker = game.joined[1]!;
    const forgedDelta = encodeDelta({
      tick: 1_000_000,
      entries: [{ ref: { id: 0, path: "/root/ball/sync" }, state: encodeSyncValues([[1, "black"]]) }],
    });
    const [forgedSync] = encodeSync({
      tick: 1_000_000,
      baselineTick: null,
      entries: [{ id: 0, specs: [{}], state: captureState([{}], [666]), baseline: null }],
    });
    attacker.peer.send(1, forgedDelta, "reliable", 0);
    attacker.peer.send(1, forgedSync!, "unreliable", 0);
    worlds[2]!.spawner.setMultiplayerAuthority(attacker.id); // only on the attacker
    worlds[2]!.players.addChild(new Player("evil"));
    await game.tick(2);
    expect(balls.map((ball) => [ball.x, ball.color])).toEqual([
      [0, "red"],
      [0, "red"],
      [0, "red"],
    ]);
    expect(worlds[0]!.players.children).toEqual([]);
    expect(worlds[1]!.players.children).toEqual([]);
    // The forged DELTA came directly, so its inline ref taught the host the attacker's id 0 (as an
    // RPC's inline path would, whatever its entry held): the forged SYNC naming id 0 is refused
    // for its authority, and the attacker's own id 0 (its spawner, announced to client 3 through
    // the host) now clashes with it.
    expect(game.rejectedAt[0]!.map((r) => r.reason)).toEqual([
      "forbidden",
      "forbidden",
      "forbidden",
      "forbidden",
      "malformed",
    ]);
    expect(game.apis[0]!.rejectionCount(attacker.id)).toBe(5);
  });
  it("rejects state from the authority that would change a member's kind (a string into a number, a number into a string)", async () => {
    const game = await replicatedGame(2);
    const balls = game.apis.map((api) => api.root.addChild(new Ball()));
    const owner = game.joined[0]!;
    for (const ball of balls) ball.sync.setMultiplayerAuthority(owner.id);
    await game.tick(2);
    // An honest delta first, which teaches the host the synchronizer's id.
    owner.peer.send(
      1,
      encodeDelta({
        tick: 1,
        entries: [{ ref: { id: 0, path: "/root/ball/sync" }, state: encodeSyncValues([[1, "blue"]]) }],
      }),
      "reliable",
      0,
    );
    await game.tick(2);
    expect(balls[0]!.color).toBe("blue");
    const [stringX] = encodeSync({
      tick: 1_000_000,
      baselineTick: null,
      entries: [{ id: 0, specs: [{}], state: captureState([{}], ["666"]), baseline: null }],
    });
    owner.peer.send(1, stringX!, "unreliable", 0);
    owner.peer.send(
      1,
      encodeDelta({
        tick: 1_000_001,
        entries: [{ ref: { id: 0, path: null }, state: encodeSyncValues([[1, 7]]) }],
      }),
      "reliable",
      0,
    );
    await game.tick(2);
    expect([balls[0]!.x, balls[0]!.color]).toEqual([0, "blue"]);
    expect(game.rejectedAt[0]!.map((r) => [r.reason, r.message])).toEqual([
      ["invalid_arguments", "/root/ball/sync: x would change its kind"],
      ["invalid_arguments", "/root/ball/sync: color would change its kind"],
    ]);
    expect(game.apis[0]!.rejectionCount(owner.id)).toBe(2);
  });
});
