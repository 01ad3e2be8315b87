// Scene replication between Node peers over real WebRTC (node-datachannel) on 127.0.0.1: a Node
// host spawns and moves the world of tests/e2e/harness/replication-world.ts for three Node
// clients and a late joiner; every client must hold the host's world.
import { MultiplayerAPI } from "starwire/node";
import { afterEach, describe, expect, it } from "vitest";
import {
  buildWorld,
  Entity,
  moveTo,
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

describe("scene replication between Node peers over WebRTC", () => {
  it(`keeps ${ENTITIES} entities the same on three clients and a late joiner, and a hidden one away`, async () => {
    const signaling = await startSignaling();
    cleanups.push(signaling.close);
    const host = player();
    const hostPeer = loopbackPeer(signaling.url);
    const { roomCode } = await hostPeer.createServer({ maxPlayers: 8 });
    host.api.peer = hostPeer;

    const join = async (): Promise<Player & { id: number }> => {
      const p = player(); // the world is built before connecting, as a scene would be
      const peer = loopbackPeer(signaling.url);
      p.api.peer = peer;
      await peer.createClient(roomCode);
      await p.api.whenConnected(); // or throws with the reason
      return { ...p, id: peer.uniqueId };
    };
    const clients = [await join(), await join(), await join()];
    const everyone = [host, ...clients];
    await until(
      everyone,
      () => host.api.getPeers().length === 3,
      () => "three clients",
    );

    // An entity only the first client may see, added before the others so its spawn would come first.
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
    expect(everyone.flatMap((p) => p.failures)).toEqual([]);
  }, 90_000);
});
