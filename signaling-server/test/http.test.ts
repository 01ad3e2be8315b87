import { request as httpRequest } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../src/config.js";
import { createSignalingServer, isOriginAllowed } from "../src/server.js";
import { startServer, type TestServer, WAIT_MS } from "./helpers.js";

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function get(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server!.url}${path}`, { ...init, signal: AbortSignal.timeout(WAIT_MS) });
}

describe("HTTP", () => {
  it("GET /health reports status, rooms and sockets", async () => {
    server = await startServer();
    const empty = await get("/health");
    expect(empty.status).toBe(200);
    expect(empty.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await empty.json()).toEqual({ status: "ok", rooms: 0, sockets: 0 });

    const { host, roomCode } = await server.createRoom();
    await server.joinRoom(roomCode, host);
    await server.connect();
    expect(await server.health()).toEqual({ status: "ok", rooms: 1, sockets: 3 });
  });

  it("answers 404 for other paths and methods", async () => {
    server = await startServer();
    for (const path of ["/", "/healthz", "/health/x", "/rooms"]) {
      expect((await get(path)).status, path).toBe(404);
    }
    expect((await get("/health", { method: "POST", body: "{}" })).status).toBe(404);
    expect((await get("/health", { method: "HEAD" })).status).toBe(200);
    expect((await get("/health?probe=1")).status).toBe(200);
  });

  it("still serves socket.io's own path (long-polling handshake)", async () => {
    server = await startServer();
    const response = await get("/socket.io/?EIO=4&transport=polling");
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^0\{"sid":/);
  });

  it("by default, refuses pages of other sites: no CORS allowance, and socket.io refuses the handshake", async () => {
    server = await startServer();
    expect(defaultConfig.corsOrigin).toBe("same-host");
    const refused = await get("/socket.io/?EIO=4&transport=polling", {
      headers: { origin: "https://evil.example" },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    await expect(server.connect({ extraHeaders: { origin: "https://evil.example" } })).rejects.toThrow();
    // A preflight from that page gets no allowance either.
    const preflight = await get("/socket.io/?EIO=4&transport=polling", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(await server.health()).toMatchObject({ sockets: 0 });
  });

  it("by default, allows pages on this machine (npm start's Vite, the test harnesses) and Node clients", async () => {
    server = await startServer();
    for (const origin of [
      "http://localhost:5173",
      "http://127.0.0.1:15174",
      "https://localhost",
      "http://[::1]:8080",
    ]) {
      const response = await get("/socket.io/?EIO=4&transport=polling", { headers: { origin } });
      expect(response.status, origin).toBe(200);
      expect(response.headers.get("access-control-allow-origin"), origin).toBe(origin);
      await server.connect({ extraHeaders: { origin } });
    }
    await server.connect();
    expect(await server.health()).toMatchObject({ sockets: 5 });
  });

  it("by default, allows pages from the host name the request was sent to, any port", async () => {
    server = await startServer();
    const handshake = (host: string, origin: string) =>
      new Promise<{ status: number; allowed: string | undefined }>((resolve, reject) => {
        const request = httpRequest(
          `${server!.url}/socket.io/?EIO=4&transport=polling`,
          { headers: { host, origin }, timeout: WAIT_MS },
          (response) => {
            response.resume();
            resolve({
              status: response.statusCode ?? 0,
              allowed: response.headers["access-control-allow-origin"] as string | undefined,
            });
          },
        );
        request.on("error", reject);
        request.end();
      });
    // The demo on a phone: page at http://192.168.1.5:5173, signaling at :8787 on the same machine.
    expect(await handshake("192.168.1.5:8787", "http://192.168.1.5:5173")).toEqual({
      status: 200,
      allowed: "http://192.168.1.5:5173",
    });
    expect(await handshake("game.example.com", "https://game.example.com")).toMatchObject({ status: 200 });
    expect(await handshake("signal.example.com", "https://game.example.com")).toEqual({
      status: 403,
      allowed: undefined,
    });
    expect(await handshake("192.168.1.5:8787", "http://192.168.1.6:5173")).toMatchObject({ status: 403 });
  });

  it("CORS_ORIGIN=* allows every origin", async () => {
    server = await startServer({ corsOrigin: "*" });
    const response = await get("/socket.io/?EIO=4&transport=polling", {
      headers: { origin: "https://game.example.com" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    await server.connect({ extraHeaders: { origin: "https://anywhere.example" } });
  });

  it("with an origin list, refuses handshakes from other origins, allows listed ones and originless clients", async () => {
    server = await startServer({ corsOrigin: ["https://game.example.com"] });
    const listed = await get("/socket.io/?EIO=4&transport=polling", {
      headers: { origin: "https://game.example.com" },
    });
    expect(listed.headers.get("access-control-allow-origin")).toBe("https://game.example.com");
    await server.connect({ extraHeaders: { origin: "https://game.example.com" } });
    await server.connect();
    await expect(server.connect({ extraHeaders: { origin: "https://evil.example" } })).rejects.toThrow();
    expect(await server.health()).toMatchObject({ sockets: 2 });
  });

  it("isOriginAllowed: same-host compares host names only, for http(s) pages", () => {
    const allowed = (origin: string | undefined, host?: string) =>
      isOriginAllowed("same-host", { headers: { origin, host } });
    expect(allowed(undefined)).toBe(true);
    expect(allowed("http://localhost:3000", "signal.example.com")).toBe(true);
    expect(allowed("https://GAME.example.com:8443", "game.example.com")).toBe(true);
    expect(allowed("https://game.example.com", "game.example.com.evil.example")).toBe(false);
    expect(allowed("https://game.example.com.evil.example", "game.example.com")).toBe(false);
    expect(allowed("https://game.example.com", undefined)).toBe(false);
    expect(allowed("null", "game.example.com")).toBe(false);
    expect(allowed("file://", "localhost")).toBe(false);
    expect(allowed("chrome-extension://abc", "abc")).toBe(false);
    expect(allowed("http://localhost.evil.example", "game.example.com")).toBe(false);
    expect(isOriginAllowed(["https://a.example"], { headers: { origin: "http://localhost:5173" } })).toBe(
      false,
    );
  });

  it("listen() reports the bound port; close() is idempotent; a taken port rejects listen()", async () => {
    server = await startServer();
    const port = Number(new URL(server.url).port);
    expect(port).toBeGreaterThan(0);
    const clash = createSignalingServer({ ...defaultConfig, host: "127.0.0.1", port, logLevel: "silent" });
    await expect(clash.listen()).rejects.toMatchObject({ code: "EADDRINUSE" });
    await clash.close();
    await clash.close();
    await server.server.close();
    await server.server.close();
  });
});
