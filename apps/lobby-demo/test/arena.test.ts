import {
  Color,
  type LobbyPlayer,
  MemoryMultiplayerPeer,
  MemoryNetwork,
  MultiplayerAPI,
  type Rejection,
} from "starwire";
import { afterEach, describe, expect, it } from "vitest";
import { Arena } from "../src/game/arena.js";
import type { PlayerInfo } from "../src/player-info.js";

/** Waits until `condition` holds (the automatic scheduler and the simulation run on real timers). */
async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const open: MultiplayerAPI[] = [];
const rejections: Rejection[] = [];

afterEach(() => {
  // Closing stops each API's scheduler; stopping the arena stops the host's simulation timer.
  for (const api of open.splice(0)) {
    (api.root.getNode("arena") as Arena).stop();
    api.peer = null;
  }
  rejections.length = 0;
});

/** A peer with the demo's arena in its tree before it connects, as the page builds it. */
function peerWithArena(): { api: MultiplayerAPI; arena: Arena } {
  const api = new MultiplayerAPI();
  api.on("rejected", (rejection) => rejections.push(rejection));
  open.push(api);
  return { api, arena: api.root.addChild(new Arena()) };
}

async function host(network: MemoryNetwork) {
  const peer = new MemoryMultiplayerPeer(network);
  const { roomCode } = await peer.createServer({ maxPlayers: 8 });
  const side = peerWithArena();
  side.api.peer = peer;
  return { ...side, roomCode };
}

async function join(network: MemoryNetwork, roomCode: string) {
  const peer = new MemoryMultiplayerPeer(network);
  await peer.createClient(roomCode);
  const side = peerWithArena();
  side.api.peer = peer;
  await until(() => side.api.connectionStatus === "connected");
  return side;
}

function entrant(id: number, name: string, color: Color): LobbyPlayer<PlayerInfo> {
  return { id, info: { name, color }, ready: true };
}

/**
 * What a peer's arena holds: players by id (name, colour, score, position to the synchronized
 * precision of 0.1, which quantizes it on the wire) and coin spots (sent as they are).
 */
function world(arena: Arena) {
  const tenths = (value: number) => Math.round(value * 10);
  return {
    players: Object.fromEntries(
      arena.players.map((p) => [
        p.peerId,
        [p.displayName, p.color.toHtml(), p.score, tenths(p.x), tenths(p.y)],
      ]),
    ),
    coins: arena.coins.map((coin) => [coin.name, coin.x, coin.y]),
  };
}

describe("the demo's arena on scene replication", () => {
  it("spawns the host's world on every peer, late joiners too, moves players by input and despawns them", async () => {
    const network = new MemoryNetwork();
    const server = await host(network);
    const bob = await join(network, server.roomCode);
    const bobId = bob.api.uniqueId;
    server.arena.startSimulation([
      entrant(1, "Ann", new Color(1, 0, 0, 1)),
      entrant(bobId, "Bob", new Color(0, 0.5, 1, 1)),
    ]);
    expect(server.arena.players).toHaveLength(2);
    expect(server.arena.coins).toHaveLength(5);

    // Everything but the (moving) positions arrives with the spawn: name, colour, score.
    await until(() => bob.arena.players.length === 2 && bob.arena.coins.length === 5);
    const ann = bob.arena.players.find((player) => player.peerId === 1)!;
    expect([ann.displayName, ann.color.toHtml(), ann.score]).toEqual(["Ann", "#ff0000", 0]);
    expect(world(bob.arena)).toEqual(world(server.arena));

    // Bob's input goes to the host, whose simulation moves his circle; Bob sees it move.
    const start = bob.arena.players.find((player) => player.peerId === bobId)!.x;
    const right = start < 400 ? 1 : -1;
    bob.arena.steer(right, 0);
    await until(() => right * (bob.arena.players.find((p) => p.peerId === bobId)!.x - start) > 30);
    bob.arena.steer(0, 0);

    // A late joiner gets the world as it is now, through the spawner.
    const cara = await join(network, server.roomCode);
    await until(() => cara.arena.players.length === 2 && cara.arena.coins.length === 5);
    await until(() => JSON.stringify(world(cara.arena)) === JSON.stringify(world(server.arena)));

    // A player who leaves is despawned everywhere; the end of the round despawns the rest.
    server.arena.removePlayer(bobId);
    await until(() => cara.arena.players.length === 1 && bob.arena.players.length === 1);
    server.arena.stop();
    for (const arena of [bob.arena, cara.arena]) {
      await until(() => arena.children.length === 1); // the spawner alone
    }
    expect(rejections).toEqual([]);
  });

  it("ignores input that is not a direction", async () => {
    const network = new MemoryNetwork();
    const server = await host(network);
    const bob = await join(network, server.roomCode);
    server.arena.startSimulation([entrant(bob.api.uniqueId, "Bob", new Color(0, 1, 0, 1))]);
    // What a hostile client could send, past the RPC's types.
    const send = bob.arena.rpcId.bind(bob.arena) as (
      peer: number,
      method: string,
      ...args: unknown[]
    ) => void;
    send(1, "input", "left", { x: 1 });
    send(1, "input", Number.NaN, 1);
    bob.arena.rpcId(1, "input", 0.25, 0); // a real one after them, so that they arrived first
    const player = server.arena.players[0]!;
    await until(() => player.dx === 0.25);
    expect(player.dy).toBe(0);
  });
});
