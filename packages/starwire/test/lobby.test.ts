import { afterEach, describe, expect, it, vi } from "vitest";
import {
  Color8,
  Lobby,
  MemoryMultiplayerPeer,
  type MemoryNetwork,
  MultiplayerAPI,
  type Rejection,
  type StandardSchemaV1,
  sanitizeChat,
} from "../src/common.js";
import { MemoryNetwork as Network, until } from "./helpers.js";

type Info = { name: string; favoriteColor: ReturnType<typeof Color8> };

const infoSchema: StandardSchemaV1<Info> = {
  "~standard": {
    version: 1,
    vendor: "test",
    validate: (value) => {
      const info = value as Partial<Info> | null;
      return typeof info?.name === "string" && info.name.length <= 20 && info.favoriteColor
        ? { value: info as Info }
        : { issues: [{ message: "bad player info" }] };
    },
  },
};

const lobbies: Lobby<Info>[] = [];
afterEach(() => {
  for (const lobby of lobbies.splice(0)) lobby.dispose();
});

function newLobby(network: MemoryNetwork) {
  const api = new MultiplayerAPI();
  const lobby = Lobby.of<Info>(
    { createPeer: () => new MemoryMultiplayerPeer(network), infoSchema, pingIntervalMs: 20 },
    api,
  );
  lobbies.push(lobby);
  const log: string[] = [];
  lobby.events.on("playerConnected", (id, info) => log.push(`+${id} ${info.name}`));
  lobby.events.on("playerDisconnected", (id) => log.push(`-${id}`));
  lobby.events.on("serverDisconnected", () => log.push("serverDisconnected"));
  const chat: string[] = [];
  lobby.events.on("chat", (from, text) => chat.push(`${from}: ${text}`));
  const rejected: Rejection[] = [];
  api.on("rejected", (r) => rejected.push(r));
  return { api, lobby, log, chat, rejected };
}

/** The lobby's node as a modified client sees it: any RPC by name. */
type ModifiedClient = {
  rpc(method: string, ...args: unknown[]): void;
  rpcId(peer: number, method: string, ...args: unknown[]): void;
};

const info = (name: string): Info => ({ name, favoriteColor: Color8(255, 0, 255) });
const roster = (lobby: Lobby<Info>) =>
  [...lobby.players.values()].map((p) => `${p.id}:${p.info.name}:${p.ready}`).sort();
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

async function lobbyOf(count: number) {
  const network = new Network();
  const host = newLobby(network);
  const code = await host.lobby.createGame({ maxPlayers: 8, info: info("Host") });
  const clients: ReturnType<typeof newLobby>[] = [];
  for (let i = 0; i < count; i++) {
    const client = newLobby(network);
    await client.lobby.joinGame(code, info(`P${i}`));
    clients.push(client);
    await until(() => [host, ...clients].every((p) => p.lobby.players.size === i + 2));
  }
  return { network, code, host, clients, all: [host, ...clients] };
}

