// The cost of sharing rooms through Redis (issue 16): the same create/join/leave churn against one
// signaling process with rooms in memory, one with rooms in Redis, and two processes on one Redis
// (hosts on one, their clients on the other, so every join and leave crosses processes). Also the
// Redis round trips per join (EVALSHA calls: one per room store step) and adapter stream entries
// (XADD) per join, counted by Redis itself, and memory per idle socket with the adapter on.
// On this 2-core machine Redis and the load generators share the cores with the servers: each run
// says whose CPU was busy, so what limited it can be told. The generators speak socket.io's wire
// protocol without socket.io-client's machinery: with socket.io-client they needed more CPU than the
// server, Redis took its share from them, and the ratio measured the starved generators (0.64–0.73
// run to run) instead of the server's cost of sharing.
import { type ChildProcess, spawn } from "node:child_process";
import { createConnection } from "node:net";
import { cpuSeconds, lines, machineBusySeconds, rssKb } from "./lib/proc.js";
import { writeResult } from "./lib/results.js";
import { unlimitedSignalingEnv } from "./lib/signaling-env.js";
import { round, summarize } from "./lib/stats.js";

const REDIS_PORT = 28790;
const PORTS = [28791, 28792] as const;
const url = (port: number) => `http://127.0.0.1:${port}`;
const IDLE_SOCKETS = 5000;
/**
 * Enough concurrent loops to keep the server near a core (48 left it latency-bound at 60–75 % CPU,
 * which measured Redis's round trips, not the capacity the ratio is about).
 */
const WORKERS = 128;
const GENERATORS = 2;
const SECONDS = 6;
/** A core counts as saturated from this CPU share on. */
const SATURATED_PERCENT = 90;
/** A churn before each measured one, unmeasured, so every server is measured with its code already optimized. */
const WARMUP_SECONDS = 2;

const pinned = (cores: string, args: string[], env: NodeJS.ProcessEnv = process.env, nice = 0) =>
  spawn("nice", ["-n", String(nice), "taskset", "-c", cores, ...args], {
    env,
    stdio: ["pipe", "pipe", "inherit"],
  });

/** One Redis command over a raw connection (RESP inline), its whole reply as text. */
function redisCommand(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port: REDIS_PORT });
    let reply = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(reply);
    }, 500);
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once("connect", () => socket.write(`${command}\r\n`));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      const header = reply.match(/^\$(\d+)\r\n/);
      const complete = header
        ? Buffer.byteLength(reply) >= header[0].length + Number(header[1]) + 2
        : /\r\n$/.test(reply);
      if (complete) {
        clearTimeout(timer);
        socket.destroy();
        resolve(reply);
      }
    });
  });
}

/** Calls of each command Redis has run so far. */
async function commandCalls(): Promise<Record<string, number>> {
  const info = await redisCommand("INFO commandstats");
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) calls[match[1]!] = Number(match[2]);
  return calls;
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if (await check()) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not start`);
}

function startSignaling(port: number, core: string, redis: boolean): ChildProcess {
  const child = pinned(core, [process.execPath, "signaling-server/dist/main.js"], {
    ...unlimitedSignalingEnv(port),
    ...(redis
      ? { REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`, ROOM_SECRET: "a-secret-for-the-benchmark" }
      : {}),
  });
  child.stdout!.resume();
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await gone;
  clearTimeout(timer);
}

interface ChurnReport {
  cpuSeconds: number;
  creates: number;
  joins: number;
  errors: number;
  latencies: number[];
}

/** The churn of signaling-load.ts: generators on both cores at nice 19, below servers and Redis. */
async function churn(
  target: string,
  servers: ChildProcess[],
  redis: ChildProcess | undefined,
  seconds = SECONDS,
) {
  const generators = Array.from({ length: GENERATORS }, () => {
    const child = pinned(
      "0,1",
      [
        process.execPath,
        "bench/dist/signaling-load-client.js",
        target,
        "churn",
        String(WORKERS / GENERATORS),
        String(seconds),
      ],
      process.env,
      19,
    );
    return { child, next: lines(child) };
  });
  for (const g of generators) await g.next();
  const serverBefore = servers.map((s) => cpuSeconds(s.pid!));
  const redisBefore = redis ? cpuSeconds(redis.pid!) : 0;
  const callsBefore = redis ? await commandCalls() : {};
  const machineBefore = machineBusySeconds();
  const started = performance.now();
  for (const g of generators) g.child.stdin!.write("go\n");
  const reports = (await Promise.all(generators.map((g) => g.next()))) as unknown as ChurnReport[];
  const elapsed = (performance.now() - started) / 1000;
  const machineCpu = machineBusySeconds() - machineBefore;
  const callsAfter = redis ? await commandCalls() : {};
  const sum = (key: "creates" | "joins" | "errors" | "cpuSeconds") => reports.reduce((t, r) => t + r[key], 0);
  const joins = sum("joins");
  const latency = summarize(reports.flatMap((r) => r.latencies));
  const per = (command: string) =>
    redis ? round(((callsAfter[command] ?? 0) - (callsBefore[command] ?? 0)) / Math.max(1, joins), 2) : 0;
  const serverCpu = servers.map((s, i) => cpuSeconds(s.pid!) - serverBefore[i]!);
  const redisCpu = redis ? cpuSeconds(redis.pid!) - redisBefore : 0;
  const percent = (cpu: number) => round((cpu / elapsed) * 100, 1);
  const ours = serverCpu.reduce((a, b) => a + b, 0) + redisCpu + sum("cpuSeconds");
  const otherCpuPercent = percent(Math.max(0, machineCpu - ours));
  const serverCpuPercent = serverCpu.map(percent);
  return {
    joinsPerSecond: Math.round(joins / elapsed),
    errors: sum("errors"),
    joinLatencyMs: { p50: round(latency.median, 2), p95: round(latency.p95, 2), p99: round(latency.p99, 2) },
    serverCpuPercent,
    redisCpuPercent: percent(redisCpu),
    generatorCpuPercent: percent(sum("cpuSeconds")),
    /** Whatever else ran on the (shared) machine meanwhile: busy time of both cores minus ours. */
    otherCpuPercent,
    /** Server CPU (all processes) per create + join + client close + host leave cycle. */
    serverCpuUsPerCycle: Math.round((serverCpu.reduce((a, b) => a + b, 0) * 1e6) / Math.max(1, joins)),
    limitedBy: serverCpuPercent.some((p) => p >= SATURATED_PERCENT)
      ? "server (its core saturated)"
      : (machineCpu / elapsed) * 100 >= 2 * SATURATED_PERCENT
        ? otherCpuPercent >= 20
          ? "the machine (both cores busy, partly with other processes)"
          : "the machine (both cores busy)"
        : "no core saturated",
    /** Per create + join + client close + host leave cycle (the churn's unit). */
    evalshaPerCycle: per("evalsha"),
    xaddPerCycle: per("xadd"),
  };
}

