// A client may be a synchronizer's or a spawner's authority, but the host decides who sees what
// (fog of war): its relay must keep from a peer everything about a node the host's copy hides
// from it, and nothing else (the visible entities of a packet that also names a hidden one keep
// coming: the host tells the owner, which then leaves the hidden one out).
import { afterEach, describe, expect, it, vi } from "vitest";
import { MultiplayerSynchronizer, NetNode } from "../src/common.js";
import { Extended, extendedHead } from "../src/wire/commands.js";
import { Owned, ownedGame } from "./replication-helpers.js";

afterEach(() => {
  vi.useRealTimers();
});

function contains(bytes: Uint8Array, part: Uint8Array): boolean {
  outer: for (let i = 0; i + part.length <= bytes.length; i++) {
    for (let j = 0; j < part.length; j++) if (bytes[i + j] !== part[j]) continue outer;
    return true;
  }
  return false;
}

async function game() {
  const g = await ownedGame();
  const { b, sent } = g;
  /** What the host sent B that names `name`. */
  const toB = (name: string) =>
    sent.filter(({ to, bytes }) => to === b && contains(bytes, new TextEncoder().encode(name)));
  return { ...g, toB };
}

describe("the host's relay and visibility", () => {
  it("keeps a client-owned entity it hides from a peer, and passes the visible one in the same packets", async () => {
    const g = await game();
    const [host, atA, atB] = g.worlds;
    let hidden = true;
    const xName = `x${g.a}`;
    const yName = `y${g.a}`;
    const x = new Owned(xName);
    x.sync.addVisibilityFilter((peer) => !(hidden && peer === g.b));
    host!.players.addChild(x);
    host!.players.addChild(new Owned(yName));
    await g.tick();
    const mineX = atA!.players.getChild(xName) as Owned;
    const mineY = atA!.players.getChild(yName) as Owned;
    expect(atB!.players.children.map((child) => child.name)).toEqual([yName]);
    // A moves both for more than a second (its announcements of x to B repeat every second).
    for (let frame = 1; frame <= 30; frame++) {
      for (const mine of [mineX, mineY]) {
        mine.x = frame;
        mine.hue = frame; // a DELTA to B holds both entries: x's must go, y's must arrive
      }
      await g.tick();
    }
    const copyY = atB!.players.getChild(yName) as Owned;
    expect([copyY.x, copyY.hue]).toEqual([30, 30]);
    const hostX = host!.players.getChild(xName) as Owned;
    expect([hostX.x, hostX.hue]).toEqual([30, 30]);
    expect(atB!.players.getChild(xName)).toBeNull();
    expect(g.toB(xName)).toEqual([]);
    expect(g.toB(yName).length).toBeGreaterThan(0);

    // Shown again: the host spawns it on B, and A's changes reach B, the first one at once (its
    // path was kept back with the hidden announcements, the relay puts it back).
    hidden = false;
    x.sync.updateVisibility();
    await g.tick();
    mineX.hue = 99;
    await g.tick();
    const copyX = atB!.players.getChild(xName) as Owned;
    expect(copyX.hue).toBe(99);
    for (let frame = 31; frame <= 40; frame++) {
      mineX.x = frame;
      await g.tick();
    }
    expect(copyX.x).toBe(40);
    expect(g.rejections).toEqual([]);

    // Hidden again: the host despawns it on B and tells A (SYNC_VISIBILITY), which stops naming
    // x in its SYNCs to B, so y keeps coming; shown again, x is exact at once (A sends B its
    // full state, as to any peer it becomes visible to). owner-visibility.test.ts decodes it all.
    hidden = true;
    x.sync.updateVisibility();
    for (let frame = 41; frame <= 140; frame++) {
      mineX.x = frame;
      mineY.x = frame;
      mineY.hue = frame;
      await g.tick();
    }
    expect(atB!.players.getChild(xName)).toBeNull();
    expect([copyY.x, copyY.hue]).toEqual([140, 140]);
    hidden = false;
    x.sync.updateVisibility();
    for (let frame = 141; frame <= 150; frame++) {
      mineX.x = frame;
      await g.tick();
    }
    // Past the spawn state: A's states, decoded against what B held of them.
    expect((atB!.players.getChild(xName) as Owned).x).toBe(150);
    expect(g.rejections).toEqual([]);
  });

  it("keeps a client's spawn from a peer the host's copy hides it from, and its despawn", async () => {
    const g = await game();
    // A is the spawner's authority on every peer; the host hides what it spawns from B.
    for (const world of g.worlds) world.spawner.setMultiplayerAuthority(g.a);
    g.worlds[0]!.spawner.on("spawned", (node) => {
      (node as Owned).sync.addVisibilityFilter((peer) => peer !== g.b);
    });
    const name = `x${g.a}`;
    const mine = g.worlds[1]!.players.addChild(new Owned(name));
    for (let frame = 1; frame <= 10; frame++) {
      mine.x = frame;
      mine.hue = frame;
      await g.tick();
    }
    expect((g.worlds[0]!.players.getChild(name) as Owned).x).toBe(10);
    expect(g.worlds[2]!.players.getChild(name)).toBeNull();
    g.worlds[1]!.players.removeChild(mine);
    await g.tick();
    expect(g.worlds[0]!.players.getChild(name)).toBeNull();
    expect(g.toB(name)).toEqual([]);
    // B got no DESPAWN of a node it never had (it would reject it as unknown).
    expect(g.rejections).toEqual([]);
  });
});

