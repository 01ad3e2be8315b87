// Visibility of an entity the host spawns but a client moves (the client is its synchronizer's
// authority, Godot's usual player setup), hidden by the host from another client (fog of war:
// the host decides who sees what). Its states go client → host → others: the host relays them.
import { MultiplayerAPI } from "starwire/node";
import { afterEach, describe, expect, it } from "vitest";
import { buildWorld, Entity, placeAt } from "../e2e/harness/replication-world.js";
import { loopbackPeer, startSignaling, until } from "./helpers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Named after its peer ("p<id>"), whose synchronizer's authority that peer is, on every peer. */
class Owned extends Entity {
  constructor(name: string) {
    super(name);
    this.sync.setMultiplayerAuthority(Number(name.slice(1)));
  }
}

const SYS = 4;
const RELAYED_AT = 6;
const commandName = new Map([
  [0x07, "SPAWN"],
  [0x17, "SYNC"],
  [0x1f, "DELTA"],
  [0x00, "RPC"],
]);

function contains(bytes: Uint8Array, part: Uint8Array): boolean {
  outer: for (let i = 0; i + part.length <= bytes.length; i++) {
    for (let j = 0; j < part.length; j++) if (bytes[i + j] !== part[j]) continue outer;
    return true;
  }
  return false;
}

describe("scene replication: a client-owned entity the host hides", () => {
  it("never reaches the client the host hides it from, though its owner moves it", async () => {
    const signaling = await startSignaling();
    cleanups.push(signaling.close);
    const apis: MultiplayerAPI[] = [];
    const peer = () => {
      const api = new MultiplayerAPI();
      const world = buildWorld(api.root);
      world.spawner.addSpawnable("Owned", Owned);
      apis.push(api);
      cleanups.push(() => {
        api.peer = null;
      });
      return { api, world };
    };
    const host = peer();
    const hostPeer = loopbackPeer(signaling.url);
    const { roomCode } = await hostPeer.createServer({ maxPlayers: 4 });
    host.api.peer = hostPeer;
    const join = async () => {
      const p = peer();
      const transport = loopbackPeer(signaling.url);
      p.api.peer = transport;
      await transport.createClient(roomCode);
      await p.api.whenConnected();
      return { ...p, id: transport.uniqueId };
    };
    const a = await join();
    const b = await join();
    await until(() => apis.every((api) => api.getPeers().length === 2), 10_000, "everyone connected");
    const rejected: string[] = [];
    for (const api of apis) api.on("rejected", (r) => rejected.push(`${r.reason}: ${r.message}`));

    // What the host sends B that names A's entity.
    const name = `p${a.id}`;
    const nameBytes = new TextEncoder().encode(name);
    const toB: number[] = [];
    const send = hostPeer.send.bind(hostPeer);
    hostPeer.send = (to, data, ...rest) => {
      // A relayed packet (SYS) carries the relayed one after its 6-byte header: name that one.
      if (to === b.id && contains(data, nameBytes)) toB.push(data[0] === SYS ? data[RELAYED_AT]! : data[0]!);
      send(to, data, ...rest);
    };
    const owned = new Owned(name);
    owned.sync.addVisibilityFilter((peerId) => peerId !== b.id);
    host.world.entities.addChild(owned);
    await until(() => a.world.entities.getChild(name) !== null, 10_000, "A has its entity");
    const mine = a.world.entities.getChild(name) as Owned;
    // A moves it for a while; the host follows.
    for (let frame = 1; frame <= 45; frame++) {
      placeAt(mine, 3, frame);
      mine.hue = frame;
      await new Promise((resolve) => setTimeout(resolve, 33));
    }
    await until(() => owned.hue === 45, 10_000, "the host follows A");
    expect(b.world.entities.getChild(name)).toBeNull();
    // Nothing about it went to B: no spawn, no state, no announcement of its path.
    expect(toB.map((head) => commandName.get(head) ?? `0x${head.toString(16)}`)).toEqual([]);
    expect(rejected).toEqual([]);
  });
});
