// Issue 16, "SIGTERM on a process during a game: nothing ends for players". The signaling server
// runs as a real child process (signaling-server/dist/main.js); SIGTERM makes it drain: it tells
// the host and players to move (serverDraining), they let go of their sockets, it exits. Alone,
// they come back when a new process starts on the same port (behind a load balancer they would
// reach another process at once). Meanwhile the game goes on over WebRTC.
import { MultiplayerAPI } from "starwire/node";
import { afterEach, expect, it } from "vitest";
import { hostOn, joinOn, loopbackPeer, until } from "./helpers.js";
import { health, peerLog, untilAsync } from "./raw-client.js";
import {
  type FailoverProxy,
  type SignalingProcess,
  startFailoverProxy,
  startSignalingProcess,
} from "./signaling-processes.js";

const processes: SignalingProcess[] = [];
const proxies: FailoverProxy[] = [];
afterEach(async () => {
  for (const started of processes.splice(0)) await started.kill();
  for (const proxy of proxies.splice(0)) await proxy.close();
});

/** A signaling server process (on `port`, else a free one); resolves once it listens. */
async function signalingProcess(drainMs = 20_000, port?: number): Promise<SignalingProcess> {
  const started = await startSignalingProcess(
    { ROOM_SECRET: "a-secret-shared-across-restarts", DRAIN_TIMEOUT_MS: String(drainMs) },
    port,
  );
  processes.push(started);
  return started;
}

/** A health-checked load balancer: a draining process answers 503 to /health and gets no one new. */
async function loadBalancer(backends: string[]): Promise<string> {
  const proxy = await startFailoverProxy(backends, { healthChecked: true });
  proxies.push(proxy);
  return proxy.url;
}

it("SIGTERM on the signaling process mid-game: nobody leaves, calls flow, and everyone is back on the next process", async () => {
  // Alone, the host has nowhere to move: it keeps its socket (for players still joining) until the
  // drain time is up.
  const first = await signalingProcess(2000);
  const port = Number(new URL(first.url).port);
  const host = await hostOn(first.url);
  const clients = [await joinOn(first.url, host.roomCode), await joinOn(first.url, host.roomCode)];
  try {
    await until(
      () => host.api.getPeers().length === 2 && clients.every((c) => c.api.getPeers().length === 2),
      10_000,
      "everyone in the game",
    );
    // From here on, nobody may come or go.
    const hostLog = peerLog(host.api);
    const clientLogs = clients.map((client) => peerLog(client.api));

    const code = await Promise.race([
      first.terminate().then(({ code }) => code),
      new Promise<string>((resolve) => setTimeout(() => resolve("still running after 15 s"), 15_000)),
    ]);
    expect(code, first.log()).toBe(0);
    expect(first.log()).toMatch(/draining: 3 sockets told to reconnect elsewhere/);

    // No signaling server at all now: the game goes on.
    host.game.rpc("shout", "between the processes");
    for (const client of clients) client.game.rpcId(1, "hello", client.id);
    await until(
      () =>
        clients.every((c) =>
          c.game.calls.some(([m, , v]) => m === "shout" && v === "between the processes"),
        ) && clients.every((c) => host.game.calls.some(([m, from]) => m === "hello" && from === c.id)),
      10_000,
      "a call each way with no signaling server",
    );

    const second = await signalingProcess(undefined, port);
    await untilAsync(
      async () => {
        const { rooms, sockets } = await health(second.url);
        // Or the failure that would replace it: a player out of the game.
        return (rooms === 1 && sockets === 3) || [hostLog, ...clientLogs].some((log) => log.length > 0);
      },
      20_000,
      "the host's room and both players back on the next process",
    );
    host.game.rpc("shout", "on the next process");
    await until(
      () =>
        clients.every((c) => c.game.calls.some(([m, , v]) => m === "shout" && v === "on the next process")),
      10_000,
      "a call after the move",
    );
    expect(clientLogs).toEqual([[], []]);
    expect(hostLog).toEqual([]);
    expect(host.api.getPeers().sort()).toEqual(clients.map((c) => c.id).sort());
  } finally {
    for (const client of clients) client.api.peer = null;
    host.api.peer = null;
  }
}, 90_000);

