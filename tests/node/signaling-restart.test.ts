// README ("Abrupt endings"): "If the signaling server restarts, running games go on over their data
// channels, the host takes its room back as soon as the server returns". A restart here is what
// SIGTERM does to the server (signaling-server/src/main.ts): close(), then a new process with the
// same ROOM_SECRET on the same port.
import { expect, it } from "vitest";
import { hostOn, joinOn, startSignaling, until } from "./helpers.js";
import { health, peerLog, untilAsync } from "./raw-client.js";

const ROOM_SECRET = "a-secret-shared-across-restarts";

it("the players of a running game stay in it across a graceful signaling restart", async () => {
  let signaling = await startSignaling({ roomSecret: ROOM_SECRET });
  const port = Number(new URL(signaling.url).port);
  const host = await hostOn(signaling.url);
  const clients = [await joinOn(signaling.url, host.roomCode), await joinOn(signaling.url, host.roomCode)];
  try {
    await until(
      () => host.api.getPeers().length === 2 && clients.every((c) => c.api.getPeers().length === 2),
      10_000,
      "everyone in the game",
    );
    // From here on, nobody may come or go.
    const hostLog = peerLog(host.api);
    const clientLogs = clients.map((client) => peerLog(client.api));
    await signaling.close();
    signaling = await startSignaling({ roomSecret: ROOM_SECRET, port });
    const url = signaling.url;
    await untilAsync(
      async () => {
        const { rooms, sockets } = await health(url);
        // Or the failure that would replace it: a player out of the game.
        return (rooms === 1 && sockets === 3) || clientLogs.some((log) => log.length > 0);
      },
      15_000,
      "the host's room and both players back on the restarted server",
    );
    expect(clientLogs).toEqual([[], []]);

    // The game goes on: one call each way, and nobody left.
    host.game.rpc("shout", "after the restart");
    for (const client of clients) client.game.rpcId(1, "hello", client.id);
    await until(
      () =>
        clients.every((c) => c.game.calls.some(([m]) => m === "shout")) &&
        clients.every((c) => host.game.calls.some(([m, from]) => m === "hello" && from === c.id)),
      10_000,
      "a call each way after the restart",
    );
    expect(clientLogs).toEqual([[], []]);
    expect(hostLog).toEqual([]);
    expect(host.api.getPeers().sort()).toEqual(clients.map((c) => c.id).sort());
  } finally {
    for (const client of clients) client.api.peer = null;
    host.api.peer = null;
    await signaling.close();
  }
}, 60_000);
