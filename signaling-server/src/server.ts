import { createServer, type Server as HttpServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { AddressLimits } from "./address-limits.js";
import type { SignalingConfig } from "./config.js";
import { createHttpHandler } from "./http-routes.js";
import { consoleLogger, type Logger, silentLogger } from "./logger.js";
import { RoomRegistry } from "./rooms.js";
import { attachSignalingEvents, type SignalingIo } from "./socket-events.js";
import { RoomTokens } from "./tokens.js";

export interface SignalingServer {
  readonly httpServer: HttpServer;
  readonly io: SignalingIo;
  /** Starts listening on config.host:config.port (port 0 picks a free port). */
  listen(): Promise<{ port: number; url: string }>;
  /** Disconnects every socket and stops listening; safe to call more than once. */
  close(): Promise<void>;
  /** What the server holds right now, for leak checks in tests; not served over HTTP. */
  debugStats(): SignalingDebugStats;
}

export interface SignalingDebugStats {
  rooms: number;
  sockets: number;
  idleTimers: number;
  /** Places kept for dropped sockets, each with its countdown. */
  graceTimers: number;
  /** Addresses each per-address map remembers; each falls back to 0 once its addresses go quiet. */
  addresses: ReturnType<AddressLimits["trackedAddresses"]>;
}

export function createSignalingServer(config: SignalingConfig, logger?: Logger): SignalingServer {
  const log = config.logLevel === "silent" ? silentLogger : (logger ?? consoleLogger);
  const registry = new RoomRegistry({ maxRooms: config.maxRooms, roomCodeLength: config.roomCodeLength });
  const addressLimits = new AddressLimits(config);
  // Without ROOM_SECRET, a random key: host and resume tokens then only hold while this process runs.
  const tokens = new RoomTokens(config.roomSecret);

  const httpServer = createServer(
    createHttpHandler(() => ({ rooms: registry.roomCount, sockets: io.of("/").sockets.size })),
  );
  const io: SignalingIo = new Server(httpServer, {
    maxHttpBufferSize: config.maxPayloadBytes,
    serveClient: false,
    cors: { origin: config.corsOrigin },
    allowRequest: (request, callback) => callback(null, isOriginAllowed(config, request)),
  });
  const events = attachSignalingEvents(io, registry, addressLimits, config, log, tokens);

  let closing: Promise<void> | undefined;

  return {
    httpServer,
    io,
    listen() {
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
    close() {
      // Places kept for dropped sockets die with the server: no countdown outlives it.
      events.close();
      // io.close() disconnects the sockets and closes the HTTP server (which also drops idle keep-alives).
      closing ??= io.close();
      return closing;
    },
    debugStats() {
      return {
        rooms: registry.roomCount,
        sockets: io.of("/").sockets.size,
        idleTimers: events.idleTimers,
        graceTimers: events.graceTimers,
        addresses: addressLimits.trackedAddresses(),
      };
    },
  };
}

/**
 * CORS only governs what browsers let pages read over HTTP long-polling; WebSocket handshakes are
 * not subject to it. So with an origin list configured, refuse handshakes from other origins here.
 * Requests without an Origin header (Node clients, such as a headless host) are not from a page.
 */
function isOriginAllowed(config: SignalingConfig, request: IncomingMessage): boolean {
  if (config.corsOrigin === "*") return true;
  const origin = request.headers.origin;
  return origin === undefined || config.corsOrigin.includes(origin);
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
