// The signaling server on one core (taskset), loaded by socket.io clients in a second process on
// the other core: sockets held, memory per idle socket, create/join rate and join latency.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { writeResult } from "./lib/results.js";
import { round, summarize } from "./lib/stats.js";

const PORT = 28788;
const URL = `http://127.0.0.1:${PORT}`;
const IDLE_SOCKETS = 5000;
const CHURN_WORKERS = 50;
const CHURN_SECONDS = 6;

const pinned = (core: number, args: string[]) =>
  spawn("taskset", ["-c", String(core), process.execPath, ...args], { stdio: ["pipe", "pipe", "inherit"] });

function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
  return Number(line?.[1] ?? 0);
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
}

function firstLine(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", (line) => resolve(JSON.parse(line)));
    child.once("exit", (code) => reject(new Error(`load generator exited with ${code}`)));
  });
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
  env: {
    ...process.env,
    PORT: String(PORT),
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    MAX_ROOMS: "100000",
    EVENTS_PER_SECOND: "100000",
    EVENT_BURST: "100000",
    // The load generator is one address on purpose; per-address limits are not what is measured.
    MAX_SOCKETS_PER_ADDRESS: "0",
    ROOM_CREATES_PER_MINUTE: "0",
    JOIN_ATTEMPTS_PER_MINUTE: "0",
    FAILED_JOINS_PER_MINUTE: "0",
    MAX_ROOMS_PER_ADDRESS: "0",
    IDLE_SOCKET_TIMEOUT_MS: "0",
  },
  stdio: "ignore",
});
try {
  await waitForHealth();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const baseRss = rssKb(server.pid!);

  const idle = pinned(1, ["bench/dist/signaling-load-client.js", URL, "idle", String(IDLE_SOCKETS), "0"]);
  const held = (await firstLine(idle)) as { held: number; failed: number };
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const loadedRss = rssKb(server.pid!);
  idle.stdin!.end();
  await new Promise((resolve) => idle.once("exit", resolve));

  const cpuBefore = cpuSeconds(server.pid!);
  const churn = pinned(1, [
    "bench/dist/signaling-load-client.js",
    URL,
    "churn",
    String(CHURN_WORKERS),
    String(CHURN_SECONDS),
  ]);
  const result = (await firstLine(churn)) as {
    seconds: number;
    creates: number;
    joins: number;
    errors: number;
    latencies: number[];
  };
  const cpu = cpuSeconds(server.pid!) - cpuBefore;
  const latency = summarize(result.latencies);
  const data = {
    unit: "server pinned to core 0, load generator (socket.io clients) pinned to core 1, loopback",
    idle: {
      socketsHeld: held.held,
      failed: held.failed,
      serverRssBaseMb: round(baseRss / 1024, 1),
      serverRssLoadedMb: round(loadedRss / 1024, 1),
      kbPerIdleSocket: round((loadedRss - baseRss) / held.held, 2),
    },
    churn: {
      workers: CHURN_WORKERS,
      seconds: round(result.seconds, 2),
      createsPerSecond: Math.round(result.creates / result.seconds),
      joinsPerSecond: Math.round(result.joins / result.seconds),
      errors: result.errors,
      joinLatencyMs: {
        p50: round(latency.median, 2),
        p95: round(latency.p95, 2),
        p99: round(latency.p99, 2),
      },
      serverCpuPercent: round((cpu / result.seconds) * 100, 1),
    },
  };
  writeResult("signaling-load", data);
  console.log(
    `signaling: ${held.held} idle sockets held, ${data.idle.kbPerIdleSocket} KB each; ${data.churn.joinsPerSecond} joins/s, p99 join ${data.churn.joinLatencyMs.p99} ms`,
  );
} finally {
  server.kill("SIGTERM");
}
