// 50 Node clients join and leave in waves; afterwards the host holds nothing for them.
import { expect, it } from "vitest";
import { hostOn, joinOn, startSignaling, until } from "./helpers.js";

it("50 clients in waves of 10 leave no peers, caches, timers or native connections behind", async () => {
  const signaling = await startSignaling();
  const host = await hostOn(signaling.url);
  try {
    for (let wave = 0; wave < 5; wave++) {
      const clients = await Promise.all(
        Array.from({ length: 10 }, () => joinOn(signaling.url, host.roomCode)),
      );
      await until(() => host.api.getPeers().length === 10, 15_000, `wave ${wave} joined`);
      // Traffic that fills the path caches on both sides.
      for (const client of clients) client.game.rpc("shout", `wave ${wave}`);
      host.game.rpc("tick", wave);
      await until(
        () => host.game.calls.filter(([m]) => m === "shout").length === 10 * (wave + 1),
        10_000,
        "shouts",
      );
      // Half leave politely, half just close their transport.
      for (const [i, client] of clients.entries()) {
        if (i % 2 === 0) client.api.peer = null;
        else client.peer.close();
      }
      await until(() => host.api.getPeers().length === 0, 10_000, `wave ${wave} left`);
    }
    await until(() => host.peer.debugStats().connections === 0, 5000, "connections closed");
    expect(host.api.debugStats()).toEqual({
      peers: 0,
      pathCache: { outgoing: 1, confirmedPeers: 0, incomingPeers: 0 },
      rejectionCounters: 0,
      rateLimitedPeers: 0,
      authenticating: 0,
    });
    expect(host.peer.debugStats()).toMatchObject({
      connections: 0,
      connectTimers: 0,
      signalingOpen: true,
      reliableQueuedBytes: 0,
      openNativeConnectionsInProcess: 0,
    });
    expect(host.log.filter((line) => line.startsWith("peerConnected"))).toHaveLength(50);
    expect(host.log.filter((line) => line.startsWith("peerDisconnected"))).toHaveLength(50);
  } finally {
    host.api.peer = null;
    await signaling.close();
  }
}, 120_000);
