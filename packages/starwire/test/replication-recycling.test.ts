// Scene replication under path-id recycling (WIRE.md, "Path ids" and "Scene replication"): a
// despawned node's ids (the node's and its synchronizers') are released and reused, and ids are
// learned only from packets that may teach them (a direct SPAWN or DELTA; between clients the
// PATH_ANNOUNCEs a relayed SPAWN or DELTA is preceded or followed by).
import { afterEach, describe, expect, it, vi } from "vitest";
import { type MultiplayerAPI, MultiplayerSpawner, MultiplayerSynchronizer, NetNode } from "../src/common.js";
import { encodeSyncValues } from "../src/replication/sync-values.js";
import { Command, Extended, extendedHead } from "../src/wire/commands.js";
import { decodeDelta, encodeDelta } from "../src/wire/sync-packet.js";
import { encodeRelay } from "../src/wire/system-packet.js";
import { flush, recordSends, replicatedGame } from "./replication-helpers.js";

const PATH_ANNOUNCE = extendedHead(Extended.PATH_ANNOUNCE);
const SPAWN = extendedHead(Extended.SPAWN);
const DELTA = extendedHead(Extended.DELTA);

/** A bullet named `<owner>-<n>`: its synchronizer is its owner's (x always and at spawn, hp on change). */
class Bullet extends NetNode {
  x = 0;
  hp = 3;
  readonly sync = new MultiplayerSynchronizer("sync");

  constructor(name: string) {
    super(name);
    this.sync.replicationConfig = {
      x: { replicate: "always", spawn: true },
      hp: { replicate: "on_change" },
    };
    this.sync.setMultiplayerAuthority(Number(name.split("-")[0]));
    this.addChild(this.sync);
  }
}

/** /root/level with the host's spawner (under bullets1) and client `owner`'s (under bullets<owner>). */
function buildLevel(api: MultiplayerAPI, owner: number) {
  const level = api.root.addChild(new NetNode("level"));
  const spawners = [1, owner].map((authority) => {
    level.addChild(new NetNode(`bullets${authority}`));
    const spawner = new MultiplayerSpawner(`spawner${authority}`);
    spawner.spawnPath = `../bullets${authority}`;
    spawner.addSpawnable("Bullet", Bullet);
    spawner.setMultiplayerAuthority(authority);
    return level.addChild(spawner);
  });
  return { level, spawners };
}

/** The entries of the last DELTA a client relayed to `peer`. */
function lastDelta(sends: { bytes: Uint8Array }[], peer: number) {
  const relayed = sends
    .map(({ bytes }) => bytes)
    .filter((bytes) => bytes[0] === 4 && relayTarget(bytes) === peer && bytes[6] === DELTA);
  const packet = decodeDelta(relayed.at(-1)!.subarray(6));
  if (typeof packet === "string") throw new Error(packet);
  return packet.entries;
}

/** A RELAY's target: [SYS][RELAY][peer i32 little-endian][packet]. */
const relayTarget = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset).getInt32(2, true);