describe("the host's relay and recycled ids", () => {
  /** A is the spawner's authority on every peer; the host hides from B what is named x… there. */
  async function spawning() {
    const g = await game();
    for (const world of g.worlds) world.spawner.setMultiplayerAuthority(g.a);
    g.worlds[0]!.spawner.on("spawned", (node) => {
      if (node.name.startsWith("x")) (node as Owned).sync.addVisibilityFilter((peer) => peer !== g.b);
    });
    return g;
  }

  it("answers for a peer it kept a client's ids from, so that the client hands them out again", async () => {
    const g = await spawning();
    const atA = g.worlds[1]!;
    for (let round = 0; round < 5; round++) {
      const mine = atA.players.addChild(new Owned(`x${g.a}`));
      for (let frame = 1; frame <= 25; frame++) {
        mine.hue = frame; // past a second: the client announces the synchronizer to B again
        await g.tick();
      }
      atA.players.removeChild(mine);
      await g.tick(2);
    }
    expect(g.worlds[2]!.players.children).toEqual([]);
    // B never learned the ids: it was not asked to forget them, the host answered for it.
    const cache = g.apis[1]!.debugStats().pathCache;
    expect(cache.releasing).toBe(0);
    expect(cache.idsAssigned).toBeLessThanOrEqual(5);
    expect(g.rejections).toEqual([]);
  });

  it("forgets what it kept by a client's id once the client released it: the id's next node despawns", async () => {
    const g = await spawning();
    const atA = g.worlds[1]!;
    const atB = g.worlds[2]!;
    const hidden = atA.players.addChild(new Owned(`x${g.a}`));
    await g.tick(2);
    const ids = g.apis[1]!.debugStats().pathCache.idsAssigned;
    // A client that sends B no DESPAWN of it (a hostile one, or one that lost track of B): the
    // SPAWN the host kept from B stays noted by the node's id, until the client releases the id.
    const peerA = g.joined[0]!.peer as unknown as {
      send: (to: number, bytes: Uint8Array, ...rest: unknown[]) => void;
    };
    const send = peerA.send.bind(peerA);
    peerA.send = (to, bytes, ...rest) => {
      const toB = bytes[0] === 4 && new DataView(bytes.buffer, bytes.byteOffset).getInt32(2, true) === g.b;
      if (!(toB && bytes[6] === extendedHead(Extended.DESPAWN))) send(to, bytes, ...rest);
    };
    atA.players.removeChild(hidden);
    await g.tick(2);
    peerA.send = send;
    // Its ids are free again: the next node takes them, and B may see it.
    const shown = atA.players.addChild(new Owned(`y${g.a}`));
    await g.tick(2);
    expect(g.apis[1]!.debugStats().pathCache.idsAssigned).toBe(ids);
    expect(atB.players.getChild(`y${g.a}`)).not.toBeNull();
    atA.players.removeChild(shown);
    await g.tick(2);
    expect(atB.players.getChild(`y${g.a}`)).toBeNull();
    expect(g.rejections).toEqual([]);
  });
});

