// Two real signaling processes sharing one Redis (issue 16): a host on process A, its clients on
// process B behind a load balancer (a failover TCP proxy on loopback stands in for it), over real
// WebRTC. Process B is killed mid-game (SIGKILL: no goodbye to its sockets): its clients' signaling
// sockets come back through the proxy to A, resume their places, and the game goes on; a player
// joining after that forms its connection to the host through A. Then a rolling restart behind
// health-checked balancers: SIGTERM on A (a client moves to B, where its host is), A back,
// SIGTERM on B (the host and every client move to A); calls flow throughout and nobody leaves.
import { afterEach, expect, it } from "vitest";
import { startRedisServer } from "../../signaling-server/test/redis-server.js";
import { hostOn, joinOn, until } from "./helpers.js";
import { health, peerLog, untilAsync } from "./raw-client.js";
import {
  type FailoverProxy,
  type SignalingProcess,
  startFailoverProxy,
  startSignalingProcess,
} from "./signaling-processes.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `promise`, or a failure naming what did not happen within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what()}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Redis and two signaling processes on it, A and B, all stopped after the test. */
async function twoProcesses(extraEnv: Record<string, string> = {}) {
  const redis = await startRedisServer();
  cleanups.push(() => redis.stop());
  const env = {
    REDIS_URL: redis.url,
    ROOM_SECRET: "a-secret-shared-by-both-processes",
    LOG_LEVEL: "info",
    ...extraEnv,
  };
  const a: SignalingProcess = await startSignalingProcess(env);
  cleanups.push(() => a.stop());
  const b: SignalingProcess = await startSignalingProcess(env);
  cleanups.push(() => b.stop());
  return { env, a, b };
}

/** A host on `hostUrl` and a client on each of `clientUrls`, once everyone is in the game. */
async function gameAcross(hostUrl: string, clientUrls: string[], logs: () => string) {
  const host = await hostOn(hostUrl);
  cleanups.push(() => {
    host.api.peer = null;
  });
  const clients: Player[] = [];
  cleanups.push(() => {
    for (const client of clients) client.api.peer = null;
  });
  for (const url of clientUrls) clients.push(await joinOn(url, host.roomCode));
  await until(
    () =>
      host.api.getPeers().length === clients.length &&
      clients.every((c) => c.api.getPeers().length === clients.length),
    15_000,
    `everyone in the game${logs()}`,
  );
  return { host, clients };
}

type Player = Awaited<ReturnType<typeof joinOn>>;

/**
 * A newcomer joins through `url` and a call goes each way; the host and clients saw no one come or
 * go but the newcomer (`hostLog`, `clientLogs`: from peerLog, since the game formed).
 */
async function newcomerPlays(
  url: string,
  { host, clients }: Awaited<ReturnType<typeof gameAcross>>,
  hostLog: string[],
  clientLogs: string[][],
  logs: () => string,
  after: string,
) {
  const late = await joinOn(url, host.roomCode);
  cleanups.push(() => {
    late.api.peer = null;
  });
  await until(
    () => host.api.getPeers().length === 3 && late.api.getPeers().length === 3,
    15_000,
    `the newcomer in the game${logs()}`,
  );
  host.game.rpc("shout", "after");
  for (const client of [...clients, late]) client.game.rpcId(1, "hello", client.id);
  await until(
    () =>
      [...clients, late].every((c) => c.game.calls.some(([m, , v]) => m === "shout" && v === "after")) &&
      [...clients, late].every((c) => host.game.calls.some(([m, from]) => m === "hello" && from === c.id)),
    10_000,
    `a call each way ${after}`,
  );
  expect(clientLogs.map((log) => log.filter((line) => !line.startsWith("peerConnected")))).toEqual([[], []]);
  expect(hostLog.filter((line) => !line.startsWith("peerConnected"))).toEqual([]);
  expect(host.api.getPeers().sort()).toEqual([...clients, late].map((c) => c.id).sort());
}

