// Node-only integration: real signaling server, real WebRTC (node-datachannel) over 127.0.0.1.
import { afterEach, describe, expect, it } from "vitest";
import { hostOn, joinOn, startSignaling, until } from "./helpers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("a Node host with 8 Node clients", () => {
  it("connects in Godot's order, relays RPCs, and disconnects", async () => {
    const signaling = await startSignaling();
    cleanups.push(signaling.close);
    const host = await hostOn(signaling.url);
    cleanups.push(() => {
      host.api.peer = null;
    });
    const clients: Awaited<ReturnType<typeof joinOn>>[] = [];
    for (let i = 0; i < 8; i++) {
      const client = await joinOn(signaling.url, host.roomCode);
      cleanups.push(() => {
        client.api.peer = null;
      });
      clients.push(client);
      await until(
        () => [host, ...clients].every((p) => p.api.getPeers().length === clients.length),
        10_000,
        `join ${i}`,
      );
    }
    const ids = clients.map((c) => c.id);
    expect(new Set(ids).size).toBe(8);
    expect(host.log).toEqual(ids.map((id) => `peerConnected ${id}`));
    for (const [i, client] of clients.entries()) {
      // Godot's order: connectedToServer, the host, the earlier clients (told by the host), then later ones.
      expect(client.log).toEqual([
        "connectedToServer",
        "peerConnected 1",
        ...ids.filter((_, j) => j !== i).map((id) => `peerConnected ${id}`),
      ]);
    }

    // Reliable RPCs to the host, with the true senders.
    for (const [i, client] of clients.entries()) client.game.rpcId(1, "hello", i);
    // A client broadcast, relayed by the host to everyone else.
    clients[0]!.game.rpc("shout", "hi all");
    // A client-to-client call through the host.
    clients[1]!.game.rpcId(ids[7]!, "hello", 99);
    // Unreliable host broadcast.
    for (let seq = 0; seq < 20; seq++) host.game.rpc("tick", seq);

    await until(() => host.game.calls.filter(([m]) => m === "hello").length === 8, 5000, "hellos");
    expect(
      host.game.calls.filter(([m]) => m === "hello").sort((a, b) => (a[2] as number) - (b[2] as number)),
    ).toEqual(ids.map((id, i) => ["hello", id, i]));
    await until(
      () => clients.slice(1).every((c) => c.game.calls.some(([m]) => m === "shout")),
      5000,
      "shouts",
    );
    expect(host.game.calls.filter(([m]) => m === "shout")).toEqual([["shout", ids[0], "hi all"]]);
    expect(clients[0]!.game.calls.filter(([m]) => m === "shout")).toEqual([]);
    await until(() => clients[7]!.game.calls.some(([m, , v]) => m === "hello" && v === 99), 5000, "relay");
    expect(clients[7]!.game.calls.filter(([m]) => m === "hello")).toEqual([["hello", ids[1], 99]]);
    await until(() => clients.every((c) => c.game.calls.some(([m]) => m === "tick")), 5000, "ticks");
    for (const client of clients) {
      const ticks = client.game.calls.filter(([m]) => m === "tick");
      expect(ticks.every(([, sender]) => sender === 1)).toBe(true);
    }

    // A client leaves: the host and the others are told.
    const leaving = clients.pop()!;
    leaving.api.peer = null;
    await until(() => [host, ...clients].every((p) => !p.api.getPeers().includes(leaving.id)), 5000, "leave");
    expect(host.log.at(-1)).toBe(`peerDisconnected ${leaving.id}`);
    expect(clients[0]!.log.at(-1)).toBe(`peerDisconnected ${leaving.id}`);

    // The host leaves: every client ends with peerDisconnected(1), serverDisconnected.
    host.api.peer = null;
    await until(() => clients.every((c) => c.log.at(-1) === "serverDisconnected"), 5000, "server gone");
    for (const client of clients)
      expect(client.log.slice(-2)).toEqual(["peerDisconnected 1", "serverDisconnected"]);
  }, 60_000);
});
