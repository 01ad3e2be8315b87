// Scene replication between Node peers over real WebRTC (node-datachannel) on 127.0.0.1: a Node
// host spawns and moves the world of tests/e2e/harness/replication-world.ts for three Node
// clients and a late joiner; every client must hold the host's world.
import { MultiplayerAPI } from "starwire/node";
import { afterEach, describe, expect, it } from "vitest";
import {
  buildWorld,
  Entity,
  moveTo,
  placeAt,
  populate,
  stateOf,
  type World,
  type WorldState,
  worldDiff,
  worldState,
} from "../e2e/harness/replication-world.js";
import { loopbackPeer, startSignaling } from "./helpers.js";

const ENTITIES = 200;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Player {
  api: MultiplayerAPI;
  world: World;
  /** What would end a wait: a failure, a disconnection, a rejected packet. */
  failures: string[];
  /** State of each entity when `spawned` fired here (the spawn state, before any SYNC). */
  spawnedWith: WorldState;
}

function player(): Player {
  const api = new MultiplayerAPI();
  const world = buildWorld(api.root);
  const failures: string[] = [];
  const spawnedWith: WorldState = {};
  api.on("connectionFailed", (reason, message) => failures.push(`connectionFailed ${reason} ${message}`));
  api.on("peerDisconnected", (id) => failures.push(`peerDisconnected ${id}`));
  api.on("serverDisconnected", () => failures.push("serverDisconnected"));
  api.on("rejected", (r) => failures.push(`rejected ${r.reason} from ${r.from}: ${r.message}`));
  world.spawner.on("spawned", (node) => {
    if (node instanceof Entity) spawnedWith[node.name] = stateOf(node);
  });
  cleanups.push(() => {
    api.peer = null;
  });
  return { api, world, failures, spawnedWith };
}

/** Waits for `condition`, failing at once with the reason when one of `players` broke. */
async function until(players: Player[], condition: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const failures = players.flatMap((p) => p.failures);
    if (failures.length > 0) throw new Error(`${what()}: ${failures.join("; ")}`);
    if (condition()) return;
    if (Date.now() > deadline) throw new Error(`${what()} (after 20 s)`);
    await new Promise((resolve) => setTimeout(resolve, 20)); // polling: no event says "the worlds are equal"
  }
}

async function reaches(players: Player[], expected: WorldState, what: string): Promise<void> {
  for (const [i, p] of players.entries()) {
    await until(
      players,
      () => worldDiff(expected, worldState(p.world)).length === 0,
      () => `${what}, client ${i}: ${worldDiff(expected, worldState(p.world)).join("; ")}`,
    );
  }
}

/** The host's game loop for `frames` frames, one every 33 ms (about the 30 Hz network tick). */
async function animate(world: World, from: number, to: number): Promise<void> {
  for (let frame = from; frame <= to; frame++) {
    moveTo(world, frame);
    await new Promise((resolve) => setTimeout(resolve, 33));
  }
}

/** Whether `bytes` holds `part` anywhere. */
function contains(bytes: Uint8Array, part: Uint8Array): boolean {
  outer: for (let i = 0; i + part.length <= bytes.length; i++) {
    for (let j = 0; j < part.length; j++) if (bytes[i + j] !== part[j]) continue outer;
    return true;
  }
  return false;
}

const pick = (state: WorldState, names: string[]): WorldState =>
  Object.fromEntries(Object.entries(state).filter(([name]) => names.includes(name)));

/** A host and `count` clients (worlds built before connecting), every one knowing the others. */
async function game(count: number, prepare: (p: Player) => void = () => {}) {
  const signaling = await startSignaling();
  cleanups.push(signaling.close);
  const host = player();
  prepare(host);
  const hostPeer = loopbackPeer(signaling.url);
  const { roomCode } = await hostPeer.createServer({ maxPlayers: 8 });
  host.api.peer = hostPeer;
  const join = async (): Promise<Player & { id: number }> => {
    const p = player();
    prepare(p);
    const peer = loopbackPeer(signaling.url);
    p.api.peer = peer;
    await peer.createClient(roomCode);
    await p.api.whenConnected(); // or throws with the reason
    return { ...p, id: peer.uniqueId };
  };
  const clients: Array<Player & { id: number }> = [];
  for (let i = 0; i < count; i++) clients.push(await join());
  await until(
    [host, ...clients],
    () => [host, ...clients].every((p) => p.api.getPeers().length === count),
    () => `${count} clients`,
  );
  return { host, hostPeer, clients, join };
}

/** An entity its client moves: named after its peer, whose synchronizer's authority that peer is. */
class Owned extends Entity {
  constructor(name: string) {
    super(name);
    this.sync.setMultiplayerAuthority(Number(name.slice(1)));
  }
}

