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

/** Starts redis-server (on `port`, else a free one) and resolves once it answers PING. */
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
    () => answersPing(listening, 10_000),
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
