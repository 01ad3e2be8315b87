// Redis goes away under a running server (its own redis-server, stopped by the pid this test
// started): requests are answered `server_unavailable` within the command bound instead of
// waiting on a queue that never drains, /health says so, and once Redis is back joins work again.
import type { CreateReply, JoinReply, Reply } from "starwire-protocol";
import { afterEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../src/config.js";
import { REDIS_PING_INTERVAL_MS } from "../src/redis-room-store.js";
import { delay, startServer, TEST_ROOM_SECRET, type TestServer } from "./helpers.js";
import { type RedisServer, startRedisServer } from "./redis-server.js";

/** Long enough for the server's bound and its answer, well short of "never". */
const ANSWER_WITHIN_MS = defaultConfig.redisCommandTimeoutMs + 2000;
/** Bounds the wait for the server to reconnect to the restarted Redis. */
const RECONNECT_ATTEMPTS = 100;

let redis: RedisServer | undefined;
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  await redis?.stop();
  server = undefined;
  redis = undefined;
});

async function healthOf(s: TestServer): Promise<{ status: number; body: { status: string } }> {
  const response = await fetch(`${s.url}/health`, { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
  return { status: response.status, body: (await response.json()) as { status: string } };
}

describe("Redis unreachable", () => {
  it("answers server_unavailable within the bound, stays up, reports it on /health and /metrics, and recovers", async () => {
    redis = await startRedisServer();
    const port = Number(new URL(redis.url).port);
    server = await startServer({ redisUrl: redis.url, roomSecret: TEST_ROOM_SECRET });
    const { host, roomCode } = await server.createRoom(4);
    const player = await server.connect();

    await redis.stop();
    const refused = await player.raw.timeout(ANSWER_WITHIN_MS).emitWithAck("join", { roomCode });
    expect(refused).toMatchObject({ ok: false, code: "server_unavailable" });
    // The process is up and answers what needs no Redis; a load balancer is told to look elsewhere.
    expect(await player.request("probe")).toEqual({ ok: true });
    expect(await healthOf(server)).toMatchObject({ status: 503, body: { status: "unavailable" } });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(
      'starwire_signaling_requests_total{event="join",outcome="server_unavailable"} 1',
    );
    expect(metrics).toContain("starwire_signaling_store_reachable 0");
    expect(server.logs.filter((line) => line.includes("server_unavailable"))).toHaveLength(1);
    expect(host.raw.connected).toBe(true);

    // Back on the same port (empty: nothing was saved), a new room forms.
    redis = await startRedisServer(port);
    for (let attempt = 0; attempt < RECONNECT_ATTEMPTS; attempt++) {
      if ((await healthOf(server)).status === 200) break;
      await delay(50);
    }
    expect(await healthOf(server)).toMatchObject({ status: 200, body: { status: "ok" } });
    const again = await server.connect();
    const created = await again.request<Reply<CreateReply>>("create", { maxPlayers: 4 });
    if (!created.ok) throw new Error(`create failed: ${created.code}`);
    const joiner = await server.connect();
    const joined = await joiner.request<Reply<JoinReply>>("join", { roomCode: created.roomCode });
    expect(joined).toMatchObject({ ok: true });
    expect(await again.inbox.next("peerJoined")).toEqual({ peerId: joined.ok ? joined.peerId : -1 });
  });
});

/** REDIS_COMMAND_TIMEOUT_MS of the hung-Redis test's server. */
const HUNG_BOUND_MS = 300;
/** Under the default bound (2 s): an answer within it shows the configured bound was applied. */
const HUNG_ANSWER_WITHIN_MS = 1800;
/** A hung Redis is noticed within one PING period plus the PING's bound; this leaves it slack. */
const NOTICE_HANG_WITHIN_MS = REDIS_PING_INTERVAL_MS + HUNG_BOUND_MS + 3000;

/** Polls /health (bounded) until it answers `status`; the last answer either way. */
async function healthBecomes(s: TestServer, status: number, withinMs: number) {
  const until = Date.now() + withinMs;
  let health = await healthOf(s);
  while (health.status !== status && Date.now() < until) {
    await delay(100);
    health = await healthOf(s);
  }
  return health;
}

describe("Redis hung with its connection open", () => {
  it("answers requests server_unavailable within the bound REDIS_COMMAND_TIMEOUT_MS sets, turns /health 503 and the reachable gauge 0 while Redis does not answer, and back once it does", async () => {
    redis = await startRedisServer();
    server = await startServer({
      redisUrl: redis.url,
      roomSecret: TEST_ROOM_SECRET,
      redisCommandTimeoutMs: HUNG_BOUND_MS,
    });
    const { roomCode } = await server.createRoom(4);
    const player = await server.connect();
    expect(await healthOf(server)).toMatchObject({ status: 200 });
    // SIGSTOP: the TCP connection stays open and accepts what is written; nothing is answered.
    process.kill(redis.pid, "SIGSTOP");
    try {
      // A request is answered all the same, within the configured bound, rather than waiting on the hang.
      const refused = await player.raw.timeout(HUNG_ANSWER_WITHIN_MS).emitWithAck("join", { roomCode });
      expect(refused).toMatchObject({ ok: false, code: "server_unavailable" });
      expect(await healthBecomes(server, 503, NOTICE_HANG_WITHIN_MS)).toMatchObject({
        status: 503,
        body: { status: "unavailable" },
      });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain("starwire_signaling_store_reachable 0");
    } finally {
      process.kill(redis.pid, "SIGCONT");
    }
    expect(await healthBecomes(server, 200, NOTICE_HANG_WITHIN_MS)).toMatchObject({
      status: 200,
      body: { status: "ok" },
    });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain("starwire_signaling_store_reachable 1");
  });
});
