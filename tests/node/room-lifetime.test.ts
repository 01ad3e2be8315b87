// What a room's lifetime on the signaling server means to a game: host tokens expire and are
// refreshed while the host is connected (so a reclaim after a restart still works long after the
// first token expired), and a room nobody joins is closed and reported to its host.
import type { ConnectionFailedReason } from "starwire/node";
import { expect, it } from "vitest";
import { hostOn, joinOn, startSignaling, until } from "./helpers.js";

const ROOM_SECRET = "a-secret-shared-across-restarts";

it("a host reclaims its room after a signaling restart with the refreshed token, long after the first one expired", async () => {
  let signaling = await startSignaling({ roomSecret: ROOM_SECRET, tokenTtlSeconds: 2 });
  const port = Number(new URL(signaling.url).port);
  const host = await hostOn(signaling.url);
  const client = await joinOn(signaling.url, host.roomCode);
  try {
    // Three token lifetimes: the token from `create` (and the client's from `join`) expired long ago.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    await signaling.close();
    signaling = await startSignaling({ roomSecret: ROOM_SECRET, tokenTtlSeconds: 2, port });
    const late = await joinOn(signaling.url, host.roomCode).catch((error: Error) => error);
    // The first join may land before the host has reclaimed: then the room is not there yet.
    const joined =
      late instanceof Error
        ? await (async () => {
            await until(() => host.peer.debugStats().signalingOpen, 10_000, "the host back on the server");
            return joinOn(signaling.url, host.roomCode);
          })()
        : late;
    expect(host.peer.roomCode).toBe(host.roomCode);
    await until(() => host.api.getPeers().length === 2, 10_000, "the late player in the same room");
    expect(host.api.getPeers().sort()).toEqual([client.id, joined.id].sort());
    joined.api.peer = null;
  } finally {
    client.api.peer = null;
    host.api.peer = null;
    await signaling.close();
  }
}, 60_000);

it("a room nobody joins is closed by the server, and its host is told why", async () => {
  const signaling = await startSignaling({ emptyRoomTimeoutMs: 1000 });
  const host = await hostOn(signaling.url);
  try {
    const failed = new Promise<ConnectionFailedReason>((resolve) =>
      host.api.on("connectionFailed", (reason) => resolve(reason)),
    );
    const timeout = new Promise<string>((resolve) =>
      setTimeout(() => resolve("no connectionFailed in 10 s"), 10_000),
    );
    expect(await Promise.race([failed, timeout])).toBe("room_expired");
    expect(host.api.connectionStatus).toBe("disconnected");
    const late = await joinOn(signaling.url, host.roomCode).catch(
      (error: { reason?: string }) => error.reason,
    );
    expect(late).toBe("no_such_room");
  } finally {
    host.api.peer = null;
    await signaling.close();
  }
}, 30_000);
