/**
 * GET /metrics: Prometheus text an operator scrapes. What it counts must match what happened:
 * rooms and sockets now, requests by outcome, limit hits by limit, relayed signals by type.
 */
import type { SignalingError } from "starwire-protocol";
import { describe, expect, it } from "vitest";
import { ANSWER, CANDIDATE, OFFER, serverPerTest, type TestServer, WAIT_MS } from "./helpers.js";

const start = serverPerTest();

async function scrape(s: TestServer, headers: Record<string, string> = {}) {
  return fetch(`${s.url}/metrics`, { headers, signal: AbortSignal.timeout(WAIT_MS) });
}

/** `name{labels} value` lines as a map from `name{labels}` to its value. */
function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const space = line.lastIndexOf(" ");
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

describe("GET /metrics", () => {
  it("counts rooms, sockets, requests by outcome, limit hits and relayed signals", async () => {
    const s = await start({ failedJoinsPerMinute: 2 });
    const { host, roomCode } = await s.createRoom(4);
    const players = [await s.joinRoom(roomCode, host), await s.joinRoom(roomCode, host)];
    const stranger = await s.connect();
    expect(await stranger.request("join", { roomCode: "NOPE22" })).toMatchObject({ code: "no_such_room" });
    expect(await stranger.request("join", { roomCode: "NOPE33" })).toMatchObject({ code: "no_such_room" });
    const limited = await stranger.request<SignalingError>("join", { roomCode });
    expect(limited).toMatchObject({ code: "rate_limited", retryAfterSeconds: 30 });
    // Two offers and a candidate to the host, an answer back; the marker proves they all arrived.
    const client = players[0]!.client;
    client.raw.emit("signal", { data: OFFER, connection: 1 });
    client.raw.emit("signal", { data: CANDIDATE, connection: 1 });
    client.raw.emit("signal", { data: OFFER, connection: 2 });
    for (let i = 0; i < 3; i++) await host.inbox.next("signal");
    host.raw.emit("signal", { to: players[0]!.peerId, data: ANSWER, connection: 2 });
    await client.inbox.next("signal");

    const response = await scrape(s);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const metrics = samples(await response.text());
    expect(metrics.get("starwire_signaling_rooms")).toBe(1);
    expect(metrics.get("starwire_signaling_sockets")).toBe(4);
    expect(metrics.get("starwire_signaling_draining")).toBe(0);
    expect(metrics.get("starwire_signaling_connections_total")).toBe(4);
    expect(metrics.get('starwire_signaling_requests_total{event="create",outcome="ok"}')).toBe(1);
    expect(metrics.get('starwire_signaling_requests_total{event="join",outcome="ok"}')).toBe(2);
    expect(metrics.get('starwire_signaling_requests_total{event="join",outcome="no_such_room"}')).toBe(2);
    expect(metrics.get('starwire_signaling_requests_total{event="join",outcome="rate_limited"}')).toBe(1);
    expect(metrics.get('starwire_signaling_limit_hits_total{limit="failed_joins_per_minute"}')).toBe(1);
    expect(metrics.get('starwire_signaling_relayed_signals_total{type="offer"}')).toBe(2);
    expect(metrics.get('starwire_signaling_relayed_signals_total{type="candidate"}')).toBe(1);
    expect(metrics.get('starwire_signaling_relayed_signals_total{type="answer"}')).toBe(1);
    // prom-client's default process metrics come along.
    expect(metrics.get("process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("names unknown events 'unknown', so a client cannot add labels at will", async () => {
    const s = await start();
    const client = await s.connect();
    for (const name of ["x1", "x2", "x3"]) {
      expect(await client.request(name)).toMatchObject({ code: "invalid_request" });
    }
    const metrics = samples(await (await scrape(s)).text());
    expect(metrics.get('starwire_signaling_requests_total{event="unknown",outcome="invalid_request"}')).toBe(
      3,
    );
    expect([...metrics.keys()].filter((key) => key.includes("x1"))).toEqual([]);
  });

  it("counts sockets refused for their address as limit hits", async () => {
    const s = await start({ maxSocketsPerAddress: 1 });
    await s.connect();
    const extra = await s.connect();
    await extra.inbox.next("signalingError");
    const metrics = samples(await (await scrape(s)).text());
    expect(metrics.get('starwire_signaling_limit_hits_total{limit="sockets_per_address"}')).toBe(1);
    expect(metrics.get("starwire_signaling_connections_total")).toBe(1);
  });

  it("with METRICS_TOKEN, answers 401 without the bearer token and the metrics with it", async () => {
    const token = "a-long-metrics-token";
    const s = await start({ metricsToken: token });
    const wrong: Record<string, string>[] = [{}, { authorization: "Bearer wrong" }, { authorization: token }];
    for (const headers of wrong) {
      const refused = await scrape(s, headers);
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toContain("starwire_");
    }
    const allowed = await scrape(s, { authorization: `Bearer ${token}` });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain("starwire_signaling_rooms 0");
    // /health stays open: load balancers do not carry tokens.
    expect(await s.health()).toMatchObject({ status: "ok" });
  });
});
