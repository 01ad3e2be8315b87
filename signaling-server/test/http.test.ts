import { afterEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../src/config.js";
import { createSignalingServer } from "../src/server.js";
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

  it("allows any origin by default", async () => {
    server = await startServer();
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