it("a rolling restart behind a load balancer: SIGTERM on process A moves everyone to process B at once, and the room takes new players there", async () => {
  const a = await signalingProcess();
  const b = await signalingProcess();
  const url = await loadBalancer([a.url, b.url]);
  const host = await hostOn(url);
  const clients = [await joinOn(url, host.roomCode), await joinOn(url, host.roomCode)];
  const late: Awaited<ReturnType<typeof joinOn>>[] = [];
  try {
    await until(
      () => host.api.getPeers().length === 2 && clients.every((c) => c.api.getPeers().length === 2),
      10_000,
      "everyone in the game on process A",
    );
    const hostLog = peerLog(host.api);
    const clientLogs = clients.map((client) => peerLog(client.api));

    // Everyone moves to B and lets go of A: A exits well before its 20 s drain time, by itself
    // (or the failure: still running when the bound runs out).
    const code = await Promise.race([
      a.terminate().then(({ code }) => code),
      new Promise<string>((resolve) => setTimeout(() => resolve("still running after 15 s"), 15_000)),
    ]);
    expect(code, a.log()).toBe(0);
    await untilAsync(
      async () => {
        const { rooms, sockets } = await health(b.url);
        return (rooms === 1 && sockets === 3) || [hostLog, ...clientLogs].some((log) => log.length > 0);
      },
      15_000,
      "the host's room and both players on process B",
    );
    // The room is live on B: a new player joins through the load balancer and plays.
    late.push(await joinOn(url, host.roomCode));
    await until(() => host.api.getPeers().length === 3, 10_000, "the late player in the game");
    host.game.rpc("shout", "after the rolling restart");
    await until(
      () =>
        [...clients, ...late].every((c) =>
          c.game.calls.some(([m, , v]) => m === "shout" && v === "after the rolling restart"),
        ),
      10_000,
      "a call to everyone after the move",
    );
    // Nobody left or reconnected: the only event anyone saw is the newcomer.
    const newcomer = `peerConnected ${late[0]!.id}`;
    expect(clientLogs).toEqual([[newcomer], [newcomer]]);
    expect(hostLog).toEqual([newcomer]);
  } finally {
    for (const client of [...clients, ...late]) client.api.peer = null;
    host.api.peer = null;
  }
}, 90_000);

it("a player still joining when the signaling process gets SIGTERM gets in, and is back with everyone on the next process", async () => {
  const first = await signalingProcess(5000);
  const port = Number(new URL(first.url).port);
  const host = await hostOn(first.url);
  const hostLog = peerLog(host.api);
  const api = new MultiplayerAPI();
  const clientLog = peerLog(api);
  const peer = loopbackPeer(first.url);
  api.peer = peer;
  try {
    // The server has given the player its place; its WebRTC connection is still being negotiated
    // through the server when the server is told to stop.
    await peer.createClient(host.roomCode);
    const exited = first.terminate();
    await api.whenConnected();
    expect(peer.connectionStatus).toBe("connected");
    expect((await exited).code).toBe(0);

    const second = await signalingProcess(undefined, port);
    await untilAsync(
      async () => {
        const { rooms, sockets } = await health(second.url);
        return (rooms === 1 && sockets === 2) || clientLog.length > 1 || hostLog.length > 1;
      },
      20_000,
      "the host's room and the player on the next process",
    );
    expect(clientLog).toEqual(["peerConnected 1"]);
    expect(hostLog).toEqual([`peerConnected ${peer.uniqueId}`]);
  } finally {
    api.peer = null;
    host.api.peer = null;
  }
}, 90_000);