async function idleKbPerSocket(
  server: ChildProcess,
  port: number,
): Promise<{ held: number; kbPerIdleSocket: number }> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const base = rssKb(server.pid!);
  const idle = pinned("1", [
    process.execPath,
    "bench/dist/signaling-load-client.js",
    url(port),
    "idle",
    String(IDLE_SOCKETS),
    "0",
  ]);
  const held = (await lines(idle)()) as { held: number };
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const loaded = rssKb(server.pid!);
  idle.stdin!.end();
  await new Promise((resolve) => idle.once("exit", resolve));
  return { held: held.held, kbPerIdleSocket: round((loaded - base) / held.held, 2) };
}

const health = (port: number) => async () => (await fetch(`${url(port)}/health`)).ok;

const redis = pinned("1", [
  "redis-server",
  "--bind",
  "127.0.0.1",
  "--port",
  String(REDIS_PORT),
  "--save",
  "",
  "--appendonly",
  "no",
]);
redis.stdout!.resume();
const running: ChildProcess[] = [redis];
try {
  await waitFor(async () => (await redisCommand("PING")).startsWith("+PONG"), "redis-server");

  const memory = startSignaling(PORTS[0], "0", false);
  running.push(memory);
  await waitFor(health(PORTS[0]), "signaling (memory)");
  await churn(url(PORTS[0]), [memory], undefined, WARMUP_SECONDS);
  const inMemory = await churn(url(PORTS[0]), [memory], undefined);
  await stop(memory);

  const shared = startSignaling(PORTS[0], "0", true);
  running.push(shared);
  await waitFor(health(PORTS[0]), "signaling (redis)");
  const idle = await idleKbPerSocket(shared, PORTS[0]);
  await churn(url(PORTS[0]), [shared], redis, WARMUP_SECONDS);
  const oneWithRedis = await churn(url(PORTS[0]), [shared], redis);

  const second = startSignaling(PORTS[1], "1", true);
  running.push(second);
  await waitFor(health(PORTS[1]), "second signaling process");
  const bothProcesses = `${url(PORTS[0])},${url(PORTS[1])}`;
  await churn(bothProcesses, [shared, second], redis, WARMUP_SECONDS);
  const twoWithRedis = await churn(bothProcesses, [shared, second], redis);

  const data = {
    unit: "loopback; servers on core 0 (and core 1 for the second), redis-server on core 1, 2 load generators on both cores at nice 19",
    method: `${WORKERS} concurrent loops (new client socket, create, join, close the client, host leaves) for ${SECONDS} s after ${WARMUP_SECONDS} s unmeasured, clients speaking socket.io's WebSocket protocol (bench/lib/wire-socket.ts); in the two-process run hosts are on the first process and their clients on the second; evalsha/xadd per cycle counted by Redis (INFO commandstats)`,
    inMemory,
    oneWithRedis,
    twoWithRedis,
    /** Target ≥ 0.7 (issue 16). */
    redisOverMemoryJoinsRatio: round(oneWithRedis.joinsPerSecond / Math.max(1, inMemory.joinsPerSecond), 2),
    idleWithAdapter: idle,
  };
  writeResult("signaling-redis", data);
  console.log(
    `signaling with Redis: ${inMemory.joinsPerSecond} joins/s in memory (p99 ${inMemory.joinLatencyMs.p99} ms), ${oneWithRedis.joinsPerSecond} with Redis (p99 ${oneWithRedis.joinLatencyMs.p99} ms, ratio ${data.redisOverMemoryJoinsRatio}), ${twoWithRedis.joinsPerSecond} with two processes; ${oneWithRedis.evalshaPerCycle} EVALSHA and ${oneWithRedis.xaddPerCycle} XADD per cycle (one process), ${twoWithRedis.xaddPerCycle} XADD (two); ${idle.kbPerIdleSocket} KB per idle socket`,
  );
} finally {
  for (const child of running.reverse()) await stop(child);
}
