import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdapter } from "@socket.io/redis-streams-adapter";
import { createClient } from "redis";
import { Server } from "socket.io";
import { AddressLimits } from "./address-limits.js";
import type { CorsOrigin, SignalingConfig } from "./config.js";
import { createHttpHandler } from "./http-routes.js";
import { consoleLogger, type Logger, REFUSAL_LOG_WINDOW_MS, SignalingLog } from "./logger.js";
import { MemoryRoomStore } from "./memory-room-store.js";
import { SignalingMetrics } from "./metrics.js";
import { type RedisClient, RedisRoomStore } from "./redis-room-store.js";
import type { RoomStore } from "./room-store.js";
import { attachSignalingEvents, type SignalingIo } from "./socket-events.js";
import { RoomTokens } from "./tokens.js";

export interface SignalingServer {
  readonly httpServer: HttpServer;
  readonly io: SignalingIo;
  /** Starts listening on config.host:config.port (port 0 picks a free port). */
  listen(): Promise<{ port: number; url: string }>;
  /** Disconnects every socket and stops listening; safe to call more than once. */
  close(): Promise<void>;
  /**
   * Graceful shutdown (SIGTERM): refuses new sockets, reports draining on /health, tells every
   * socket to reconnect elsewhere (`serverDraining`), waits until they have gone or
   * config.drainTimeoutMs has passed, then closes. Safe to call more than once.
   */
  shutdown(): Promise<void>;
  /** True from `shutdown()` on. */
  readonly draining: boolean;
  /** The Prometheus metrics this server counts (also served on GET /metrics). */
  readonly metrics: SignalingMetrics;
  /** What the server holds right now, for leak checks in tests; not served over HTTP. */
  debugStats(): SignalingDebugStats;
}

export interface SignalingDebugStats {
  rooms: number;
  sockets: number;
  idleTimers: number;
  /** Places kept for dropped sockets, each with its countdown. */
  graceTimers: number;
  /** Per-room timers (token refreshes, empty-room countdowns): none once every room closed. */
  roomTimers: number;
  /** Addresses each per-address map remembers; each falls back to 0 once its addresses go quiet. */
  addresses: ReturnType<AddressLimits["trackedAddresses"]>;
}

/** Keys of one deployment in a shared Redis; tests give each server set its own. */
export const DEFAULT_REDIS_KEY_PREFIX = "starwire:";

export interface SignalingServerOptions {
  /** Prefix of the Redis keys and streams (REDIS_URL only). */
  redisKeyPrefix?: string;
  /** How long a room outlives its host process's last renewal (REDIS_URL only; redis-room-store.ts). */
  redisLeaseMs?: number;
}