it("host on A, clients on B: the game forms, plays, and survives B being killed", async () => {
  const { a, b } = await twoProcesses();
  // New connections go to B while it is up, then to A.
  const balancer: FailoverProxy = await startFailoverProxy([b.url, a.url]);
  cleanups.push(() => balancer.close());
  const logs = () => `\nA:\n${a.log()}\nB:\n${b.log()}`;

  const game = await gameAcross(a.url, [balancer.url, balancer.url], logs);
  const { host, clients } = game;
  // Sockets are each process's own; `rooms` is the deployment's, as each process last counted it.
  expect(await health(a.url)).toMatchObject({ rooms: 1, sockets: 1 });
  expect((await health(b.url)).sockets).toBe(2);
  // A call each way, offers and answers having crossed from B to A and back.
  host.game.rpc("shout", "before");
  for (const client of clients) client.game.rpcId(1, "hello", client.id);
  await until(
    () =>
      clients.every((c) => c.game.calls.some(([m, , v]) => m === "shout" && v === "before")) &&
      clients.every((c) => host.game.calls.some(([m, from]) => m === "hello" && from === c.id)),
    10_000,
    "a call each way",
  );

  // From here on, nobody may come or go.
  const hostLog = peerLog(host.api);
  const clientLogs = clients.map((client) => peerLog(client.api));
  await b.kill();
  await untilAsync(
    async () => (await health(a.url)).sockets === 3 || clientLogs.some((log) => log.length > 0),
    20_000,
    `both clients' signaling back, on A${logs()}`,
  );
  expect(clientLogs).toEqual([[], []]);

  // The game goes on, and a newcomer's connection to the host is brokered by A.
  await newcomerPlays(balancer.url, game, hostLog, clientLogs, logs, "after B died");
}, 90_000);

it("a rolling restart (SIGTERM on A, A back, SIGTERM on B): every socket moves, calls flow, nobody leaves", async () => {
  // A drain time far above what moving takes: a process must exit because everyone moved, not
  // because its time ran out.
  const { env, a, b } = await twoProcesses({ DRAIN_TIMEOUT_MS: "120000" });
  // Two health-checked load balancers that prefer different processes, so the game spans both.
  const toA: FailoverProxy = await startFailoverProxy([a.url, b.url], { healthChecked: true });
  cleanups.push(() => toA.close());
  const toB: FailoverProxy = await startFailoverProxy([b.url, a.url], { healthChecked: true });
  cleanups.push(() => toB.close());
  let a2: SignalingProcess | undefined;
  const logs = () => `\nA:\n${a.log()}\nB:\n${b.log()}\nA again:\n${a2?.log() ?? ""}`;

  // The host and one client on B, the other client on A.
  const game = await gameAcross(toB.url, [toA.url, toB.url], logs);
  const { host, clients } = game;
  expect((await health(a.url)).sockets).toBe(1);
  expect((await health(b.url)).sockets).toBe(2);

  // From here on, nobody may come or go; calls go both ways all along.
  const hostLog = peerLog(host.api);
  const clientLogs = clients.map((client) => peerLog(client.api));
  let round = 0;
  const calls = setInterval(() => {
    round++;
    host.game.rpc("shout", `during ${round}`);
    for (const client of clients) client.game.rpcId(1, "hello", client.id);
  }, 50);
  cleanups.push(() => clearInterval(calls));
  const callsArrived = (what: string) => {
    const last = `during ${round}`;
    const sent = round;
    return until(
      () =>
        clients.every((c) => c.game.calls.some(([m, , v]) => m === "shout" && v === last)) &&
        clients.every(
          (c) => host.game.calls.filter(([m, from]) => m === "hello" && from === c.id).length >= sent,
        ),
      10_000,
      `every call made ${what} delivered${logs()}`,
    );
  };

  // SIGTERM on A: its client moves to B, where the host stays.
  expect(await within(a.terminate(), 30_000, () => `A to exit${logs()}`)).toEqual({ code: 0, signal: null });
  await untilAsync(
    async () => (await health(b.url)).sockets === 3 || clientLogs.some((log) => log.length > 0),
    20_000,
    `everyone's signaling on B${logs()}`,
  );
  await callsArrived("while A stopped");

  // A is back on its port; SIGTERM on B: the host and both clients move to it.
  a2 = await startSignalingProcess(env, Number(new URL(a.url).port));
  cleanups.push(() => a2?.stop());
  expect(await within(b.terminate(), 30_000, () => `B to exit${logs()}`)).toEqual({ code: 0, signal: null });
  await untilAsync(
    async () => (await health(a2!.url)).sockets === 3 || clientLogs.some((log) => log.length > 0),
    20_000,
    `everyone's signaling back on A${logs()}`,
  );
  await callsArrived("while B stopped");
  clearInterval(calls);
  expect(clientLogs).toEqual([[], []]);

  // The game goes on, and a newcomer's connection to the host is brokered by the new A.
  await newcomerPlays(toB.url, game, hostLog, clientLogs, logs, "after the restart");
}, 120_000);
