// A host whose signaling socket came back asks for its room again (a reclaim). A server that
// answers `server_draining` or `server_unavailable` refused nothing: it cannot serve right now (it
// is shutting down, or cut off from Redis). The host must try the reclaim again later, keeping its
// room code, rather than open a fresh room under a new code its players do not know.
// (webrtc-peer.ts, #reclaimRoom.) The server here is a stand-in that answers exactly that.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket } from "socket.io";
import type { SignalingErrorCode } from "starwire-protocol";
import { afterEach, describe, expect, it } from "vitest";
import { loopbackPeer, until } from "./helpers.js";

const ROOM_CODE = "ABCD";
/** Refusals before the stand-in lets the reclaim through: more than one, so a retry is a retry. */
const REFUSALS = 2;

interface CreateRequest {
  maxPlayers: number;
  reconnectGraceMs?: number;
  reclaim?: { roomCode: string; hostToken: string; peers: number[] };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A signaling server that hands out room ROOM_CODE, drops the host's socket once, then answers
 * its reclaims with `code` REFUSALS times before granting one. Any create without a reclaim after
 * the first is a fresh room: recorded in `freshRooms`.
 */
async function standIn(code: SignalingErrorCode) {
  const seen = { reclaims: [] as string[], freshRooms: 0, granted: false };
  let creates = 0;
  const http = createServer();
  const io = new Server(http, { serveClient: false });
  io.on("connection", (socket: Socket) => {
    socket.onAny((event: string, ...args: unknown[]) => {
      const ack = args.at(-1);
      if (typeof ack !== "function") return;
      if (event !== "create") return ack({ ok: true });
      const payload = args[0] as CreateRequest;
      const ok = {
        ok: true,
        roomCode: ROOM_CODE,
        peerId: 1,
        iceServers: [],
        hostToken: "host-token",
        reconnectGraceMs: payload.reconnectGraceMs ?? 0,
      };
      creates++;
      if (payload.reclaim) {
        seen.reclaims.push(payload.reclaim.roomCode);
        if (seen.reclaims.length <= REFUSALS) return ack({ ok: false, code, message: "not now" });
        seen.granted = true;
        return ack(ok);
      }
      if (creates > 1) {
        seen.freshRooms++;
        return ack({ ...ok, roomCode: "WXYZ" });
      }
      ack(ok);
      // The server went away under the host: its socket closes, and it must reclaim its room.
      setTimeout(() => socket.disconnect(true), 50);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  cleanups.push(() => new Promise<void>((resolve) => io.close(() => resolve())));
  return { url: `http://127.0.0.1:${port}`, seen };
}

describe("a host's reclaim answered by a server that cannot serve right now", () => {
  for (const code of ["server_draining", "server_unavailable"] as const) {
    it(`is tried again until granted, keeping the room code (${code})`, async () => {
      const { url, seen } = await standIn(code);
      const host = loopbackPeer(url);
      cleanups.push(() => host.close());
      const { roomCode } = await host.createServer({ maxPlayers: 4 });
      expect(roomCode).toBe(ROOM_CODE);
      // Granted, or the failure that would replace it: a fresh room.
      await until(() => seen.granted || seen.freshRooms > 0, 15_000, "the reclaim granted");
      expect(seen.freshRooms).toBe(0);
      expect(seen.reclaims).toEqual(Array(REFUSALS + 1).fill(ROOM_CODE));
      expect(host.roomCode).toBe(ROOM_CODE);
    });
  }
});
