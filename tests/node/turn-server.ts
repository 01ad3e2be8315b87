// A real TURN server for the tests: Debian's coturn (/usr/bin/turnserver), started by the test on
// loopback inside the run's network namespace and stopped by the pid it started. Used by tests/node/turn.test.ts
// and tests/e2e/turn.spec.ts.
import { createHmac } from "node:crypto";
import { createSocket } from "node:dgram";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBinary, startLoopbackProcess } from "../../signaling-server/test/loopback-process.js";

/** The address TURN clients talk to. */
const LISTENING_IP = "127.0.0.1";
/**
 * The address relays are allocated on. Not the listening one: TURN permissions are per IP, so with
 * one address for everything a peer's own socket could reach the other side's relay directly
 * (127.0.0.1 is "the TURN server" and "the peer" at once) and a test could not tell a relayed path
 * from a half-direct one. On 127.0.0.2 only the TURN server itself sends from a relay address.
 */
export const RELAY_IP = "127.0.0.2";

export interface TurnServer {
  /** The TURN URLs to hand out: UDP and TCP to the same port. */
  urls: string[];
  /** coturn's `static-auth-secret`: the signaling server's TURN_SECRET. */
  secret: string;
  pid: number;
  /** A credential as the signaling server mints it, for `ttlSeconds` from now (negative: expired). */
  credentials(
    ttlSeconds: number,
    label?: string,
    secret?: string,
  ): { urls: string[]; username: string; credential: string };
  /** What coturn logged (its log goes to stdout). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts coturn with TURN REST authentication (`use-auth-secret`), UDP and TCP on a free port of
 * 127.0.0.1, a user database in a fresh temporary folder, no TLS, no CLI, and loopback peers
 * allowed (it refuses them otherwise). Resolves once it answers a STUN binding request.
 */
export async function startTurnServer(secret = "turn-secret-for-the-tests-0123"): Promise<TurnServer> {
  const turnserver = findBinary("turnserver");
  if (turnserver === null) {
    throw new Error(
      "coturn's turnserver is missing: node scripts/provision.mjs installs it (Debian package coturn)",
    );
  }
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "starwire-coturn-"));
  // A relay range of its own, away from the listening port (both are ephemeral ports).
  const minPort = 40_000 + (port % 200) * 100;
  const server = await startLoopbackProcess(
    turnserver,
    [
      "-n",
      `--listening-ip=${LISTENING_IP}`,
      `--relay-ip=${RELAY_IP}`,
      `--listening-port=${port}`,
      "--use-auth-secret",
      `--static-auth-secret=${secret}`,
      "--realm=starwire.test",
      "--no-tls",
      "--no-dtls",
      "--allow-loopback-peers",
      "--no-cli",
      `--min-port=${minPort}`,
      `--max-port=${minPort + 99}`,
      `--userdb=${join(dir, "turndb")}`,
      `--pidfile=${join(dir, "turnserver.pid")}`,
      "--log-file=stdout",
      "--simple-log",
    ],
    () => answersStun(port, 10_000),
    () => rm(dir, { recursive: true, force: true }),
  );

  const urls = [`turn:${LISTENING_IP}:${port}?transport=udp`, `turn:${LISTENING_IP}:${port}?transport=tcp`];
  return {
    urls,
    secret,
    pid: server.pid,
    credentials(ttlSeconds, label = "test.1", key = secret) {
      const username = `${Math.floor(Date.now() / 1000) + ttlSeconds}-${label}`;
      return { urls, username, credential: createHmac("sha1", key).update(username).digest("base64") };
    },
    log: server.log,
    stop: server.stop,
  };
}

/**
 * A port free for both UDP and TCP on the listening address: coturn listens on both, and a port
 * the kernel picked for UDP may be some TCP connection's ephemeral port (a tab's, the signaling
 * client's), which would keep coturn from starting. A few tries, each with a fresh UDP port.
 */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, LISTENING_IP, () => resolve());
    });
    const { port } = socket.address();
    const tcp = createServer();
    const tcpFree = await new Promise<boolean>((resolve) => {
      tcp.once("error", () => resolve(false));
      tcp.listen(port, LISTENING_IP, () => resolve(true));
    });
    if (tcpFree) await new Promise<void>((resolve) => tcp.close(() => resolve()));
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (tcpFree) return port;
  }
  throw new Error(`no port free for both UDP and TCP on ${LISTENING_IP} in 20 tries`);
}

/** Sends STUN binding requests (RFC 8489) every 100 ms until one is answered with a success. */
function answersStun(port: number, timeoutMs: number): Promise<void> {
  const socket = createSocket("udp4");
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0); // Binding request, no attributes
  request.writeUInt32BE(0x2112a442, 4); // magic cookie
  for (let i = 8; i < 20; i++) request[i] = Math.floor(Math.random() * 256);
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      clearInterval(ask);
      clearTimeout(deadline);
      socket.close();
      if (error) reject(error);
      else resolve();
    };
    socket.on("message", (message) => {
      if (
        message.length >= 20 &&
        message.readUInt16BE(0) === 0x0101 &&
        message.subarray(8, 20).equals(request.subarray(8, 20))
      )
        finish();
    });
    socket.on("error", () => {}); // ICMP "port unreachable" while it starts: ask again
    const ask = setInterval(() => socket.send(request, port, LISTENING_IP), 100);
    const deadline = setTimeout(
      () =>
        finish(new Error(`turnserver did not answer STUN on ${LISTENING_IP}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
}
