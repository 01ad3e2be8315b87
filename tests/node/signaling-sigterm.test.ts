// Issue 16, "SIGTERM on a process during a game: nothing ends for players". The signaling server
// runs as a real child process (signaling-server/dist/main.js); SIGTERM makes it drain: it tells
// the host and players to move (serverDraining), they let go of their sockets, it exits. Alone,
// they come back when a new process starts on the same port (behind a load balancer they would
// reach another process at once). Meanwhile the game goes on over WebRTC.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, Socket as NetSocket, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { MultiplayerAPI } from "starwire/node";
import { afterEach, expect, it } from "vitest";
import { hostOn, joinOn, loopbackPeer, until } from "./helpers.js";
import { health, peerLog, untilAsync } from "./raw-client.js";

const MAIN = fileURLToPath(new URL("../../signaling-server/dist/main.js", import.meta.url));
const children: ChildProcess[] = [];
const proxies: Server[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const proxy of proxies.splice(0)) proxy.close();
});

/**
 * A load balancer as small as it gets: each new TCP connection goes to the first backend whose
 * /health answers 200 (a draining process answers 503), as a health-checked pool does.
 */
async function loadBalancer(backends: string[]): Promise<string> {
  const open = new Set<Socket>();
  const proxy = createServer((socket) => {
    open.add(socket);
    socket.pause();
    socket.on("error", () => socket.destroy());
    socket.on("close", () => open.delete(socket));
    void (async () => {
      for (const backend of backends) {
        const healthy = await fetch(`${backend}/health`).then(
          (response) => response.status === 200,
          () => false,
        );
        if (!healthy) continue;
        const { hostname, port } = new URL(backend);
        const upstream = new NetSocket();
        upstream.on("error", () => socket.destroy());
        socket.on("close", () => upstream.destroy());
        upstream.on("close", () => socket.destroy());
        upstream.connect(Number(port), hostname, () => {
          socket.pipe(upstream);
          upstream.pipe(socket);
          socket.resume();
        });
        return;
      }
      socket.destroy();
    })();
  });
  proxies.push(proxy);
  proxy.on("close", () => {
    for (const socket of open) socket.destroy();
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const address = proxy.address();
  if (address === null || typeof address === "string") throw new Error("no proxy port");
  return `http://127.0.0.1:${address.port}`;
}

/** A signaling server process; resolves once it listens, with its URL and everything it printed. */
async function signalingProcess(port: number, drainMs = 20_000) {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(port),
      ROOM_SECRET: "a-secret-shared-across-restarts",
      DRAIN_TIMEOUT_MS: String(drainMs),
      // Every test peer comes from 127.0.0.1.
      MAX_SOCKETS_PER_ADDRESS: "0",
      ROOM_CREATES_PER_MINUTE: "0",
      JOIN_ATTEMPTS_PER_MINUTE: "0",
      FAILED_JOINS_PER_MINUTE: "0",
      MAX_ROOMS_PER_ADDRESS: "0",
    },
  });
  children.push(child);
  const output = { text: "" };
  child.stdout.on("data", (chunk) => {
    output.text += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output.text += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await until(() => /listening url=(\S+)/.test(output.text) || child.exitCode !== null, 15_000, "listening");
  const url = /listening url=(\S+)/.exec(output.text)?.[1];
  if (url === undefined) throw new Error(`the signaling server did not start:\n${output.text}`);
  return { child, url, output, exited };
}

it("SIGTERM on the signaling process mid-game: nobody leaves, calls flow, and everyone is back on the next process", async () => {
  // Alone, the host has nowhere to move: it keeps its socket (for players still joining) until the
  // drain time is up.
  const first = await signalingProcess(0, 2000);
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

    first.child.kill("SIGTERM");
    const code = await Promise.race([
      first.exited,
      new Promise<string>((resolve) => setTimeout(() => resolve("still running after 15 s"), 15_000)),
    ]);
    expect(code, first.output.text).toBe(0);
    expect(first.output.text).toMatch(/draining: 3 sockets told to reconnect elsewhere/);

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

    const second = await signalingProcess(port);
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
  const a = await signalingProcess(0);
  const b = await signalingProcess(0);
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

    a.child.kill("SIGTERM");
    // Everyone moves to B and lets go of A: A exits well before its 20 s drain time, by itself
    // (or the failure: still running when the bound runs out).
    const code = await Promise.race([
      a.exited,
      new Promise<string>((resolve) => setTimeout(() => resolve("still running after 15 s"), 15_000)),
    ]);
    expect(code, a.output.text).toBe(0);
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
  const first = await signalingProcess(0, 5000);
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
    first.child.kill("SIGTERM");
    await api.whenConnected();
    expect(peer.connectionStatus).toBe("connected");
    expect(await first.exited).toBe(0);

    const second = await signalingProcess(port);
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
