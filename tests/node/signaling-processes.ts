// Real signaling processes for the multi-process tests (signaling-server/dist/main.js, as
// `npm start` runs it), and a failover TCP proxy on loopback standing in for the load balancer
// that a deployment of several processes puts in front of them.
import { type ChildProcess, spawn } from "node:child_process";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { freeTcpPort } from "../../signaling-server/test/redis-server.js";

const MAIN = fileURLToPath(new URL("../../signaling-server/dist/main.js", import.meta.url));

export interface SignalingProcess {
  url: string;
  pid: number;
  log(): string;
  /** SIGKILL: the process dies as in a crash, with no goodbye to its sockets. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL if it lingers; resolves once it is gone. */
  stop(): Promise<void>;
  /** SIGTERM only (the process drains); resolves with how it exited, whenever that is. */
  terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node signaling-server/dist/main.js` with `env` (on `port`, else a free one); resolves
 * once it listens.
 */
export async function startSignalingProcess(
  env: Record<string, string>,
  port?: number,
): Promise<SignalingProcess> {
  port ??= await freeTcpPort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(port),
      // Every test peer comes from 127.0.0.1: per-address limits would count them as one attacker.
      MAX_SOCKETS_PER_ADDRESS: "0",
      ROOM_CREATES_PER_MINUTE: "0",
      JOIN_ATTEMPTS_PER_MINUTE: "0",
      FAILED_JOINS_PER_MINUTE: "0",
      MAX_ROOMS_PER_ADDRESS: "0",
      EVENTS_PER_SECOND: "2000",
      EVENT_BURST: "4000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-50_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`signaling did not listen within 10 s:\n${log}`)),
      10_000,
    );
    const check = () => {
      if (!log.includes("listening url=")) return;
      clearTimeout(timer);
      resolve();
    };
    child.stdout!.on("data", check);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`signaling exited (${signal ?? code}) before it listened:\n${log}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    log: () => log,
    kill: () => ended(child, "SIGKILL"),
    stop: () => ended(child, "SIGTERM"),
    terminate: () => {
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve({ code: child.exitCode, signal: child.signalCode });
        } else child.once("exit", (code, signal) => resolve({ code, signal }));
      });
      child.kill("SIGTERM");
      return exited;
    },
  };
}

async function ended(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await gone;
  clearTimeout(timer);
}

export interface FailoverProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * Each new connection goes to the first backend that accepts it, in order: while the first is up
 * everyone lands there; once it is gone, on the next. What a load balancer does when its health
 * check drops a backend (the signaling client uses the WebSocket transport only, so no stickiness
 * is needed: one connection is one socket.io session). `healthChecked`: a backend counts as up
 * only while its /health answers 200 (a draining process answers 503), checked per connection.
 */
export async function startFailoverProxy(
  backends: readonly string[],
  { healthChecked = false }: { healthChecked?: boolean } = {},
): Promise<FailoverProxy> {
  const open = new Set<Socket>();
  const healthy = (backend: string): Promise<boolean> =>
    fetch(`${backend}/health`, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.status === 200,
      () => false,
    );
  const server: Server = createServer((incoming) => {
    open.add(incoming);
    incoming.once("close", () => open.delete(incoming));
    incoming.on("error", () => incoming.destroy());
    incoming.pause();
    const tryBackend = async (index: number): Promise<void> => {
      const backend = backends[index];
      if (backend === undefined) {
        incoming.destroy();
        return;
      }
      if (healthChecked && !(await healthy(backend))) return tryBackend(index + 1);
      const { hostname, port } = new URL(backend);
      const outgoing = createConnection({ host: hostname, port: Number(port) });
      let connected = false;
      outgoing.on("error", () => {
        // Refused: that backend is down, so the next one. Later errors end with "close" below.
        if (!connected) void tryBackend(index + 1);
      });
      outgoing.once("connect", () => {
        connected = true;
        open.add(outgoing);
        outgoing.once("close", () => {
          open.delete(outgoing);
          incoming.destroy();
        });
        incoming.once("close", () => outgoing.destroy());
        incoming.on("error", () => outgoing.destroy());
        incoming.pipe(outgoing);
        outgoing.pipe(incoming);
        incoming.resume();
      });
    };
    void tryBackend(0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