describe("the host's relay and a client's kept spawn", () => {
  it("hands a kept SPAWN over once the host's copy is visible to the peer, with its state now; its despawn follows", async () => {
    const g = await game();
    for (const world of g.worlds) world.spawner.setMultiplayerAuthority(g.a);
    let hidden = true;
    g.worlds[0]!.spawner.on("spawned", (node) => {
      (node as Owned).sync.addVisibilityFilter((peer) => !(hidden && peer === g.b));
    });
    const name = `x${g.a}`;
    const atB = g.worlds[2]!;
    const mine = g.worlds[1]!.players.addChild(new Owned(name));
    for (let frame = 1; frame <= 30; frame++) {
      mine.x = frame;
      mine.hue = frame;
      await g.tick();
    }
    expect(atB.players.getChild(name)).toBeNull();
    // Shown: the next packet A has relayed to B brings the node first, as it is now (A will not
    // send B the on-change hue again: it believes B had it all along).
    hidden = false;
    (g.worlds[0]!.players.getChild(name) as Owned).sync.updateVisibility();
    await g.tick(2);
    const copy = atB.players.getChild(name) as Owned;
    expect(copy).not.toBeNull();
    expect([copy.x, copy.hue]).toEqual([30, 30]);
    for (let frame = 31; frame <= 40; frame++) {
      mine.x = frame;
      await g.tick();
    }
    mine.hue = 41;
    await g.tick(2);
    expect([copy.x, copy.hue]).toEqual([40, 41]);
    g.worlds[1]!.players.removeChild(mine);
    await g.tick();
    expect(atB.players.getChild(name)).toBeNull();
    expect(g.rejections).toEqual([]);
  });
});

describe("the host's relay and a client's kept spawn, on-change state", () => {
  /** Like Owned, but its on-change hue is not sent at spawn. */
  class Tinted extends NetNode {
    x = 0;
    hue = 0;
    readonly sync = new MultiplayerSynchronizer("sync");

    constructor(name: string) {
      super(name);
      this.sync.replicationConfig = {
        x: { replicate: "always", spawn: true },
        hue: { replicate: "on_change" },
      };
      this.addChild(this.sync);
      this.sync.setMultiplayerAuthority(Number(name.slice(1)));
    }
  }

  it("a handed-over spawn is followed by the on-change state the SPAWN cannot carry", async () => {
    const g = await game();
    for (const world of g.worlds) {
      world.spawner.setMultiplayerAuthority(g.a);
      world.spawner.addSpawnable("Tinted", Tinted);
    }
    let hidden = true;
    g.worlds[0]!.spawner.on("spawned", (node) => {
      (node as Tinted).sync.addVisibilityFilter((peer) => !(hidden && peer === g.b));
    });
    const name = `t${g.a}`;
    const atB = g.worlds[2]!;
    const mine = g.worlds[1]!.players.addChild(new Tinted(name));
    for (let frame = 1; frame <= 30; frame++) {
      mine.hue = frame;
      await g.tick();
    }
    expect((g.worlds[0]!.players.getChild(name) as Tinted).hue).toBe(30);
    hidden = false;
    (g.worlds[0]!.players.getChild(name) as Tinted).sync.updateVisibility();
    await g.tick(2);
    expect((atB.players.getChild(name) as Tinted | null)?.hue).toBe(30);
    mine.hue = 31;
    await g.tick(2);
    expect((atB.players.getChild(name) as Tinted).hue).toBe(31);
    expect(g.rejections).toEqual([]);
  });
});

