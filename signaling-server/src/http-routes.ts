import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface HealthSnapshot {
  rooms: number;
  sockets: number;
  /** Shutting down (SIGTERM): answered 503 so load balancers send new players elsewhere. */
  draining: boolean;
  /** False while the shared room store (Redis) cannot be reached: answered 503 too. */
  storeReachable: boolean;
}

export interface HttpRoutes {
  health(): HealthSnapshot;
  /** The Prometheus text exposition and its content type. */
  metrics(): Promise<{ text: string; contentType: string }>;
  /** When set, /metrics wants `Authorization: Bearer <token>`; otherwise it is open. */
  metricsToken: string | undefined;
}

/**
 * Plain HTTP next to socket.io (which answers its own path before this runs): a health check for
 * load balancers and uptime probes, Prometheus metrics, and 404 for everything else.
 */
export function createHttpHandler(routes: HttpRoutes) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? "/").split("?")[0];
    const readable = request.method === "GET" || request.method === "HEAD";
    const headOnly = request.method === "HEAD";
    if (path === "/health" && readable) {
      const { draining, storeReachable, ...counts } = routes.health();
      const status = draining ? "draining" : storeReachable ? "ok" : "unavailable";
      sendJson(response, status === "ok" ? 200 : 503, { status, ...counts }, headOnly);
      return;
    }
    if (path === "/metrics" && readable) {
      if (!authorized(request, routes.metricsToken)) {
        response.setHeader("www-authenticate", "Bearer");
        sendJson(response, 401, { error: "unauthorized" }, headOnly);
        return;
      }
      routes.metrics().then(
        ({ text, contentType }) => send(response, 200, contentType, text, headOnly),
        () => sendJson(response, 500, { error: "metrics_failed" }, headOnly),
      );
      return;
    }
    sendJson(response, 404, { error: "not_found" }, headOnly);
  };
}

/** Compared as hashes, in constant time: the token's length and prefix do not leak through timing. */
function authorized(request: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = request.headers.authorization ?? "";
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(header), digest(`Bearer ${token}`));
}

function sendJson(response: ServerResponse, status: number, body: object, headOnly: boolean): void {
  send(response, status, "application/json; charset=utf-8", JSON.stringify(body), headOnly);
}

function send(
  response: ServerResponse,
  status: number,
  contentType: string,
  text: string,
  headOnly: boolean,
): void {
  response.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  response.end(headOnly ? undefined : text);
}
