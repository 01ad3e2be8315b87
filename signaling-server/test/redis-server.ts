// A real Redis for the tests: Debian's redis-server (what scripts/provision.mjs installs), started on
// a free port of 127.0.0.1 with nothing saved to disk, and stopped by the pid it started. Used by
// the signaling suite's Redis run (vitest project "signaling-redis") and by the two-process tests.
import { createConnection, createServer } from "node:net";
import { findBinary, startLoopbackProcess } from "./loopback-process.js";

const LISTENING_IP = "127.0.0.1";

export interface RedisServer {
  url: string;
  pid: number;
  /** What redis-server logged. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts redis-server (on `port`, else a free one) and resolves once it, not another, answers there. */
export async function startRedisServer(port?: number): Promise<RedisServer> {
  const binary = findBinary("redis-server");
  if (binary === null) {
    throw new Error(
      "redis-server is missing: node scripts/provision.mjs installs it (Debian package redis-server)",
    );
  }
  const listening = port ?? (await freeTcpPort());
  const server = await startLoopbackProcess(
    binary,
    [
      "--bind",
      LISTENING_IP,
      "--port",
      String(listening),
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
    (pid) => answersAs(pid, listening, 10_000),
  );
  return { url: `redis://${LISTENING_IP}:${listening}`, ...server };
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

/**
 * Asks INFO server every 50 ms until the process with `pid` answers: a port already taken by another
 * redis-server would answer a PING too, and the one started here would exit unnoticed.
 */
async function answersAs(pid: number, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answeredBy = await new Promise<number | null>((resolve) => {
      const socket = createConnection({ host: LISTENING_IP, port });
      let reply = "";
      const done = (id: number | null) => {
        socket.destroy();
        resolve(id);
      };
      socket.once("error", () => done(null));
      socket.once("connect", () => socket.write("INFO server\r\n"));
      socket.on("data", (data) => {
        reply += data.toString();
        const match = /\r\nprocess_id:(\d+)\r\n/.exec(reply);
        if (match) done(Number(match[1]));
      });
      socket.setTimeout(500, () => done(null));
    });
    if (answeredBy === pid) return;
    if (answeredBy !== null)
      throw new Error(`another redis-server (pid ${answeredBy}) already answers on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not answer on ${LISTENING_IP}:${port} within ${timeoutMs} ms`);
}
