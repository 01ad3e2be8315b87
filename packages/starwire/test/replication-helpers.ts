import { vi } from "vitest";
import {
  type MultiplayerAPI,
  MultiplayerSpawner,
  MultiplayerSynchronizer,
  NetNode,
  type Rejection,
} from "../src/common.js";
import { gameOf } from "./helpers.js";

/** A spawnable player: x and y sent always (and at spawn), hp on change. */
export class Player extends NetNode {
  x = 0;
  y = 0;
  hp = 100;
  readonly sync = new MultiplayerSynchronizer("sync");

  constructor(name: string) {
    super(name);
    this.sync.replicationConfig = {
      x: { replicate: "always", spawn: true },
      y: { replicate: "always", spawn: true },
      hp: { replicate: "on_change" },
    };
    this.addChild(this.sync);
  }
}

export class Coin extends NetNode {
  value = 1;
}

/** /root/level with a spawner (/root/level/spawner) that spawns under /root/level/players. */
export function buildWorld(api: MultiplayerAPI) {
  const level = api.root.addChild(new NetNode("level"));
  const players = level.addChild(new NetNode("players"));
  const spawner = new MultiplayerSpawner("spawner");
  spawner.spawnPath = "../players";
  spawner.addSpawnable("Player", Player);
  spawner.addSpawnable("Coin", Coin);
  level.addChild(spawner);
  return { level, players, spawner };
}

export const TICK_RATE = 20;
const TICK_MS = 1000 / TICK_RATE;

/** Macrotask turn: the memory network delivers in microtasks, relays included. */
export const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * A game whose APIs are polled by the test: performance.now is faked (only it: the memory network
 * and `until` keep real timers), each `tick()` moves it by one network tick and polls everyone.
 */
export async function replicatedGame(clients: number) {
  vi.useFakeTimers({ toFake: ["performance"] });
  // The host's rate is the game's (clients follow it); set before connecting, it cannot change in a game.
  const game = await gameOf(clients, (api) => {
    api.autoPoll = false;
    api.tickRate = TICK_RATE;
  });
  const apis = game.peers.map((peer) => peer.api);
  const rejections: Rejection[] = [];
  /** Rejections by the API at `index` (0 = host). */
  const rejectedAt: Rejection[][] = apis.map(() => []);
  for (const [index, api] of apis.entries()) {
    api.on("rejected", (rejection) => {
      rejections.push(rejection);
      rejectedAt[index]!.push(rejection);
    });
  }
  const tick = async (count = 1) => {
    for (let i = 0; i < count; i++) {
      vi.advanceTimersByTime(TICK_MS);
      for (const api of apis) api.poll();
      await flush();
      await flush();
    }
  };
  // Clients send SYNC once their network clock follows the host (its ticks are host ticks): let
  // the clock pings run first, as a real game's first half second does.
  for (let i = 0; i < 200 && !apis.every((api) => api.clock.synchronized); i++) await tick();
  if (!apis.every((api) => api.clock.synchronized)) throw new Error("the network clocks did not synchronize");
  return { ...game, apis, rejections, rejectedAt, tick };
}

/** Records every packet a memory peer sends: [to, first byte, bytes]. */
export function recordSends(peer: { send: (...args: never[]) => void }) {
  const sent: { to: number; bytes: Uint8Array }[] = [];
  const original = peer.send.bind(peer) as (to: number, bytes: Uint8Array, ...rest: unknown[]) => void;
  (peer as unknown as { send: typeof original }).send = (to, bytes, ...rest) => {
    sent.push({ to, bytes: bytes.slice() });
    original(to, bytes, ...rest);
  };
  return sent;
}

/** An entity moved by the peer whose id ends its name ("x2": peer 2), on every peer. */
export class Owned extends NetNode {
  x = 0;
  hue = 0;
  readonly sync = new MultiplayerSynchronizer("sync");

  constructor(name: string) {
    super(name);
    this.sync.replicationConfig = {
      x: { replicate: "always", spawn: true },
      hue: { replicate: "on_change", spawn: true },
    };
    this.addChild(this.sync);
    this.sync.setMultiplayerAuthority(Number(name.slice(1)));
  }
}

/** A host and two clients A and B whose worlds may spawn `Owned`, with what the host sends recorded. */
export async function ownedGame() {
  const g = await replicatedGame(2);
  const worlds = g.apis.map((api) => {
    const world = buildWorld(api);
    world.spawner.addSpawnable("Owned", Owned);
    return world;
  });
  const [a, b] = [g.joined[0]!.id, g.joined[1]!.id];
  return { ...g, worlds, a, b, sent: recordSends(g.host.peer) };
}
