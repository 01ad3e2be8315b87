import type { IncomingMessage, ServerResponse } from "node:http";

export interface HealthSnapshot {
  rooms: number;
  sockets: number;
}

/**
 * Plain HTTP next to socket.io (which answers its own path before this runs): a health check for
 * load balancers and uptime probes, and 404 for everything else.
 */
export function createHttpHandler(health: () => HealthSnapshot) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? "/").split("?")[0];
    if (path === "/health" && (request.method === "GET" || request.method === "HEAD")) {
      sendJson(response, 200, { status: "ok", ...health() }, request.method === "HEAD");
      return;
    }
    sendJson(response, 404, { error: "not_found" }, request.method === "HEAD");
  };
}

function sendJson(response: ServerResponse, status: number, body: object, headOnly: boolean): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  response.end(headOnly ? undefined : text);
}
