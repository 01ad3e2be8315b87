import { describe, expect, it } from "vitest";
import { ConfigError, configFromEnv, defaultConfig, parseIceServers } from "../src/config.js";

function problemsOf(env: Record<string, string>): string[] {
  try {
    configFromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe("configFromEnv", () => {
  it("uses the documented defaults for an empty environment", () => {
    expect(configFromEnv({})).toEqual({
      port: 8787,
      host: "0.0.0.0",
      maxRooms: 1000,
      maxPlayersPerRoom: 64,
      maxPayloadBytes: 65536,
      maxSdpBytes: 8192,
      maxCandidateBytes: 1024,
      eventsPerSecond: 100,
      eventBurst: 200,
      roomCodeLength: 6,
      iceServers: [],
      corsOrigin: "same-host",
      logLevel: "info",
      logFormat: "text",
      drainTimeoutMs: 5000,
      metricsToken: undefined,
      trustedProxies: 0,
      trustedProxyAddresses: ["127.0.0.1", "::1"],
      maxSocketsPerAddress: 1000,
      roomCreatesPerMinute: 60,
      joinAttemptsPerMinute: 1000,
      failedJoinsPerMinute: 60,
      maxRoomsPerAddress: 50,
      emptyRoomTimeoutMs: 1_800_000,
      idleSocketTimeoutMs: 30_000,
      maxReconnectGraceMs: 120_000,
      roomSecret: undefined,
      tokenTtlSeconds: 600,
      turnUrls: [],
      turnSecret: undefined,
      turnTtlSeconds: 86_400,
      redisCommandTimeoutMs: 2000,
    });
    expect(configFromEnv({})).toEqual(defaultConfig);
    expect(Object.hasOwn(defaultConfig, "roomSecret")).toBe(true);
  });

  it("treats blank variables as unset", () => {
    expect(configFromEnv({ PORT: "", HOST: "  ", ICE_SERVERS: "", LOG_LEVEL: "" })).toEqual(defaultConfig);
  });

  it("reads every variable", () => {
    const config = configFromEnv({
      PORT: "0",
      HOST: "127.0.0.1",
      MAX_ROOMS: "5",
      MAX_PLAYERS_PER_ROOM: "16",
      MAX_PAYLOAD_BYTES: "20000",
      MAX_SDP_BYTES: "10000",
      MAX_CANDIDATE_BYTES: "512",
      EVENTS_PER_SECOND: "2.5",
      EVENT_BURST: "10",
      ROOM_CODE_LENGTH: "12",
      ICE_SERVERS: JSON.stringify([
        { urls: "stun:stun.example.com:3478" },
        {
          urls: ["turn:turn.example.com:3478", "turns:turn.example.com:5349"],
          username: "u",
          credential: "p",
        },
      ]),
      CORS_ORIGIN: "https://a.example.com, http://localhost:5173",
      LOG_LEVEL: "silent",
      LOG_FORMAT: "json",
      DRAIN_TIMEOUT_MS: "2500",
      METRICS_TOKEN: "a-long-metrics-token",
      TRUST_PROXY: "2",
      TRUSTED_PROXY_ADDRESSES: "10.0.0.0/8, 192.0.2.1,fd00::/8",
      MAX_SOCKETS_PER_ADDRESS: "7",
      ROOM_CREATES_PER_MINUTE: "3",
      JOIN_ATTEMPTS_PER_MINUTE: "9",
      FAILED_JOINS_PER_MINUTE: "4",
      MAX_ROOMS_PER_ADDRESS: "3",
      EMPTY_ROOM_TIMEOUT_MS: "60000",
      IDLE_SOCKET_TIMEOUT_MS: "5000",
      MAX_RECONNECT_GRACE_MS: "30000",
      TOKEN_TTL_SECONDS: "3600",
      TURN_URLS: "turn:turn.example.com:3478?transport=udp, turns:turn.example.com:5349?transport=tcp",
      TURN_SECRET: "0123456789abcdef",
      TURN_TTL_SECONDS: "7200",
      REDIS_COMMAND_TIMEOUT_MS: "500",
    });
    expect(config).toEqual({
      port: 0,
      host: "127.0.0.1",
      maxRooms: 5,
      maxPlayersPerRoom: 16,
      maxPayloadBytes: 20000,
      maxSdpBytes: 10000,
      maxCandidateBytes: 512,
      eventsPerSecond: 2.5,
      eventBurst: 10,
      roomCodeLength: 12,
      iceServers: [
        { urls: "stun:stun.example.com:3478" },
        {
          urls: ["turn:turn.example.com:3478", "turns:turn.example.com:5349"],
          username: "u",
          credential: "p",
        },
      ],
      corsOrigin: ["https://a.example.com", "http://localhost:5173"],
      logLevel: "silent",
      logFormat: "json",
      drainTimeoutMs: 2500,
      metricsToken: "a-long-metrics-token",
      trustedProxies: 2,
      trustedProxyAddresses: ["10.0.0.0/8", "192.0.2.1", "fd00::/8"],
      maxSocketsPerAddress: 7,
      roomCreatesPerMinute: 3,
      joinAttemptsPerMinute: 9,
      failedJoinsPerMinute: 4,
      maxRoomsPerAddress: 3,
      emptyRoomTimeoutMs: 60_000,
      idleSocketTimeoutMs: 5000,
      maxReconnectGraceMs: 30_000,
      tokenTtlSeconds: 3600,
      turnUrls: ["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349?transport=tcp"],
      turnSecret: "0123456789abcdef",
      turnTtlSeconds: 7200,
      redisCommandTimeoutMs: 500,
    });
  });

  it.each([
    ["PORT", "abc"],
    ["PORT", "-1"],
    ["PORT", "65536"],
    ["PORT", "80.5"],
    ["PORT", "1e3"],
    ["PORT", "0x50"],
    ["MAX_ROOMS", "0"],
    ["MAX_ROOMS", "many"],
    ["MAX_PLAYERS_PER_ROOM", "0"],
    ["MAX_PLAYERS_PER_ROOM", "99999999999999999999"],
    ["MAX_PAYLOAD_BYTES", "100"],
    ["MAX_SDP_BYTES", "0"],
    ["MAX_CANDIDATE_BYTES", "-5"],
    ["EVENTS_PER_SECOND", "0"],
    ["EVENTS_PER_SECOND", "fast"],
    ["EVENTS_PER_SECOND", "Infinity"],
    ["EVENT_BURST", "0"],
    ["EVENT_BURST", "1.5"],
    ["LOG_FORMAT", "xml"],
    ["DRAIN_TIMEOUT_MS", "-1"],
    ["DRAIN_TIMEOUT_MS", "600001"],
    ["REDIS_COMMAND_TIMEOUT_MS", "99"],
    ["REDIS_COMMAND_TIMEOUT_MS", "8001"],
    ["METRICS_TOKEN", "short"],
    ["ROOM_CODE_LENGTH", "3"],
    ["ROOM_CODE_LENGTH", "13"],
    ["LOG_LEVEL", "verbose"],
    ["CORS_ORIGIN", "not a url"],
    ["CORS_ORIGIN", "https://a.example.com/path"],
    ["CORS_ORIGIN", ","],
    ["ICE_SERVERS", "{not json"],
    ["ICE_SERVERS", '{"urls":"stun:x"}'],
    ["TRUST_PROXY", "true"],
    ["TRUST_PROXY", "yes"],
    ["TRUST_PROXY", "-1"],
    ["TRUST_PROXY", "11"],
    ["TRUST_PROXY", "1.5"],
    ["TRUSTED_PROXY_ADDRESSES", "localhost"],
    ["TRUSTED_PROXY_ADDRESSES", "10.0.0.0/33"],
    ["TRUSTED_PROXY_ADDRESSES", "127.0.0.1, *"],
    ["TRUSTED_PROXY_ADDRESSES", ","],
    ["MAX_SOCKETS_PER_ADDRESS", "lots"],
    ["MAX_SOCKETS_PER_ADDRESS", "-1"],
    ["MAX_SOCKETS_PER_ADDRESS", "1000001"],
    ["ROOM_CREATES_PER_MINUTE", "2.5"],
    ["JOIN_ATTEMPTS_PER_MINUTE", "1e3"],
    ["FAILED_JOINS_PER_MINUTE", "off"],
    ["MAX_ROOMS_PER_ADDRESS", "-1"],
    ["MAX_ROOMS_PER_ADDRESS", "ten"],
    ["EMPTY_ROOM_TIMEOUT_MS", "999"],
    ["EMPTY_ROOM_TIMEOUT_MS", "604800001"],
    ["EMPTY_ROOM_TIMEOUT_MS", "30m"],
    ["IDLE_SOCKET_TIMEOUT_MS", "999"],
    ["IDLE_SOCKET_TIMEOUT_MS", "86400001"],
    ["IDLE_SOCKET_TIMEOUT_MS", "30s"],
    ["MAX_RECONNECT_GRACE_MS", "-1"],
    ["MAX_RECONNECT_GRACE_MS", "3600001"],
    ["MAX_RECONNECT_GRACE_MS", "2m"],
    ["MAX_RECONNECT_GRACE_MS", "1.5"],
    ["TOKEN_TTL_SECONDS", "59"],
    ["TOKEN_TTL_SECONDS", "604801"],
    ["TOKEN_TTL_SECONDS", "10m"],
    ["TURN_TTL_SECONDS", "59"],
    ["TURN_TTL_SECONDS", "604801"],
    ["TURN_TTL_SECONDS", "1d"],
  ])("rejects %s=%s with a message naming the variable", (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(name);
  });

  it("reports every bad variable at once", () => {
    const problems = problemsOf({ PORT: "x", MAX_ROOMS: "y", LOG_LEVEL: "loud" });
    expect(problems.map((p) => p.split(" ")[0])).toEqual(["PORT", "MAX_ROOMS", "LOG_LEVEL"]);
    expect(() => configFromEnv({ PORT: "x" })).toThrow(/Invalid signaling server configuration:\n {2}- PORT/);
  });

  it("reads CORS_ORIGIN: unset is same-host, * is every origin, else a list", () => {
    expect(configFromEnv({}).corsOrigin).toBe("same-host");
    expect(configFromEnv({ CORS_ORIGIN: "*" }).corsOrigin).toBe("*");
    expect(configFromEnv({ CORS_ORIGIN: "https://a.example.com" }).corsOrigin).toEqual([
      "https://a.example.com",
    ]);
  });

  it("reads TRUST_PROXY as the number of proxies in front", () => {
    expect(configFromEnv({ TRUST_PROXY: "0" }).trustedProxies).toBe(0);
    expect(configFromEnv({ TRUST_PROXY: "1" }).trustedProxies).toBe(1);
    expect(configFromEnv({ TRUST_PROXY: " 10 " }).trustedProxies).toBe(10);
    expect(problemsOf({ TRUST_PROXY: "true" })[0]).toMatch(
      /TRUST_PROXY must be the number of reverse proxies/,
    );
  });

  it("turns each per-address limit and the idle timeout off with 0", () => {
    const config = configFromEnv({
      MAX_SOCKETS_PER_ADDRESS: "0",
      ROOM_CREATES_PER_MINUTE: "0",
      JOIN_ATTEMPTS_PER_MINUTE: "0",
      FAILED_JOINS_PER_MINUTE: "0",
      MAX_ROOMS_PER_ADDRESS: "0",
      EMPTY_ROOM_TIMEOUT_MS: "0",
      IDLE_SOCKET_TIMEOUT_MS: "0",
    });
    expect(config).toMatchObject({
      maxRoomsPerAddress: 0,
      emptyRoomTimeoutMs: 0,
      maxSocketsPerAddress: 0,
      roomCreatesPerMinute: 0,
      joinAttemptsPerMinute: 0,
      failedJoinsPerMinute: 0,
      idleSocketTimeoutMs: 0,
    });
    expect(problemsOf({ IDLE_SOCKET_TIMEOUT_MS: "500" })[0]).toBe(
      'IDLE_SOCKET_TIMEOUT_MS must be 0 (off) or an integer from 1000 to 86400000, got "500"',
    );
  });

  it("reads MAX_RECONNECT_GRACE_MS: 0 (no grace) to an hour", () => {
    expect(configFromEnv({ MAX_RECONNECT_GRACE_MS: "0" }).maxReconnectGraceMs).toBe(0);
    expect(
      configFromEnv({ MAX_RECONNECT_GRACE_MS: "3600000", TOKEN_TTL_SECONDS: "5400" }).maxReconnectGraceMs,
    ).toBe(3_600_000);
    expect(problemsOf({ MAX_RECONNECT_GRACE_MS: "3600001" })).toEqual([
      'MAX_RECONNECT_GRACE_MS must be an integer from 0 to 3600000, got "3600001"',
    ]);
  });

  it("reads TOKEN_TTL_SECONDS, at least 1.5 × the longest grace", () => {
    expect(configFromEnv({ TOKEN_TTL_SECONDS: "60", MAX_RECONNECT_GRACE_MS: "40000" }).tokenTtlSeconds).toBe(
      60,
    );
    expect(problemsOf({ TOKEN_TTL_SECONDS: "60", MAX_RECONNECT_GRACE_MS: "40001" })).toEqual([
      "TOKEN_TTL_SECONDS (60) must be at least 1.5 × MAX_RECONNECT_GRACE_MS in seconds (61), or a player away for the whole grace comes back with an expired token",
    ]);
    // The longest grace needs a longer lifetime than the default.
    expect(problemsOf({ MAX_RECONNECT_GRACE_MS: "3600000" })[0]).toMatch(/^TOKEN_TTL_SECONDS \(600\)/);
  });

  it("reads ROOM_SECRET, at least 16 characters, and never quotes it back", () => {
    expect(configFromEnv({ ROOM_SECRET: "0123456789abcdef" }).roomSecret).toBe("0123456789abcdef");
    expect(configFromEnv({ ROOM_SECRET: "  " }).roomSecret).toBeUndefined();
    const problems = problemsOf({ ROOM_SECRET: "short-secret" });
    expect(problems).toEqual(["ROOM_SECRET must be at least 16 characters, got 12"]);
    expect(problems.join()).not.toContain("short-secret");
  });

  it("reads REDIS_URL (redis:// or rediss://, never quoted back), which needs ROOM_SECRET", () => {
    const secret = "0123456789abcdef";
    expect(configFromEnv({}).redisUrl).toBeUndefined();
    expect(configFromEnv({ REDIS_URL: "redis://10.0.0.5:6379", ROOM_SECRET: secret }).redisUrl).toBe(
      "redis://10.0.0.5:6379",
    );
    expect(
      configFromEnv({ REDIS_URL: "rediss://:pw@cache.example:6380/2", ROOM_SECRET: secret }).redisUrl,
    ).toBe("rediss://:pw@cache.example:6380/2");
    const bad = problemsOf({ REDIS_URL: "http://:hunter2@cache.example", ROOM_SECRET: secret });
    expect(bad).toEqual(["REDIS_URL must be a redis:// or rediss:// URL with a host (redis://host:6379)"]);
    expect(problemsOf({ REDIS_URL: "cache.example:6379", ROOM_SECRET: secret })).toEqual(bad);
    expect(bad.join()).not.toContain("hunter2");
    expect(problemsOf({ REDIS_URL: "redis://127.0.0.1:6379" })).toEqual([
      "REDIS_URL is set but ROOM_SECRET is not: every signaling process sharing the Redis must have the same ROOM_SECRET, or host and resume tokens issued by one process are refused by the others",
    ]);
  });

  it("reads TURN_URLS and TURN_SECRET together, the secret at least 16 characters and never quoted back", () => {
    const secret = "0123456789abcdef";
    expect(configFromEnv({ TURN_URLS: "turn:127.0.0.1:3478", TURN_SECRET: secret })).toMatchObject({
      turnUrls: ["turn:127.0.0.1:3478"],
      turnSecret: secret,
      turnTtlSeconds: 86_400,
    });
    expect(problemsOf({ TURN_URLS: "turn:127.0.0.1:3478" })).toEqual([
      "TURN_URLS is set but TURN_SECRET is not: the TURN servers' shared secret (coturn's static-auth-secret) is needed to mint credentials",
    ]);
    expect(problemsOf({ TURN_SECRET: secret })).toEqual([
      "TURN_SECRET is set but TURN_URLS is not: say which TURN servers the credentials are for",
    ]);
    const short = problemsOf({ TURN_URLS: "turn:127.0.0.1:3478", TURN_SECRET: "too-short" });
    expect(short).toEqual(["TURN_SECRET must be at least 16 characters, got 9"]);
    expect(short.join()).not.toContain("too-short");
    // STUN belongs in ICE_SERVERS: these URLs get credentials.
    expect(problemsOf({ TURN_URLS: "stun:127.0.0.1:3478", TURN_SECRET: secret })).toEqual([
      'TURN_URLS must be a comma-separated list of turn: or turns: URLs (turn:turn.example.com:3478?transport=udp), got "stun:127.0.0.1:3478"',
    ]);
    expect(problemsOf({ TURN_URLS: " , ", TURN_SECRET: secret })[0]).toMatch(/^TURN_URLS must be/);
    expect(configFromEnv({ TURN_TTL_SECONDS: "60" }).turnTtlSeconds).toBe(60);
  });

  it("rejects caps that exceed the payload limit", () => {
    expect(problemsOf({ MAX_PAYLOAD_BYTES: "4096", MAX_SDP_BYTES: "8192" })[0]).toMatch(/MAX_SDP_BYTES/);
    expect(
      problemsOf({ MAX_PAYLOAD_BYTES: "1024", MAX_SDP_BYTES: "512", MAX_CANDIDATE_BYTES: "2048" })[0],
    ).toMatch(/MAX_CANDIDATE_BYTES/);
  });
});

describe("parseIceServers", () => {
  it("accepts STUN and TURN entries and copies only known fields", () => {
    const input = [{ urls: ["stun:a.example.com", "stuns:b.example.com"] }];
    const parsed = parseIceServers(input);
    expect(parsed).toEqual(input);
    expect(parsed).not.toBe(input);
    expect(parseIceServers([])).toEqual([]);
  });

  it.each([
    [null, "array"],
    [{}, "array"],
    [["stun:x"], "object"],
    [[null], "object"],
    [[{}], "urls"],
    [[{ urls: [] }], "urls"],
    [[{ urls: 5 }], "urls"],
    [[{ urls: ["stun:x", 5] }], "not a stun"],
    [[{ urls: "http://x" }], "not a stun"],
    [[{ urls: "stun:" }], "not a stun"],
    [[{ urls: "turn:x" }], "username and a credential"],
    [[{ urls: "turns:x", username: "u" }], "username and a credential"],
    [[{ urls: "stun:x", username: 5 }], "username"],
    [[{ urls: "stun:x", credential: {} }], "credential"],
    [[{ urls: "stun:x", credentialType: "oauth" }], "unknown field"],
  ])("rejects %j (%s)", (input, hint) => {
    const result = parseIceServers(input);
    expect(typeof result).toBe("string");
    expect(result).toContain(hint);
  });
});
