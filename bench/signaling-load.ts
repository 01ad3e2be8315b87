// The signaling server on one core (taskset), loaded by generator processes speaking socket.io's wire
// protocol (bench/lib/wire-socket.ts: the server's work per client is a socket.io-client's):
// sockets held, memory per idle socket, create/join rate, join latency, and the CPU of the server
// and of the generators, so each rate says what limited it. The generators run first on the other
// core only (1 and 2 processes), then on both cores at the lowest priority (nice 19), so they can
// use whatever the server leaves of its core without taking it from the server.
import { spawn } from "node:child_process";
import { cpuSeconds, lines, machineBusySeconds, rssKb } from "./lib/proc.js";
import { writeResult } from "./lib/results.js";
import { unlimitedSignalingEnv } from "./lib/signaling-env.js";
import { round, summarize } from "./lib/stats.js";

const PORT = 28788;
const URL = `http://127.0.0.1:${PORT}`;
const IDLE_SOCKETS = 5000;
/** Concurrent create/join loops in all, split evenly over the generator processes. */
const CHURN_WORKERS = 48;
const CHURN_SETUPS = [
  { processes: 1, cores: "1", nice: 0 },
  { processes: 2, cores: "1", nice: 0 },
  { processes: 2, cores: "0,1", nice: 19 },
  { processes: 4, cores: "0,1", nice: 19 },
];
const CHURN_SECONDS = 6;
/** A core counts as saturated from this CPU share on. */
const SATURATED_PERCENT = 90;

/** Node on the given cores at the given niceness (nice and taskset exec, so the pid is Node's). */
const pinned = (cores: string, args: string[], nice = 0) =>
  spawn("nice", ["-n", String(nice), "taskset", "-c", cores, process.execPath, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });

interface ChurnReport {
  seconds: number;
  cpuSeconds: number;
  creates: number;
  joins: number;
  errors: number;
  latencies: number[];
}

/** One churn run with generator processes placed as `setup` says; server CPU over the same window. */
async function churn(serverPid: number, setup: (typeof CHURN_SETUPS)[number]) {
  const { processes, cores, nice } = setup;
  const generators = Array.from({ length: processes }, () => {
    const child = pinned(
      cores,
      [
        "bench/dist/signaling-load-client.js",
        URL,
        "churn",
        String(CHURN_WORKERS / processes),
        String(CHURN_SECONDS),
      ],
      nice,
    );
    return { child, next: lines(child) };
  });
  for (const g of generators) await g.next(); // {ready}: every host socket is connected
  const cpuBefore = cpuSeconds(serverPid);
  const machineBefore = machineBusySeconds();
  const started = performance.now();
  for (const g of generators) g.child.stdin!.write("go\n");
  const reports = (await Promise.all(generators.map((g) => g.next()))) as unknown as ChurnReport[];
  const seconds = (performance.now() - started) / 1000;
  const serverCpu = cpuSeconds(serverPid) - cpuBefore;
  const machineCpu = machineBusySeconds() - machineBefore;
  const sum = (key: "creates" | "joins" | "errors" | "cpuSeconds") =>
    reports.reduce((total, r) => total + r[key], 0);
  const latency = summarize(reports.flatMap((r) => r.latencies));
  const serverCpuPercent = round((serverCpu / seconds) * 100, 1);
  const generatorCpuPercent = round((sum("cpuSeconds") / seconds) * 100, 1);
  // Whatever else ran on the (shared) machine meanwhile: busy time of all cores minus ours.
  const otherCpuPercent = round((Math.max(0, machineCpu - serverCpu - sum("cpuSeconds")) / seconds) * 100, 1);
  const limitedBy =
    serverCpuPercent >= SATURATED_PERCENT
      ? "server (its core saturated)"
      : cores === "1" && generatorCpuPercent >= SATURATED_PERCENT
        ? "load generators (core 1 saturated)"
        : serverCpuPercent + generatorCpuPercent + otherCpuPercent >= 2 * SATURATED_PERCENT
          ? otherCpuPercent >= 20
            ? "the machine (both cores busy, partly with other processes)"
            : "the machine (both cores busy)"
          : otherCpuPercent >= 20
            ? "no core saturated; other processes on the machine took CPU"
            : "no core saturated";
  return {
    generatorProcesses: processes,
    generatorCores: cores,
    generatorNice: nice,
    workers: CHURN_WORKERS,
    seconds: round(seconds, 2),
    createsPerSecond: Math.round(sum("creates") / seconds),
    joinsPerSecond: Math.round(sum("joins") / seconds),
    errors: sum("errors"),
    joinLatencyMs: {
      p50: round(latency.median, 2),
      p95: round(latency.p95, 2),
      p99: round(latency.p99, 2),
    },
    serverCpuPercent,
    generatorCpuPercent,
    otherCpuPercent,
    /** Server CPU per create + join + leave cycle (with the sockets' connects and closes). */
    serverCpuMsPerJoin: round((serverCpu * 1000) / Math.max(1, sum("joins")), 3),
    generatorCpuMsPerJoin: round((sum("cpuSeconds") * 1000) / Math.max(1, sum("joins")), 3),
    limitedBy,
  };
}

async function waitForHealth(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${URL}/health`)).ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("signaling server did not start");
}

const server = spawn("taskset", ["-c", "0", process.execPath, "signaling-server/dist/main.js"], {
  env: unlimitedSignalingEnv(PORT),
  stdio: "ignore",
});
try {
  await waitForHealth();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const baseRss = rssKb(server.pid!);

  const idle = pinned("1", ["bench/dist/signaling-load-client.js", URL, "idle", String(IDLE_SOCKETS), "0"]);
  const held = (await lines(idle)()) as { held: number; failed: number };
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const loadedRss = rssKb(server.pid!);
  idle.stdin!.end();
  await new Promise((resolve) => idle.once("exit", resolve));

  const runs = [];
  for (const setup of CHURN_SETUPS) runs.push(await churn(server.pid!, setup));
  const best = runs.reduce((a, b) => (b.joinsPerSecond > a.joinsPerSecond ? b : a));
  const data = {
    unit: "server pinned to core 0, load generators (socket.io's WebSocket protocol, bench/lib/wire-socket.ts; idle sockets: socket.io-client) in separate processes, loopback",
    idle: {
      socketsHeld: held.held,
      failed: held.failed,
      serverRssBaseMb: round(baseRss / 1024, 1),
      serverRssLoadedMb: round(loadedRss / 1024, 1),
      kbPerIdleSocket: round((loadedRss - baseRss) / held.held, 2),
    },
    churnMethod: `${CHURN_WORKERS} concurrent loops (new client socket, create, join, leave) split evenly over the generator processes; generators on core 1 only, or on both cores at nice 19 (below the server); CPU % is of one core (generators on two cores can exceed 100); a core counts as saturated from ${SATURATED_PERCENT} %; other CPU % is the machine's busy time (/proc/stat) minus server and generators; the headline is the run with the most joins/s`,
    churn: best,
    churnRuns: runs,
  };
  writeResult("signaling-load", data);
  console.log(
    `signaling: ${held.held} idle sockets held, ${data.idle.kbPerIdleSocket} KB each; ${runs.map((r) => `${r.generatorProcesses} generator(s) on core(s) ${r.generatorCores}: ${r.joinsPerSecond} joins/s, server ${r.serverCpuPercent} %, generators ${r.generatorCpuPercent} %`).join("; ")}`,
  );
} finally {
  server.kill("SIGTERM");
}