export function createSignalingServer(
  config: SignalingConfig,
  logger?: Logger,
  options: SignalingServerOptions = {},
): SignalingServer {
  const log = new SignalingLog(
    logger ?? consoleLogger,
    config.logLevel,
    REFUSAL_LOG_WINDOW_MS,
    config.logFormat,
  );
  if (config.redisUrl !== undefined && config.roomSecret === undefined) {
    throw new Error(
      "REDIS_URL needs ROOM_SECRET: every process must check host and resume tokens with one key",
    );
  }
  const prefix = options.redisKeyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
  const redis: RedisClient | undefined =
    config.redisUrl === undefined ? undefined : createClient({ url: config.redisUrl });
  // The room store's own connection fails its commands at once while disconnected (answered
  // server_unavailable at once), so no command needs a timeout signal of its own. Not the adapter's:
  // its XREAD loop would spin on the failures.
  const storeClient: RedisClient | undefined =
    config.redisUrl === undefined
      ? undefined
      : createClient({ url: config.redisUrl, disableOfflineQueue: true });
  // Its failures are the same Redis's as the adapter's connection's, logged there.
  storeClient?.on("error", () => {});
  // node-redis reconnects on its own; each failed attempt is an error event, which must be handled.
  let redisDown = false;
  redis?.on("error", (error: Error) => {
    if (redisDown) return;
    redisDown = true;
    log.info(`redis: ${error.message} (reconnecting; logged once until it is back)`);
  });
  redis?.on("ready", () => {
    if (redisDown) log.info("redis: connected again");
    redisDown = false;
  });
  const redisStore =
    storeClient === undefined
      ? undefined
      : new RedisRoomStore(storeClient, {
          keyPrefix: prefix,
          maxRooms: config.maxRooms,
          roomCodeLength: config.roomCodeLength,
          tokenTtlSeconds: config.tokenTtlSeconds,
          commandTimeoutMs: config.redisCommandTimeoutMs,
          ...(options.redisLeaseMs === undefined ? {} : { leaseMs: options.redisLeaseMs }),
        });
  const registry: RoomStore =
    redisStore ??
    new MemoryRoomStore(
      { maxRooms: config.maxRooms, roomCodeLength: config.roomCodeLength },
      config.tokenTtlSeconds,
    );
  const addressLimits = new AddressLimits(config);
  // Without ROOM_SECRET, a random key: host and resume tokens then only hold while this process runs.
  const tokens = new RoomTokens(config.roomSecret, config.tokenTtlSeconds);

  let draining = false;
  const snapshot = () => ({
    rooms: registry.roomCount,
    sockets: io.of("/").sockets.size,
    draining,
    // Reconnecting, gone, or connected but not answering PINGs (hung): take this process out of the pool.
    storeReachable:
      redis === undefined ||
      (redis.isReady && storeClient?.isReady === true && redisStore?.answering !== false),
  });
  const metrics = new SignalingMetrics(snapshot);
  const httpServer = createServer(
    createHttpHandler({
      health: snapshot,
      metrics: async () => ({ text: await metrics.text(), contentType: metrics.contentType }),
      metricsToken: config.metricsToken,
    }),
  );
  const io: SignalingIo = new Server(httpServer, {
    // With Redis, socket.io's streams adapter carries emits to sockets on other processes (a
    // signal from a host here to a client there); it also keeps connection state recovery working.
    ...(redis === undefined
      ? {}
      : {
          adapter: createAdapter(redis, {
            streamName: `${prefix}socket.io`,
            channelPrefix: `${prefix}socket.io`,
            sessionKeyPrefix: `${prefix}sio:session:`,
          }),
        }),
    maxHttpBufferSize: config.maxPayloadBytes,
    serveClient: false,
    // Allowed pages get their origin back in Access-Control-Allow-Origin; others get no CORS header.
    cors:
      config.corsOrigin === "*"
        ? { origin: "*" }
        : (request, callback) => callback(null, { origin: isOriginAllowed(config.corsOrigin, request) }),
    allowRequest: (request, callback) => {
      // Behind a load balancer the next attempt reaches another process; alone, the restarted one.
      if (draining) return callback("this signaling server is shutting down; try again", false);
      if (isOriginAllowed(config.corsOrigin, request)) return callback(null, true);
      // The origin is a website, not a player: worth telling an operator who forgot CORS_ORIGIN.
      log.refusal(
        "handshake refused (origin)",
        `handshake refused: pages from ${JSON.stringify(request.headers.origin)} may not connect; list that origin in CORS_ORIGIN if they should`,
      );
      callback("this page's origin may not use this signaling server (CORS_ORIGIN)", false);
    },
  });
  const events = attachSignalingEvents(io, registry, addressLimits, config, log, tokens, metrics);

  let closing: Promise<void> | undefined;
  let shuttingDown: Promise<void> | undefined;

  const close = (): Promise<void> => {
    // Places kept for dropped sockets die with the server: no countdown outlives it.
    events.close();
    log.close();
    // io.close() disconnects the sockets and closes the HTTP server (which also drops idle keep-alives).
    closing ??= io.close().then(async () => {
      await registry.close();
      if (redis?.isOpen) await redis.close();
      if (storeClient?.isOpen) await storeClient.close();
    });
    return closing;
  };

  return {
    httpServer,
    io,
    async listen() {
      if (redis !== undefined && !redis.isOpen) await connectRedis(redis, config.redisUrl!);
      if (storeClient !== undefined && !storeClient.isOpen) await connectRedis(storeClient, config.redisUrl!);
      await redisStore?.start();
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        httpServer.once("error", onError);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off("error", onError);
          const { port } = httpServer.address() as AddressInfo;
          resolve({ port, url: `http://${hostForUrl(config.host)}:${port}` });
        });
      });
    },
    close,
    shutdown() {
      if (shuttingDown !== undefined) return shuttingDown;
      draining = true;
      events.drain();
      shuttingDown = untilNoSockets(io, config.drainTimeoutMs).then(close);
      return shuttingDown;
    },
    get draining() {
      return draining;
    },
    metrics,
    debugStats() {
      return {
        rooms: registry.roomCount,
        sockets: io.of("/").sockets.size,
        idleTimers: events.idleTimers,
        graceTimers: events.graceTimers,
        roomTimers: events.roomTimers,
        addresses: addressLimits.trackedAddresses(),
      };
    },
  };
}

/** How long a starting server waits for Redis before it gives up (and says which Redis). */
export const REDIS_CONNECT_TIMEOUT_MS = 10_000;

async function connectRedis(redis: RedisClient, url: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Stops the client's own retries: the server will not start.
      redis.destroy();
      // The host and port only: the URL may hold a password.
      const { host } = new URL(url);
      reject(
        new Error(`Redis at ${host} (REDIS_URL) did not answer within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s`),
      );
    }, REDIS_CONNECT_TIMEOUT_MS);
  });
  try {
    await Promise.race([redis.connect(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** How often a drain looks whether every socket has gone. */
const DRAIN_POLL_MS = 50;

/** Resolves once no socket is connected, or after `timeoutMs`, whichever comes first. */
function untilNoSockets(io: SignalingIo, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const check = () => {
      if (io.of("/").sockets.size === 0 || Date.now() >= deadline) return resolve();
      setTimeout(check, Math.min(DRAIN_POLL_MS, Math.max(0, deadline - Date.now())));
    };
    check();
  });
}

/** Host names of this machine: pages served from them are the developer's own. */
const LOOPBACK_HOSTNAMES: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * CORS only governs what browsers let pages read over HTTP long-polling; WebSocket handshakes are
 * not subject to it. So handshakes from origins that are not allowed are refused here too.
 * Requests without an Origin header (Node clients, such as a headless host) are not from a page.
 *
 * "same-host" (the default) allows pages on this machine (localhost, any port: `npm start`'s Vite
 * server, the test harnesses) and pages served from the host name the request was addressed to,
 * any port (the demo on a phone at http://192.168.1.5:5173 talking to :8787 on the same machine,
 * or a game and its signaling behind one domain). Any other site's page is refused.
 */
export function isOriginAllowed(
  allowed: CorsOrigin,
  request: { headers: { origin?: string | undefined; host?: string | undefined } },
): boolean {
  const { origin } = request.headers;
  if (origin === undefined || allowed === "*") return true;
  if (Array.isArray(allowed)) return allowed.includes(origin);
  const page = parseUrl(origin);
  if (page === undefined || (page.protocol !== "http:" && page.protocol !== "https:")) return false;
  if (LOOPBACK_HOSTNAMES.has(page.hostname)) return true;
  const host = request.headers.host;
  return host !== undefined && parseUrl(`http://${host}`)?.hostname === page.hostname;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