describe("scene replication between Node peers over WebRTC", () => {
  it(`keeps ${ENTITIES} entities the same on three clients and a late joiner, and a hidden one away`, async () => {
    const { host, hostPeer, clients, join } = await game(3);
    const everyone: Player[] = [host, ...clients];

    // An entity only the first client may see, added before the others so its spawn would come first.
    // Every packet the host sends, by receiver: none to a peer the secret is hidden from may name it.
    const named = new Map<number, number>();
    const name = new TextEncoder().encode("secret");
    const send = hostPeer.send.bind(hostPeer);
    hostPeer.send = (to, data, ...rest) => {
      if (contains(data, name)) named.set(to, (named.get(to) ?? 0) + 1);
      send(to, data, ...rest);
    };
    const secret = new Entity("secret");
    secret.sync.publicVisibility = false;
    secret.sync.setVisibilityFor(clients[0]!.id, true);
    host.world.entities.addChild(secret);
    populate(host.world, ENTITIES);
    const withoutSecret = () => {
      const { secret: _, ...rest } = worldState(host.world);
      return rest;
    };
    await reaches([clients[0]!], worldState(host.world), "spawned");
    await reaches(clients.slice(1), withoutSecret(), "spawned");

    (host.world.entities.getChild("e5") as Entity).hue = 500;
    await animate(host.world, 1, 30);
    await reaches([clients[0]!], worldState(host.world), "moved");
    await reaches(clients.slice(1), withoutSecret(), "moved");
    for (const [i, client] of clients.entries()) {
      expect(client.world.entered).toHaveLength(i === 0 ? ENTITIES + 1 : ENTITIES);
      expect(client.world.entered.includes("secret")).toBe(i === 0);
    }

    // A late joiner, the world holding still: it spawns everything it may see as it is now.
    const frozen = withoutSecret();
    const late = await join();
    everyone.push(late);
    await reaches([late], frozen, "the late joiner, spawned");
    expect(worldDiff(frozen, late.spawnedWith)).toEqual([]);
    expect(late.spawnedWith.e5![3]).toBe(500);
    // Then it follows the synchronized values with everyone else.
    await animate(host.world, 31, 50);
    expect(worldDiff(frozen, withoutSecret())).not.toEqual([]);
    await reaches([late, ...clients.slice(1)], withoutSecret(), "the late joiner, synchronized");
    await reaches([clients[0]!], worldState(host.world), "the first client, synchronized");
    expect(late.world.entered).toHaveLength(ENTITIES);
    expect(late.world.entered).not.toContain("secret");
    // Not even its name went to them; it did go to the one peer it is shown to (so the check can fail).
    expect([...named.keys()]).toEqual([clients[0]!.id]);
    expect(everyone.flatMap((p) => p.failures)).toEqual([]);
  }, 90_000);

  it("moves each client's own entity everywhere (relayed by the host), despawns and respawns with visibility", async () => {
    const { host, clients } = await game(3, (p) => p.world.spawner.addSpawnable("Owned", Owned));
    const everyone: Player[] = [host, ...clients];
    const owned = clients.map((c) => host.world.entities.addChild(new Owned(`p${c.id}`)));
    populate(host.world, 10);
    for (const [i, p] of everyone.entries()) {
      await until(
        everyone,
        () => p.world.entities.children.length === 13,
        () => `peer ${i} has the 13 entities`,
      );
    }
    // Each client moves its own entity: the host and the other clients follow.
    for (const [i, c] of clients.entries()) {
      const mine = c.world.entities.getChild(`p${c.id}`) as Owned;
      placeAt(mine, 100 + i, 7);
      mine.hue = 42 + i;
    }
    const expectOwned = () => {
      const state: WorldState = {};
      for (const c of clients) state[`p${c.id}`] = stateOf(c.world.entities.getChild(`p${c.id}`) as Owned);
      return state;
    };
    const wanted = expectOwned();
    for (const [i, p] of everyone.entries()) {
      await until(
        everyone,
        () => worldDiff(wanted, pick(worldState(p.world), Object.keys(wanted))).length === 0,
        () =>
          `peer ${i} follows the clients' entities: ${worldDiff(wanted, pick(worldState(p.world), Object.keys(wanted))).join("; ")}`,
      );
    }
    expect(owned.map((o) => o.hue)).toEqual([42, 43, 44]);

    // Hidden from the third client (a filter on the host's e0): despawned there; shown again: back, as it is now.
    const e0 = host.world.entities.getChild("e0") as Entity;
    let hideFromThird = true;
    e0.sync.addVisibilityFilter((peer) => !(hideFromThird && peer === clients[2]!.id));
    await until(
      everyone,
      () => clients[2]!.world.entities.getChild("e0") === null,
      () => "e0 despawned on the third client",
    );
    placeAt(e0, 0, 77);
    e0.hue = 77;
    hideFromThird = false;
    e0.sync.updateVisibility();
    await until(
      everyone,
      () =>
        worldDiff(pick(worldState(host.world), ["e0"]), pick(worldState(clients[2]!.world), ["e0"]))
          .length === 0,
      () => "e0 respawned on the third client as it is now",
    );
    expect(clients[2]!.spawnedWith.e0![3]).toBe(77);
    expect(clients[2]!.world.entered.filter((name) => name === "e0")).toHaveLength(2);

    // The host removes e1: gone everywhere.
    host.world.entities.removeChild(host.world.entities.getChild("e1")!);
    for (const [i, c] of clients.entries()) {
      await until(
        everyone,
        () => c.world.entities.getChild("e1") === null,
        () => `e1 despawned on client ${i}`,
      );
    }
    expect(everyone.flatMap((p) => p.failures)).toEqual([]);
  }, 60_000);
});