/** Lifts the host's rate limits: these tests send thousands of packets a tick. */
function unlimited(api: MultiplayerAPI): void {
  const far = { messagesPerSecond: 1e9, messageBurst: 1e9, bytesPerSecond: 1e12, byteBurst: 1e12 };
  api.rateLimits = { ...far, policy: "drop" };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("scene replication with recycled path ids", () => {
  it("spawns and despawns 20,000 bullets with synchronizers, from the host and a client; caches stay bounded", {
    timeout: 180_000,
  }, async () => {
    const game = await replicatedGame(2);
    unlimited(game.apis[0]!);
    const two = game.joined[0]!.id;
    const levels = game.apis.map((api) => buildLevel(api, two));
    const owners = [1, two];
    const batch = 100; // per owner and round
    let spawned = 0;
    let despawned = 0;
    for (const spawner of levels[2]!.spawners) {
      spawner.on("spawned", () => spawned++);
      spawner.on("despawned", () => despawned++);
    }
    for (let round = 0; round < 20_000 / (2 * batch); round++) {
      // The host spawns under its spawner, client 2 under its own (relayed to client 3).
      const mine = owners.map((owner, o) =>
        Array.from({ length: batch }, (_, i) => {
          const bullet = new Bullet(`${owner}-${round * batch + i}`);
          bullet.hp = round % 3;
          return game.apis[o]!.root.getNode(`level/bullets${owner}`)!.addChild(bullet);
        }),
      );
      await game.tick(); // SPAWNs (x at spawn) and the first DELTAs (hp)
      for (const [i, bullet] of mine.flat().entries()) bullet.x = round + i;
      await game.tick(); // SYNCs (x), the ids being confirmed now
      for (const [o, owner] of owners.entries()) {
        const seen = game.apis[2 - o]!.root.getNode(`level/bullets${owner}`)!.children as Bullet[];
        expect(seen.map((bullet) => [bullet.x, bullet.hp])).toEqual(mine[o]!.map((b) => [b.x, round % 3]));
      }
      for (const bullet of mine.flat()) bullet.parent!.removeChild(bullet);
      await flush();
      await flush();
      for (const { level } of levels) {
        for (const owner of owners) expect(level.getChild(`bullets${owner}`)!.children).toEqual([]);
      }
    }
    expect([spawned, despawned]).toEqual([20_000, 20_000]);
    expect(game.rejections).toEqual([]);
    for (const api of game.apis.slice(0, 2)) {
      // Each owner's ids: at most one round's bullets (a node and its synchronizer each) and the
      // level's nodes; every released one forgotten by every peer it taught.
      const cache = api.debugStats().pathCache;
      expect(cache.releasing).toBe(0);
      expect(cache.idsAssigned).toBeLessThanOrEqual(2 * batch + 4);
    }
    for (const api of game.apis) {
      expect(api.debugStats().pathCache.incomingEntries).toBeLessThanOrEqual(2 * (2 * batch + 4));
    }
  });

  it("a relayed SPAWN teaches nothing: announcements after it do, and DESPAWN and DELTA name the ids they taught", async () => {
    const game = await replicatedGame(2);
    const two = game.joined[0]!.id;
    const three = game.joined[1]!.id;
    const levels = game.apis.map((api) => buildLevel(api, two));
    const sends = recordSends(game.joined[0]!.peer);
    const first = game.apis[1]!.root.getNode(`level/bullets${two}`)!.addChild(new Bullet(`${two}-a`));
    await game.tick(2);
    // To client 3 (relayed: [SYS][RELAY][peer i32]…): the spawner's announcement (the SPAWN names
    // it), the SPAWN, then announcements of the node and of its synchronizer, which it now has.
    const toThree = sends
      .filter(({ bytes }) => bytes[0] === 4 && relayTarget(bytes) === three)
      .map(({ bytes }) => bytes[6]);
    expect(toThree.slice(0, 4)).toEqual([PATH_ANNOUNCE, SPAWN, PATH_ANNOUNCE, PATH_ANNOUNCE]);
    first.hp = 1;
    await game.tick(2);
    const copy = levels[2]!.level.getNode(`bullets${two}/${two}-a`) as Bullet;
    expect(copy.hp).toBe(1);
    // The DELTA to client 3 names the synchronizer by its id alone: the announcement taught it.
    const [entry] = lastDelta(sends, three);
    expect(entry!.ref.path).toBeNull();
    first.parent!.removeChild(first);
    await flush();
    await flush();
    expect(levels[2]!.level.getChild(`bullets${two}`)!.children).toEqual([]);
    // The freed ids are reused by the next bullet, which every peer finds by them.
    const second = game.apis[1]!.root.getNode(`level/bullets${two}`)!.addChild(new Bullet(`${two}-b`));
    await game.tick(2);
    second.hp = 2;
    await game.tick(2);
    expect((levels[2]!.level.getNode(`bullets${two}/${two}-b`) as Bullet).hp).toBe(2);
    expect((levels[0]!.level.getNode(`bullets${two}/${two}-b`) as Bullet).hp).toBe(2);
    expect(lastDelta(sends, three)[0]!.ref.id).toBe(entry!.ref.id);
    expect(game.rejections).toEqual([]);
  });

  it("a DELTA's inline ref teaches when it comes directly, and only then: relayed, it only finds the node", async () => {
    const game = await replicatedGame(2);
    const two = game.joined[0]!.id;
    const three = game.joined[1]!.id;
    class Ball extends NetNode {
      hp = 0;
      constructor() {
        super("ball");
        const sync = this.addChild(new MultiplayerSynchronizer("sync"));
        sync.replicationConfig = { hp: { replicate: "on_change" } };
        sync.setMultiplayerAuthority(two);
      }
    }
    const balls = game.apis.map((api) => api.root.addChild(new Ball()));
    const delta = (hp: number) =>
      encodeDelta({
        tick: 5,
        entries: [{ ref: { id: 77, path: "/root/ball/sync" }, state: encodeSyncValues([[0, hp]]) }],
      });
    const entries = () => game.apis.map((api) => api.debugStats().pathCache.incomingEntries);
    const before = entries();
    const confirms = recordSends(game.joined[1]!.peer);
    // Client 2 to client 3 through the host: applied there, learned by neither the host nor 3.
    game.joined[0]!.peer.send(1, encodeRelay(three, delta(42)), "reliable", 0);
    await flush();
    await flush();
    expect(balls.map((ball) => ball.hp)).toEqual([0, 0, 42]);
    expect(entries()).toEqual(before);
    expect(confirms.filter(({ bytes }) => bytes[0] === Command.CONFIRM_PATH)).toEqual([]);
    // Client 2 to the host directly: applied and learned; the host confirms id 77.
    const hostSends = recordSends(game.host.peer);
    game.joined[0]!.peer.send(1, delta(43), "reliable", 0);
    await flush();
    expect(balls[0]!.hp).toBe(43);
    expect(entries()[0]).toBe(before[0]! + 1);
    expect(hostSends.filter(({ to, bytes }) => to === two && bytes[0] === Command.CONFIRM_PATH)).toHaveLength(
      1,
    );
    // Client 2's API never handed out the hand-made id 77: it refuses the host's confirmation.
    expect(game.rejections.map((r) => [r.from, r.message])).toEqual([
      [1, "confirmation of unknown path id 77"],
    ]);
  });
});