describe("Lobby", () => {
  it("is one per MultiplayerAPI, at /root/lobby, with its RPC handlers off its API", () => {
    const { api, lobby } = newLobby(new Network());
    expect(Lobby.of(undefined, api)).toBe(lobby);
    expect(api.root.getNode("lobby")?.getPath()).toBe("/root/lobby");
    // The handlers live on the lobby's own node (typed-calls.typecheck.ts checks the types).
    for (const handler of ["registerPlayer", "ping", "pong", "sharePings", "rpc", "getPath"]) {
      expect(handler in lobby).toBe(false);
    }
    lobby.dispose();
    expect(api.root.getNode("lobby")).toBeNull();
  });

  it("keeps the same players on every peer, late joiners and the host included", async () => {
    const { host, clients, all } = await lobbyOf(3);
    const expected = roster(host.lobby);
    expect(expected).toHaveLength(4);
    for (const peer of all) expect(roster(peer.lobby)).toEqual(expected);
    // join order as each peer saw it: the host first sees itself, then each joiner
    expect(host.log).toEqual(["+1 Host", ...clients.map((c, i) => `+${c.api.uniqueId} P${i}`)]);
    const last = clients[2]!;
    expect(last.log[0]).toBe(`+${last.api.uniqueId} P2`);
    expect(last.log.slice(1).sort()).toEqual(
      ["+1 Host", `+${clients[0]!.api.uniqueId} P0`, `+${clients[1]!.api.uniqueId} P1`].sort(),
    );
  });

  it("removes a player who leaves, everywhere; a departing host ends the lobby", async () => {
    const { host, clients } = await lobbyOf(2);
    const [a, b] = clients as [(typeof clients)[number], (typeof clients)[number]];
    const aId = a.api.uniqueId;
    a.lobby.leave();
    await until(() => host.lobby.players.size === 2 && b.lobby.players.size === 2);
    expect(host.log.at(-1)).toBe(`-${aId}`);
    expect(b.log.at(-1)).toBe(`-${aId}`);
    expect(a.lobby.players.size).toBe(0);

    host.lobby.leave();
    await until(() => b.log.includes("serverDisconnected"));
    expect(b.lobby.players.size).toBe(0);
  });

  it("spreads a rename, ready flags and sanitised chat to everyone", async () => {
    const { host, clients, all } = await lobbyOf(2);
    const a = clients[0]!;
    a.lobby.setInfo(info("Ada"));
    a.lobby.setReady(true);
    a.lobby.sendChat("  hello\u0000\u202e  world  ");
    host.lobby.sendChat("x".repeat(500));
    await settle();
    for (const peer of all) {
      expect(peer.lobby.players.get(a.api.uniqueId)).toMatchObject({ info: { name: "Ada" }, ready: true });
      // two senders: their messages may arrive in either order
      expect(peer.chat.sort()).toEqual([`${a.api.uniqueId}: hello world`, `1: ${"x".repeat(200)}`].sort());
    }
    expect(host.lobby.allReady()).toBe(false);
    for (const peer of all) peer.lobby.setReady(true);
    await settle();
    expect(all.every((peer) => peer.lobby.allReady())).toBe(true);
  });

  it("refuses player info that fails the schema", async () => {
    const { host, clients } = await lobbyOf(1);
    clients[0]!.lobby.setInfo({ name: "x".repeat(50), favoriteColor: Color8(0, 0, 0) });
    await settle();
    expect(host.lobby.players.get(clients[0]!.api.uniqueId)?.info.name).toBe("P0");
    expect(host.rejected.map((r) => r.reason)).toEqual(["invalid_arguments"]);
  });

  it("runs Godot 4's load_game / player_loaded flow (loadGame, reportLoaded) and tells the host when all are loaded", async () => {
    const { host, clients, all } = await lobbyOf(2);
    const loading: string[] = [];
    for (const peer of all)
      peer.lobby.events.on("loadGame", (scene) => loading.push(`${peer.api.uniqueId}:${scene}`));
    let allLoaded = 0;
    host.lobby.events.on("allPlayersLoaded", () => allLoaded++);
    for (const peer of all) peer.lobby.setReady(true);
    await settle();

    host.lobby.loadGame("arena");
    await settle();
    expect(loading.sort()).toEqual(all.map((p) => `${p.api.uniqueId}:arena`).sort());
    expect(all.every((p) => [...p.lobby.players.values()].every((player) => !player.ready))).toBe(true);

    host.lobby.reportLoaded();
    clients[0]!.lobby.reportLoaded();
    await settle();
    expect(allLoaded).toBe(0);
    clients[1]!.lobby.reportLoaded();
    await settle();
    expect(allLoaded).toBe(1);
  });

  it("counts a player who leaves while loading as no longer awaited", async () => {
    const { host, clients } = await lobbyOf(2);
    let allLoaded = 0;
    host.lobby.events.on("allPlayersLoaded", () => allLoaded++);
    host.lobby.loadGame("arena");
    await settle();
    host.lobby.reportLoaded();
    clients[0]!.lobby.reportLoaded();
    await settle();
    clients[1]!.lobby.leave();
    await until(() => allLoaded === 1);
  });

  it("host-only actions are refused from clients, locally and on the host", async () => {
    const { host, clients } = await lobbyOf(2);
    const a = clients[0]!;
    expect(() => a.lobby.loadGame("arena")).toThrow(/only the host/);
    expect(() => a.lobby.kick(1)).toThrow(/only the host/);
    expect(() => a.lobby.setLocked(true)).toThrow(/only the host/);
    // A modified client that sends the RPC anyway is rejected by the host, which forwards nothing.
    let loads = 0;
    host.lobby.events.on("loadGame", () => loads++);
    const node = a.api.root.getNode("lobby") as unknown as ModifiedClient;
    node.rpc("loadGame", "arena");
    node.rpcId(clients[1]!.api.uniqueId, "sharePings", { 1: 999 });
    await settle();
    expect(loads).toBe(0);
    expect(host.rejected.map((r) => [r.reason, r.method])).toEqual([
      ["forbidden", "loadGame"],
      ["forbidden", "sharePings"],
    ]);
    expect(clients[1]!.rejected).toEqual([]);
  });

  it("the host kicks and locks", async () => {
    const { network, code, host, clients } = await lobbyOf(2);
    const [a, b] = clients as [(typeof clients)[number], (typeof clients)[number]];
    host.lobby.kick(a.api.uniqueId);
    await until(() => host.lobby.players.size === 2 && b.lobby.players.size === 2);
    expect(a.log).toContain("serverDisconnected");

    host.lobby.setLocked(true);
    expect(host.lobby.locked).toBe(true);
    const late = newLobby(network);
    await expect(late.lobby.joinGame(code, info("Late"))).rejects.toMatchObject({ reason: "room_refusing" });
  });

  it("measures every player's ping on the host and shares it", async () => {
    const { host, clients, all } = await lobbyOf(2);
    await until(() => all.every((peer) => peer.lobby.pings.size === 3), 3000);
    for (const peer of all) {
      expect(peer.lobby.pings.get(1)).toBe(0);
      for (const client of clients)
        expect(peer.lobby.pings.get(client.api.uniqueId)).toBeGreaterThanOrEqual(0);
    }
    expect(host.lobby.pings.size).toBe(3);
  });

  it("shares the round trips each client's network clock measured (exact on a 10 ms link)", async () => {
    vi.useFakeTimers();
    try {
      const network = new Network();
      network.latency = () => 10;
      const host = newLobby(network);
      const code = await host.lobby.createGame({ maxPlayers: 8, info: info("Host") });
      const a = newLobby(network);
      await a.lobby.joinGame(code, info("A"));
      const b = newLobby(network);
      await b.lobby.joinGame(code, info("B"));
      await vi.advanceTimersByTimeAsync(3000);
      const expected = { 1: 0, [a.api.uniqueId]: 20, [b.api.uniqueId]: 20 };
      for (const peer of [host, a, b]) expect(Object.fromEntries(peer.lobby.pings)).toEqual(expected);
      expect(a.api.clock.rttMs).toBe(20);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("a dedicated host (no player info)", () => {
  it("hosts without being a player; loading waits for the players only", async () => {
    const network = new Network();
    const host = newLobby(network);
    const code = await host.lobby.createGame({ maxPlayers: 4 });
    expect(host.lobby.isHost).toBe(true);
    const a = newLobby(network);
    await a.lobby.joinGame(code, info("A"));
    const b = newLobby(network);
    await b.lobby.joinGame(code, info("B"));
    await until(() => [host, a, b].every((p) => p.lobby.players.size === 2));
    for (const peer of [host, a, b]) expect(peer.lobby.players.has(1)).toBe(false);
    expect(a.lobby.isHost).toBe(false);

    let allLoaded = 0;
    host.lobby.events.on("allPlayersLoaded", () => allLoaded++);
    host.lobby.loadGame("arena");
    await settle();
    a.lobby.reportLoaded();
    b.lobby.reportLoaded();
    await until(() => allLoaded === 1);
    await until(() => a.lobby.pings.size === 2, 3000);
    expect(a.lobby.pings.has(1)).toBe(false);
  });
});

describe("sanitizeChat", () => {
  it("strips control and bidi characters, collapses whitespace, limits length", () => {
    expect(sanitizeChat(" a\nb\t\u0007c\u202e ", 10)).toBe("a b c");
    expect(sanitizeChat("<b>hi</b>", 10)).toBe("<b>hi</b>");
    expect(sanitizeChat("😀".repeat(5), 3)).toBe("😀😀😀");
    expect(sanitizeChat(42, 10)).toBe("");
  });
});
