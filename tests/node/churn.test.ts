// Node clients join and leave in waves (200 joins; `npm run soak`: 2,000); every join succeeds and
// afterwards the host holds nothing for them.
import { expect, it } from "vitest";
import { hostOn, joinOn, startSignaling, until } from "./helpers.js";

const WAVES = process.env.STARWIRE_SOAK === "1" ? 200 : 20;
const PER_WAVE = 10;

it(
  `${WAVES * PER_WAVE} join/leave cycles leave no peers, caches, listeners, timers or native connections behind`,
  async () => {
    const signaling = await startSignaling();
    const host = await hostOn(signaling.url);
    const events = [
      "peerConnected",
      "peerDisconnected",
      "peerPacket",
      "rejected",
      "serverDisconnected",
    ] as const;
    const listenersBefore = events.map((event) => host.api.listenerCount(event));
    let shouts = 0;
    /** Connections that failed while being set up and were negotiated again (the join still succeeded). */
    let retriedAttempts = 0;
    try {
      for (let wave = 0; wave < WAVES; wave++) {
        const clients = await Promise.all(
          Array.from({ length: PER_WAVE }, () => joinOn(signaling.url, host.roomCode)),
        );
        // Each client ends up connected (both ends: the host may see it a moment before the client
        // does); a failure ends the wait at once with its reason.
        const settled = () => {
          const failed = clients.find((c) => c.log.some((line) => line.startsWith("connectionFailed")));
          if (failed) throw new Error(`wave ${wave}: a join failed: ${failed.log.join(", ")}`);
          return clients.every(
            (c) => c.api.connectionStatus === "connected" && host.api.getPeers().includes(c.id),
          );
        };
        await until(settled, 30_000, `wave ${wave} joined`);
        const joined = clients;
        retriedAttempts += clients.reduce((sum, c) => sum + c.peer.debugStats().failedAttempts, 0);
        // Traffic that fills the path caches on both sides.
        for (const client of joined) client.game.rpc("shout", `wave ${wave}`);
        host.game.rpc("tick", wave);
        shouts += joined.length;
        await until(() => host.game.calls.filter(([m]) => m === "shout").length === shouts, 10_000, "shouts");
        // Half leave politely, half just close their transport.
        for (const [i, client] of clients.entries()) {
          if (i % 2 === 0) client.api.peer = null;
          else client.peer.close();
        }
        await until(() => host.api.getPeers().length === 0, 10_000, `wave ${wave} left`);
      }
      console.log(`${WAVES * PER_WAVE} joins, all connected; ${retriedAttempts} connection attempts retried`);
      await until(() => host.peer.debugStats().connections === 0, 5000, "connections closed");
      expect(host.api.debugStats()).toEqual({
        peers: 0,
        pathCache: {
          outgoing: 1,
          confirmedPeers: 0,
          releasing: 0,
          idsAssigned: 1,
          incomingPeers: 0,
          incomingEntries: 0,
        },
        rejectionCounters: 0,
        staleBaselineCounters: 0,
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
      const connected = host.log.filter((line) => line.startsWith("peerConnected")).length;
      expect(connected).toBeGreaterThanOrEqual(shouts);
      expect(host.log.filter((line) => line.startsWith("peerDisconnected"))).toHaveLength(connected);
      expect(events.map((event) => host.api.listenerCount(event))).toEqual(listenersBefore);
    } finally {
      host.api.peer = null;
      await signaling.close();
    }
  },
  WAVES * 10_000,
);
