// A hostile client beside four honest ones, all real WebRTC: what it asks the host to relay reaches
// nobody unless the host would accept it itself, and its floods cost the host no more than the
// client's own budget, while the honest clients keep playing.
import { expect, it } from "vitest";
import { type Call, hostOn, joinOn, startSignaling, until } from "./helpers.js";
import { rawClient } from "./raw-client.js";

/** SYS RELAY to everyone ([4][2][target i32 LE]), then the packet to relay. */
const relayToAll = (packet: Uint8Array) => Uint8Array.of(4, 2, 0, 0, 0, 0, ...packet);
const varint = (value: number) => (value < 128 ? [value] : [(value & 0x7f) | 0x80, value >> 7]);
const fromSender = (calls: Call[], sender: number) => calls.filter(([, from]) => from === sender);

async function gameWithHostile() {
  const signaling = await startSignaling();
  const host = await hostOn(signaling.url);
  const honest = await Promise.all([0, 1, 2, 3].map(() => joinOn(signaling.url, host.roomCode)));
  const hostile = await joinOn(signaling.url, host.roomCode);
  await until(
    () => host.api.getPeers().length === 5 && honest.every((c) => c.api.getPeers().length === 5),
    10_000,
    "everyone in the game",
  );
  const close = async () => {
    for (const client of [...honest, hostile]) client.api.peer = null;
    host.api.peer = null;
    await signaling.close();
  };
  return { host, honest, hostile, close };
}

it("relayed forbidden and malformed calls reach no honest client", async () => {
  const { host, honest, hostile, close } = await gameWithHostile();
  try {
    const hostRejected: string[] = [];
    host.api.on("rejected", (r) => hostRejected.push(r.reason));
    const honestRejected = honest.map((c) => {
      const list: string[] = [];
      c.api.on("rejected", (r) => list.push(`${r.reason}: ${r.message}`));
      return list;
    });
    const call = (hostile.game.rpc as (method: string, ...args: unknown[]) => void).bind(hostile.game);
    call("tick", 666); // authority-only: the host is the authority
    call("hello", 1, 2, 3); // hello takes one argument
    const nowhere = [...new TextEncoder().encode("/root/zzz")];
    hostile.peer.send(1, relayToAll(Uint8Array.of(8, 0, nowhere.length, ...nowhere, 0, 0, 0)), "reliable", 0);
    hostile.peer.send(1, relayToAll(Uint8Array.of(0, 0, 40)), "reliable", 0); // no method #40
    await until(() => hostRejected.length === 4, 10_000, "the host's verdicts");
    // Sent after the host refused the others: anything it had forwarded would have come first.
    call("shout", "fair");
    await until(
      () => honest.every((c) => fromSender(c.game.calls, hostile.id).length > 0),
      10_000,
      "the fair shout everywhere",
    );
    for (const client of honest)
      expect(fromSender(client.game.calls, hostile.id)).toEqual([["shout", hostile.id, "fair"]]);
    expect(honestRejected.flat()).toEqual([]);
    // The tick went unreliably, the rest reliably: their verdicts may come in either order.
    expect(hostRejected.sort()).toEqual(["forbidden", "invalid_arguments", "unknown_method", "unknown_node"]);
  } finally {
    await close();
  }
}, 60_000);