describe("the host's relay and a client's spawn it hides again", () => {
  /** Two synchronizers the host may judge differently: `pos` (position) and `health`. */
  class Twin extends NetNode {
    x = 0;
    hp = 100;
    readonly pos = new MultiplayerSynchronizer("pos");
    readonly health = new MultiplayerSynchronizer("health");

    constructor(name: string) {
      super(name);
      this.pos.replicationConfig = { x: { replicate: "always", spawn: true } };
      this.health.replicationConfig = { hp: { replicate: "on_change", spawn: true } };
      for (const sync of [this.pos, this.health]) {
        this.addChild(sync);
        sync.setMultiplayerAuthority(Number(name.slice(1)));
      }
    }
  }

  async function twins() {
    const g = await game();
    for (const world of g.worlds) {
      world.spawner.setMultiplayerAuthority(g.a);
      world.spawner.addSpawnable("Twin", Twin);
    }
    return g;
  }

  it("spawns a client's node on a peer one of its synchronizers is visible to, and names nothing of the hidden one there", async () => {
    const g = await twins();
    let hidden = true;
    // The host's copy: `pos` visible to everyone, `health` hidden from B. The node is visible to
    // B (Godot: any synchronizer visible spawns it), `health` alone is not: no id, no state.
    g.worlds[0]!.spawner.on("spawned", (node) => {
      (node as Twin).health.addVisibilityFilter((peer) => !(hidden && peer === g.b));
    });
    const name = `t${g.a}`;
    const atB = g.worlds[2]!;
    const mine = new Twin(name);
    mine.hp = 99;
    g.worlds[1]!.players.addChild(mine);
    for (let frame = 1; frame <= 30; frame++) {
      mine.x = frame;
      mine.hp = 100 - frame;
      await g.tick();
    }
    const copy = atB.players.getChild(name) as Twin;
    expect([copy.x, copy.hp]).toEqual([30, 100]);
    const namesHealth = () =>
      g.sent.filter(({ to, bytes }) => to === g.b && contains(bytes, new TextEncoder().encode("health")));
    expect(namesHealth()).toEqual([]);
    // Shown: B learns `health` (its id with its first DELTA) and follows A from there.
    hidden = false;
    (g.worlds[0]!.players.getChild(name) as Twin).health.updateVisibility();
    await g.tick(2);
    expect(atB.players.getChild(name)).toBe(copy);
    expect([copy.x, copy.hp]).toEqual([30, 70]);
    for (let frame = 31; frame <= 40; frame++) {
      mine.x = frame;
      mine.hp = 100 - frame;
      await g.tick();
    }
    await g.tick(2);
    expect([copy.x, copy.hp]).toEqual([40, 60]);
    // Both hidden: gone from B; `pos` shown again: back, without `health`'s spawn state.
    hidden = true;
    const hostCopy = g.worlds[0]!.players.getChild(name) as Twin;
    let posHidden = true;
    hostCopy.pos.addVisibilityFilter((peer) => !(posHidden && peer === g.b));
    await g.tick(3);
    expect(atB.players.getChild(name)).toBeNull();
    mine.hp = 5;
    await g.tick(2);
    posHidden = false;
    await g.tick(3);
    const back = atB.players.getChild(name) as Twin;
    expect([back.x, back.hp]).toEqual([40, 100]);
    expect(g.rejections).toEqual([]);
  });

  it("despawns a handed-over client's spawn on a peer the host's copy hides it from again, and hands it over again when shown", async () => {
    const g = await game();
    for (const world of g.worlds) world.spawner.setMultiplayerAuthority(g.a);
    let hidden = false;
    g.worlds[0]!.spawner.on("spawned", (node) => {
      (node as Owned).sync.addVisibilityFilter((peer) => !(hidden && peer === g.b));
    });
    const name = `x${g.a}`;
    const atB = g.worlds[2]!;
    const despawned: string[] = [];
    atB.spawner.on("despawned", (node) => despawned.push(node.name));
    const mine = g.worlds[1]!.players.addChild(new Owned(name));
    for (let frame = 1; frame <= 10; frame++) {
      mine.x = frame;
      await g.tick();
    }
    expect((atB.players.getChild(name) as Owned).x).toBe(10);

    // Hidden from B by the host: gone from B, as a host's own spawn would be, and nothing of it
    // reaches B while hidden (A is told, and stops sending it there).
    hidden = true;
    for (let frame = 11; frame <= 40; frame++) {
      mine.x = frame;
      mine.hue = frame;
      await g.tick();
    }
    expect(atB.players.getChild(name)).toBeNull();
    expect(despawned).toEqual([name]);
    const namedWhileHidden = g.toB(name).length;
    for (let frame = 41; frame <= 70; frame++) {
      mine.x = frame;
      await g.tick();
    }
    expect(g.toB(name).length).toBe(namedWhileHidden);

    // Shown again: B gets it as it is now, then A's changes.
    hidden = false;
    await g.tick(2);
    const copy = atB.players.getChild(name) as Owned;
    expect([copy.x, copy.hue]).toEqual([70, 40]);
    for (let frame = 71; frame <= 80; frame++) {
      mine.x = frame;
      await g.tick();
    }
    mine.hue = 81;
    await g.tick(2);
    expect([copy.x, copy.hue]).toEqual([80, 81]);
    // And hidden and shown again: the same, with the same ids.
    hidden = true;
    await g.tick(3);
    expect(atB.players.getChild(name)).toBeNull();
    hidden = false;
    mine.x = 90;
    await g.tick(5);
    expect((atB.players.getChild(name) as Owned).x).toBe(90);
    g.worlds[1]!.players.removeChild(mine);
    await g.tick(2);
    expect(atB.players.getChild(name)).toBeNull();
    expect(despawned).toEqual([name, name, name]);
    expect(g.rejections).toEqual([]);
  });
});

