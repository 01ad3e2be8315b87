// Node host + 2 Node clients through total network cuts (pfifo limit 0 on the namespace's loopback).
import { Lobby, MultiplayerAPI } from "starwire/node";
import { afterEach, expect, it } from "vitest";
import { Game, loopbackPeer, recordEvents, startSignaling, until } from "./helpers.js";
import { cutFor, restoreLink } from "./link-cut.js";

type Info = { name: string };

afterEach(() => restoreLink());

async function game(url: string, reconnectGraceMs?: number) {
  const players = ["host", "ann", "bob"].map((name) => {
    const api = new MultiplayerAPI();
    const log = recordEvents(api);
    api.on("peerReconnecting", (id) => log.push(`peerReconnecting ${id}`));
    api.on("peerReconnected", (id) => log.push(`peerReconnected ${id}`));
    const peer = loopbackPeer(url, reconnectGraceMs === undefined ? {} : { reconnectGraceMs });
    const lobby = Lobby.of<Info>({ createPeer: () => peer }, api);
    const node = api.root.addChild(new Game(api));
    return { name, api, log, peer, lobby, game: node };
  });
  const [host, ann, bob] = players as [(typeof players)[0], (typeof players)[0], (typeof players)[0]];
  const code = await host.lobby.createGame({ maxPlayers: 4, info: { name: "host" } });
  await ann.lobby.joinGame(code, { name: "ann" });
  await bob.lobby.joinGame(code, { name: "bob" });
  const everyoneIn = () => players.every((p) => p.lobby.players.size === 3 && p.api.getPeers().length === 2);
  await until(everyoneIn, 15_000, "everyone in the lobby");
  return { players, host, ann, bob };
}

const lobbyOf = (player: { lobby: Lobby<Info> }) =>
  [...player.lobby.players].map(([id, p]) => `${id}:${p.info.name}`).sort();

for (const cutMs of [5000, 15_000]) {
  it(`a ${cutMs / 1000} s cut: same ids and lobby, reliable calls from the cut arrive once and in order`, async () => {
    const signaling = await startSignaling();
    const { players, host, ann, bob } = await game(signaling.url);
    let ticks = 0;
    const ticker = setInterval(() => host.game.rpc("tick", ticks++), 50);
    try {
      const ids = players.map((p) => p.api.uniqueId);
      const lobbies = players.map(lobbyOf);
      const calls = (p: (typeof players)[0], method: string) =>
        p.game.calls.filter(([m]) => m === method).map(([, from, value]) => `${from}:${value}`);
      const restoredAt = await cutFor(cutMs, async () => {
        // Sent while nothing gets through: each must arrive exactly once, in order.
        for (let i = 0; i < 20; i++) {
          ann.game.rpcId(1, "hello", i);
          bob.game.rpc("shout", `bob ${i}`);
          host.game.rpc("shout", `host ${i}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 2500));
        // Everyone has noticed by now: the silence is over 1.5 s.
        for (const p of players) expect(p.log.some((line) => line.startsWith("peerReconnecting"))).toBe(true);
      });
      const expected = Array.from({ length: 20 }, (_, i) => i);
      await until(
        () =>
          calls(host, "hello").length >= 20 &&
          calls(ann, "shout").length >= 40 &&
          calls(bob, "shout").length >= 20 &&
          calls(host, "shout").length >= 20,
        15_000,
        "the calls sent during the cut",
      );
      const firstCall = Date.now() - restoredAt;
      expect(calls(host, "hello")).toEqual(expected.map((i) => `${ann.api.uniqueId}:${i}`));
      expect(calls(host, "shout")).toEqual(expected.map((i) => `${bob.api.uniqueId}:bob ${i}`));
      expect(calls(bob, "shout")).toEqual(expected.map((i) => `1:host ${i}`));
      expect(calls(ann, "shout").filter((c) => c.startsWith("1:"))).toEqual(
        expected.map((i) => `1:host ${i}`),
      );
      expect(calls(ann, "shout").filter((c) => !c.startsWith("1:"))).toEqual(
        expected.map((i) => `${bob.api.uniqueId}:bob ${i}`),
      );
      // Unreliable state flows again.
      const before = ann.game.calls.filter(([m]) => m === "tick").length;
      await until(
        () => ann.game.calls.filter(([m]) => m === "tick").length > before + 5,
        5000,
        "ticks again",
      );
      expect(players.map((p) => p.api.uniqueId)).toEqual(ids);
      expect(players.map(lobbyOf)).toEqual(lobbies);
      for (const p of players) {
        expect(p.log.filter((line) => /Disconnected|Failed/.test(line))).toEqual([]);
        expect(p.log.filter((line) => line.startsWith("peerReconnected")).length).toBeGreaterThan(0);
        await until(() => p.peer.debugStats().reconnecting === 0, 5000, `${p.name} settled`);
      }
      console.log(`${cutMs} ms cut: first call delivered ${firstCall} ms after the link came back`);
    } finally {
      clearInterval(ticker);
      for (const p of players) p.api.peer = null;
      await signaling.close();
    }
  }, 60_000);
}

it("a cut longer than the grace period ends the game as a disconnect, leaving nothing behind", async () => {
  const signaling = await startSignaling();
  const { players, host, ann, bob } = await game(signaling.url, 3000);
  try {
    await cutFor(6000);
    await until(
      () => host.api.getPeers().length === 0 && [ann, bob].every((c) => c.log.includes("serverDisconnected")),
      10_000,
      "everyone gone",
    );
    for (const client of [ann, bob]) {
      expect(client.log.slice(-3)).toEqual([
        "peerReconnecting 1",
        "peerDisconnected 1",
        "serverDisconnected",
      ]);
      expect(client.api.connectionStatus).toBe("disconnected");
      expect(client.peer.debugStats()).toMatchObject({
        connections: 0,
        connectTimers: 0,
        signalingOpen: false,
      });
    }
    expect(host.log.filter((line) => line.startsWith("peerDisconnected")).sort()).toEqual(
      [ann, bob].map((c) => `peerDisconnected ${c.api.uniqueId}`).sort(),
    );
    // The host reclaimed its room and freed both places once the server could hear it again.
    await until(() => host.peer.debugStats().signalingOpen, 10_000, "host signaling back");
    expect(host.peer.debugStats()).toMatchObject({ connections: 0, connectTimers: 0, reconnecting: 0 });
    expect(host.api.debugStats()).toMatchObject({ peers: 0, rejectionCounters: 0, authenticating: 0 });
    expect([...host.lobby.players.keys()]).toEqual([1]);
  } finally {
    for (const p of players) p.api.peer = null;
    await signaling.close();
  }
}, 60_000);
