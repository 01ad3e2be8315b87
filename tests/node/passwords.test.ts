// Room passwords through the SDK over real WebRTC: the transport (`createServer({ password })`,
// `createClient(code, { password })`) and the lobby (`createGame`, `joinGame(code, info,
// { password })`). The right password joins, a wrong or missing one fails with `wrong_password`,
// and a host that reclaims its room after a signaling restart keeps its password.
import { type ConnectionFailedReason, Lobby, MultiplayerAPI } from "starwire/node";
import { expect, it } from "vitest";
import { Game, loopbackPeer, recordEvents, startSignaling, until } from "./helpers.js";
import { untilAsync } from "./raw-client.js";

const PASSWORD = "correct horse battery staple";

async function passwordHost(url: string) {
  const api = new MultiplayerAPI();
  const peer = loopbackPeer(url);
  const { roomCode } = await peer.createServer({ maxPlayers: 8, password: PASSWORD });
  api.peer = peer;
  const game = api.root.addChild(new Game(api));
  return { api, peer, game, roomCode };
}

/** A join's outcome: "connected", or the reason it failed (from the rejection and the event alike). */
async function tryJoin(url: string, roomCode: string, password?: string) {
  const api = new MultiplayerAPI();
  const log = recordEvents(api);
  const peer = loopbackPeer(url);
  api.peer = peer;
  const game = api.root.addChild(new Game(api));
  const outcome = await peer.createClient(roomCode, password === undefined ? {} : { password }).then(
    () => api.whenConnected().then(() => "connected"),
    (error: { reason?: ConnectionFailedReason }) => `refused ${error.reason}`,
  );
  return { api, peer, game, log, outcome, id: peer.uniqueId };
}

it("createServer with a password admits the right password only", async () => {
  const signaling = await startSignaling();
  const host = await passwordHost(signaling.url);
  const joins: Awaited<ReturnType<typeof tryJoin>>[] = [];
  try {
    for (const attempt of [
      undefined,
      "",
      "correct horse battery",
      `${PASSWORD} `,
      "Correct horse battery staple",
    ]) {
      const join = await tryJoin(signaling.url, host.roomCode, attempt);
      joins.push(join);
      expect(join.outcome, String(attempt)).toBe("refused wrong_password");
      expect(join.log, String(attempt)).toEqual(["connectionFailed wrong_password"]);
      expect(join.api.connectionStatus).toBe("disconnected");
    }
    const right = await tryJoin(signaling.url, host.roomCode, PASSWORD);
    joins.push(right);
    expect(right.outcome).toBe("connected");
    await until(() => host.api.getPeers().includes(right.id), 10_000, "the player in the host's game");
    right.game.rpcId(1, "hello", 1);
    await until(() => host.game.calls.length > 0, 5000, "a hello");
    expect(host.game.calls).toEqual([["hello", right.id, 1]]);
    expect(host.api.getPeers()).toEqual([right.id]);
  } finally {
    for (const join of joins) join.api.peer = null;
    host.api.peer = null;
    await signaling.close();
  }
}, 60_000);

interface Info {
  name: string;
}

function lobbyOn(url: string) {
  const api = new MultiplayerAPI();
  const lobby = Lobby.of<Info>({ createPeer: () => loopbackPeer(url), pingIntervalMs: 0 }, api);
  return { api, lobby };
}

it("Lobby.createGame with a password; joinGame with the right one joins, a wrong one fails", async () => {
  const signaling = await startSignaling();
  const host = lobbyOn(signaling.url);
  const wrong = lobbyOn(signaling.url);
  const none = lobbyOn(signaling.url);
  const right = lobbyOn(signaling.url);
  try {
    const roomCode = await host.lobby.createGame({
      maxPlayers: 4,
      password: PASSWORD,
      info: { name: "host" },
    });
    for (const [who, options] of [
      [wrong, { password: "hunter2" }],
      [none, {}],
    ] as const) {
      const failed = who.api.next("connectionFailed");
      const error = await who.lobby.joinGame(roomCode, { name: "guesser" }, options).then(
        () => null,
        (e: { reason?: string }) => e.reason,
      );
      expect(error).toBe("wrong_password");
      expect((await failed)[0]).toBe("wrong_password");
      expect(who.lobby.players.size).toBe(0);
    }
    await right.lobby.joinGame(roomCode, { name: "ann" }, { password: PASSWORD });
    await right.api.whenConnected();
    await until(
      () => host.lobby.players.size === 2 && right.lobby.players.size === 2,
      10_000,
      "both lobbies listing both players",
    );
    const names = (lobby: Lobby<Info>) => [...lobby.players.values()].map((p) => p.info.name).sort();
    expect(names(host.lobby)).toEqual(["ann", "host"]);
    expect(names(right.lobby)).toEqual(["ann", "host"]);
  } finally {
    for (const each of [right, none, wrong, host]) each.lobby.dispose();
    await signaling.close();
  }
}, 60_000);

it("a host that reclaims its room after a signaling restart keeps the password", async () => {
  const ROOM_SECRET = "a-secret-shared-across-restarts";
  let signaling = await startSignaling({ roomSecret: ROOM_SECRET });
  const port = Number(new URL(signaling.url).port);
  const host = await passwordHost(signaling.url);
  const joins: Awaited<ReturnType<typeof tryJoin>>[] = [];
  try {
    await signaling.close();
    signaling = await startSignaling({ roomSecret: ROOM_SECRET, port });
    // The restarted server knows no room until the host has reclaimed its own.
    const url = signaling.url;
    await untilAsync(
      async () => {
        const health = (await (await fetch(`${url}/health`)).json()) as { rooms: number };
        return health.rooms === 1;
      },
      15_000,
      "the host's room back on the restarted server",
    );
    expect(host.peer.roomCode).toBe(host.roomCode);

    // Refused for the password, not for a missing room: the room is there, and still locked.
    for (const attempt of [undefined, "hunter2"]) {
      const join = await tryJoin(signaling.url, host.roomCode, attempt);
      joins.push(join);
      expect(join.outcome, String(attempt)).toBe("refused wrong_password");
    }
    const late = await tryJoin(signaling.url, host.roomCode, PASSWORD);
    joins.push(late);
    expect(late.outcome).toBe("connected");
    await until(() => host.api.getPeers().includes(late.id), 10_000, "the player in the host's game");
    expect(host.api.getPeers()).toEqual([late.id]);
  } finally {
    for (const join of joins) join.api.peer = null;
    host.api.peer = null;
    await signaling.close();
  }
}, 60_000);