describe("the host's relay and RPCs", () => {
  /** An Owned its owner calls RPCs on. */
  class Caller extends Owned {
    readonly pings: number[] = [];

    constructor(name: string) {
      super(name);
      this.rpcConfig("ping", ["any_peer"]);
    }

    ping(value: number): void {
      this.pings.push(value);
    }
  }

  it("keeps a client's RPC on its node from a peer the host's copy hides the node from", async () => {
    const g = await game();
    for (const world of g.worlds) world.spawner.addSpawnable("Caller", Caller);
    let hidden = true;
    const name = `c${g.a}`;
    const hostCopy = new Caller(name);
    hostCopy.sync.addVisibilityFilter((peer) => !(hidden && peer === g.b));
    g.worlds[0]!.players.addChild(hostCopy);
    await g.tick(2);
    const mine = g.worlds[1]!.players.getChild(name) as Caller;
    expect(g.worlds[2]!.players.getChild(name)).toBeNull();
    // A's copy has no filter: it calls everyone, with the path inline (not every peer has the id).
    mine.rpc("ping", 1);
    await g.tick();
    expect(hostCopy.pings).toEqual([1]);
    expect(g.toB(name)).toEqual([]);
    expect(g.rejections).toEqual([]);
    // Shown: the node reaches B, and so do A's calls.
    hidden = false;
    hostCopy.sync.updateVisibility();
    await g.tick(2);
    const theirs = g.worlds[2]!.players.getChild(name) as Caller;
    mine.rpc("ping", 2);
    await g.tick();
    expect([hostCopy.pings, theirs.pings]).toEqual([[1, 2], [2]]);
    expect(g.rejections).toEqual([]);
  });

  it("keeps a client's RPC on a node it spawned from a peer the relay keeps its SPAWN from", async () => {
    const g = await game();
    for (const world of g.worlds) {
      world.spawner.setMultiplayerAuthority(g.a);
      world.spawner.addSpawnable("Caller", Caller);
    }
    let hidden = true;
    g.worlds[0]!.spawner.on("spawned", (node) => {
      (node as Caller).sync.addVisibilityFilter((peer) => !(hidden && peer === g.b));
    });
    const name = `c${g.a}`;
    const mine = g.worlds[1]!.players.addChild(new Caller(name));
    await g.tick(2);
    const hostCopy = g.worlds[0]!.players.getChild(name) as Caller;
    mine.rpc("ping", 1);
    await g.tick();
    expect(hostCopy.pings).toEqual([1]);
    expect(g.worlds[2]!.players.getChild(name)).toBeNull();
    expect(g.toB(name)).toEqual([]);
    expect(g.rejections).toEqual([]);
    hidden = false;
    await g.tick(2);
    mine.rpc("ping", 2);
    await g.tick();
    expect((g.worlds[2]!.players.getChild(name) as Caller).pings).toEqual([2]);
    expect(g.rejections).toEqual([]);
  });
});
