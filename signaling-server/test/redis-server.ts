// A real Redis for the tests: Debian's redis-server (what scripts/provision.mjs installs), started on
// a free port of 127.0.0.1 with nothing saved to disk, and stopped by the pid it started. Used by
// the signaling suite's Redis run (vitest project "signaling-redis") and by the two-process tests.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { delimiter, join } from "node:path";

const LISTENING_IP = "127.0.0.1";

/** Debian's redis-server, else one on the PATH. */
function findRedisServer(): string | null {
  const dirs = ["/usr/bin", ...(process.env.PATH ?? "").split(delimiter)];
  for (const dir of dirs) if (dir && existsSync(join(dir, "redis-server"))) return join(dir, "redis-server");
  return null;
}

export interface RedisServer {
  url: string;
  pid: number;
  /** What redis-server logged. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts redis-server (on `port`, else a free one) and resolves once it answers PING. */
export async function startRedisServer(port?: number): Promise<RedisServer> {
  const binary = findRedisServer();
  if (binary === null) {
    throw new Error(
      "redis-server is missing: node scripts/provision.mjs installs it (Debian package redis-server)",
    );
  }
  port ??= await freeTcpPort();
  const child = spawn(
    binary,
    [
      "--bind",
      LISTENING_IP,
      "--port",
      String(port),
      "--save",
      "",
      "--appendonly",
      "no",
      // No protected mode questions, no directory of its own: it lives as long as the test run.
      "--protected-mode",
      "no",
      "--daemonize",
      "no",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code, signal) =>
      reject(new Error(`redis-server exited (${signal ?? code}) before it answered:\n${log}`)),
    ),
  );
  exited.catch(() => {}); // it exits when stopped, long after startup
  try {
    await Promise.race([answersPing(port, 10_000), exited]);
  } catch (error) {
    await stopProcess(child);
    if (error instanceof Error && !error.message.includes(log))
      error.message += `\nredis-server's log:\n${log}`;
    throw error;
  }
  return {
    url: `redis://${LISTENING_IP}:${port}`,
    pid: child.pid!,
    log: () => log,
    stop: () => stopProcess(child),
  };
}

/** SIGTERM to the pid we started, SIGKILL if it lingers; resolves once it is gone. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await gone;
  clearTimeout(timer);
}

export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, LISTENING_IP, () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no TCP port");
  return address.port;
}

/** Sends PING every 50 ms until +PONG comes back. */
async function answersPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answered = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: LISTENING_IP, port });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once("error", () => done(false));
      socket.once("connect", () => socket.write("PING\r\n"));
      socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
      socket.setTimeout(500, () => done(false));
    });
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not answer PING on ${LISTENING_IP}:${port} within ${timeoutMs} ms`);
}