it("relay floods cost the host no more than the sender's budget, and the honest clients keep playing", async () => {
  const { host, honest, hostile, close } = await gameWithHostile();
  try {
    const limits = host.api.rateLimits;
    const relayedToHonest = honest.map((c) => {
      let bytes = 0;
      c.api.on("peerPacket", (from, data) => {
        if (from === hostile.id) bytes += data.length;
      });
      return () => bytes;
    });
    // The hostile client's own inline shout, to forge the same call under thousands of cache ids:
    // each is a distinct key in the host's newest-wins map for unreliable traffic.
    let inlineShout: Uint8Array | null = null;
    const send = hostile.peer.send.bind(hostile.peer);
    hostile.peer.send = (to, bytes, transfer, channel, key) => {
      if (bytes[0] === 4 && bytes[6] === 8) inlineShout ??= bytes.slice(6);
      send(to, bytes, transfer, channel, key);
    };
    hostile.game.rpc("shout", "x");
    await until(() => inlineShout !== null, 5000, "an inline shout");
    const tail = inlineShout!.subarray(2); // after [cmd][cacheId 0]
    let cacheId = 1;

    const sentShouts: number[] = [];
    const sentHellos = new Map(honest.map((c) => [c.id, 0]));
    const started = performance.now();
    let maxHeld = 0;
    const game = setInterval(() => {
      sentShouts.push(sentShouts.length);
      host.game.rpc("shout", `round ${sentShouts.length}`);
      for (const client of honest) {
        client.game.rpcId(1, "hello", sentHellos.get(client.id)!);
        sentHellos.set(client.id, sentHellos.get(client.id)! + 1);
      }
      const stats = host.peer.debugStats();
      maxHeld = Math.max(
        maxHeld,
        stats.reliableQueuedBytes + stats.unreliableWaitingBytes + stats.bufferedBytes,
      );
    }, 50);
    const flood = setInterval(() => {
      hostile.api.sendBytes(new Uint8Array(60_000)); // 3 MB/s asked of a 512 KiB/s budget
      for (let i = 0; i < 40; i++) {
        const forged = Uint8Array.of(8, ...varint(cacheId), ...tail);
        cacheId = (cacheId % 4000) + 1;
        hostile.peer.send(1, relayToAll(forged), "unreliable", 0);
      }
    }, 20);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    clearInterval(flood);
    clearInterval(game);
    const seconds = (performance.now() - started) / 1000;

    // Every honest message arrives (reliable: all of them, in order), and nobody dropped out.
    await until(
      () =>
        honest.every(
          (c) => c.game.calls.filter(([m, from]) => m === "shout" && from === 1).length === sentShouts.length,
        ) &&
        honest.every(
          (c) =>
            host.game.calls.filter(([m, from]) => m === "hello" && from === c.id).length ===
            sentHellos.get(c.id),
        ),
      15_000,
      "every honest message delivered",
    );
    for (const client of honest) {
      const shouts = client.game.calls
        .filter(([m, from]) => m === "shout" && from === 1)
        .map(([, , text]) => text);
      expect(shouts).toEqual(sentShouts.map((i) => `round ${i + 1}`));
    }
    expect(host.api.getPeers().sort()).toEqual([...honest.map((c) => c.id), hostile.id].sort());
    expect(honest.every((c) => c.log.every((line) => !line.startsWith("peerDisconnected 1")))).toBe(true);

    // What the host sent on the hostile client's behalf, to all four, stays within one budget:
    // its burst, its rate for the time it flooded, and one message of debt per recipient.
    const relayedBytes = relayedToHonest.reduce((sum, bytes) => sum + bytes(), 0);
    expect(relayedBytes).toBeGreaterThan(0);
    expect(relayedBytes).toBeLessThanOrEqual(limits.byteBurst + limits.bytesPerSecond * seconds + 4 * 60_000);
    // And what the host holds for its channels stays far from the 64 MiB reliable queue limit.
    expect(maxHeld).toBeLessThan(8 * 1024 * 1024);
  } finally {
    await close();
  }
}, 60_000);

it("an unreliable message bigger than any Starwire peer sends ends that peer's connection, not the host", async () => {
  const signaling = await startSignaling();
  const host = await hostOn(signaling.url);
  const honest = await joinOn(signaling.url, host.roomCode);
  // The hostile client's data channels, reached through the WebRTC implementation it was given.
  const { peer: hostilePeer, channels } = rawClient(signaling.url);
  try {
    await hostilePeer.createClient(host.roomCode);
    await until(() => host.api.getPeers().length === 2, 10_000, "the hostile client in the game");
    const unreliable = channels.find((channel) => channel.label === "unreliable")!;
    unreliable.send(new Uint8Array(20_000));
    await until(
      () => !host.api.getPeers().includes(hostilePeer.uniqueId),
      10_000,
      "the hostile client dropped",
    );
    honest.game.rpcId(1, "hello", 1);
    await until(
      () => host.game.calls.some(([m, from]) => m === "hello" && from === honest.id),
      5000,
      "hello",
    );
    expect(host.api.getPeers()).toEqual([honest.id]);
  } finally {
    hostilePeer.close();
    honest.api.peer = null;
    host.api.peer = null;
    await signaling.close();
  }
}, 60_000);
