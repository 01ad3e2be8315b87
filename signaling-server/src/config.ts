import { DEFAULT_MAX_RECONNECT_GRACE_MS, type IceServer } from "starwire-protocol";
import { parseProxyAddress } from "./client-address.js";
import type { LogFormat, LogLevel } from "./logger.js";

export type { LogFormat, LogLevel } from "./logger.js";

export type CorsOrigin = "*" | "same-host" | string[];

export interface SignalingConfig {
  port: number;
  host: string;
  /** Live rooms at once; `create` beyond it is answered with `server_full`. */
  maxRooms: number;
  /** Upper bound for a room's `maxPlayers`, which counts clients only (the host is not counted, as in Godot's max_clients). */
  maxPlayersPerRoom: number;
  /** socket.io's maxHttpBufferSize: a bigger message closes the sender's connection. */
  maxPayloadBytes: number;
  maxSdpBytes: number;
  maxCandidateBytes: number;
  /** Token bucket per socket: sustained rate and burst size. */
  eventsPerSecond: number;
  eventBurst: number;
  roomCodeLength: number;
  iceServers: IceServer[];
  /**
   * Which web pages may connect (browsers send their origin; Node clients send none and are
   * always allowed). "same-host": pages on localhost, 127.0.0.1 or [::1], or on the host name the
   * request was addressed to, any port; "*": every page; a list: exactly those origins.
   */
  corsOrigin: CorsOrigin;
  logLevel: LogLevel;
  /** "text": one readable line per event; "json": one JSON object per line (logger.ts). */
  logFormat: LogFormat;
  /**
   * On SIGTERM, how long the server waits for its sockets to move elsewhere after telling them
   * to (`serverDraining`) before it closes the rest and exits; 0 closes at once.
   */
  drainTimeoutMs: number;
  /** When set, GET /metrics wants `Authorization: Bearer <token>`; unset, /metrics is open. */
  metricsToken: string | undefined;
  /**
   * Reverse proxies in front of the server whose X-Forwarded-For entries are believed (0: none, so
   * the socket's own remote address is the client's). See client-address.ts.
   */
  trustedProxies: number;
  /**
   * Where those proxies connect from: IPs or CIDR subnets. X-Forwarded-For is believed only on a
   * connection from one of them; any other connection counts under its own address.
   */
  trustedProxyAddresses: string[];
  /** Per-address limits (address-limits.ts); 0 turns a limit off. */
  maxSocketsPerAddress: number;
  roomCreatesPerMinute: number;
  /** Every join attempt counts, so room codes cannot be guessed quickly. */
  joinAttemptsPerMinute: number;
  /** Only joins that failed with no_such_room or wrong_password count (and refused resumes and reclaims). */
  failedJoinsPerMinute: number;
  /** Live rooms one address may hold at once; 0 turns it off. */
  maxRoomsPerAddress: number;
  /**
   * A room that has had no client (and no reserved id) this long while its host is connected is
   * closed; 0 turns it off.
   */
  emptyRoomTimeoutMs: number;
  /** A socket outside a room for this long is disconnected; 0 turns it off. */
  idleSocketTimeoutMs: number;
  /**
   * The longest `reconnectGraceMs` a room gets (a `create` asking for more gets this); 0 turns
   * the grace off, so every dropped socket leaves at once.
   */
  maxReconnectGraceMs: number;
  /**
   * Key of the host and resume tokens that let a host reclaim its room code and a client its id (tokens.ts). Undefined: the
   * server picks a random one at start, so tokens only hold for that process's lifetime.
   */
  roomSecret: string | undefined;
  /**
   * How long a host or resume token works after it was issued, in seconds. A connected host or
   * client gets a fresh one every third of it, so a token in hand always has two thirds left.
   */
  tokenTtlSeconds: number;
  /**
   * TURN servers (turn:/turns: URLs) for which the server mints credentials per player, with the
   * TURN REST scheme that coturn's `use-auth-secret` checks (turn-credentials.ts). Empty: none.
   */
  turnUrls: string[];
  /** The secret shared with the TURN servers (coturn's `static-auth-secret`); set with `turnUrls`. */
  turnSecret: string | undefined;
  /**
   * How long a minted TURN credential is accepted for a new relay, in seconds. Connected peers get
   * fresh ones every third of it, so the one in hand always has two thirds left.
   */
  turnTtlSeconds: number;
  /**
   * Redis shared by every signaling process of one deployment (`redis://` or `rediss://` URL):
   * rooms live there (redis-room-store.ts) and socket.io's Redis streams adapter relays between
   * the processes. Undefined: rooms live in this process's memory.
   */
  redisUrl: string | undefined;
  /**
   * With `redisUrl`: how long one room step may wait for Redis before the request is answered
   * `server_unavailable`, and how long a health PING may go unanswered before Redis counts as
   * unreachable (a Redis that hangs with its connection open answers nothing).
   */
  redisCommandTimeoutMs: number;
}

export const MIN_ROOM_CODE_LENGTH = 4;
export const MAX_ROOM_CODE_LENGTH = 12;
/** More hops than this is almost certainly a typo (a port number, say), not a real proxy chain. */
export const MAX_TRUSTED_PROXIES = 10;
/** Below a second a client could not even connect and create before being dropped. */
export const MIN_IDLE_SOCKET_TIMEOUT_MS = 1000;
export const MAX_IDLE_SOCKET_TIMEOUT_MS = 24 * 60 * 60 * 1000;
/** A room gets at least a second to be joined, and at most a week without anyone in it. */
export const MIN_EMPTY_ROOM_TIMEOUT_MS = 1000;
export const MAX_EMPTY_ROOM_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000;
/** An hour: a place held longer than that is a place nobody is coming back to. */
export const MAX_RECONNECT_GRACE_LIMIT_MS = 60 * 60 * 1000;
/** Shorter secrets are too easy to guess offline from one host token. */
export const MIN_ROOM_SECRET_LENGTH = 16;
/** A refresh every 20 s at least; below that tokens churn for nothing. */
export const MIN_TOKEN_TTL_SECONDS = 60;
/** A week: a leaked token should not outlive that. */
export const MAX_TOKEN_TTL_SECONDS = 7 * 24 * 60 * 60;
/** A TURN secret shorter than this could be found offline from one credential (an HMAC of a known username). */
export const MIN_TURN_SECRET_LENGTH = 16;
/** TURN credentials: a refresh every 20 s at least, and a leaked one is good for a week at most. */
export const MIN_TURN_TTL_SECONDS = 60;
/** Ten minutes: longer than any orchestrator waits between SIGTERM and SIGKILL. */
export const MAX_DRAIN_TIMEOUT_MS = 10 * 60 * 1000;
/** Below this a busy but healthy Redis would be taken for a hung one. */
export const MIN_REDIS_COMMAND_TIMEOUT_MS = 100;
/** The SDK gives up on a join after 10 s by default (connectTimeoutMs): a longer bound would answer nobody. */
export const MAX_REDIS_COMMAND_TIMEOUT_MS = 8000;
/** A bearer token short enough to guess would protect nothing. */
export const MIN_METRICS_TOKEN_LENGTH = 16;
export const MAX_TURN_TTL_SECONDS = 7 * 24 * 60 * 60;

export const defaultConfig: Readonly<SignalingConfig> = Object.freeze({
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
  // Not "*": a deployment must say which other sites' pages may use it (and its ICE_SERVERS).
  corsOrigin: "same-host",
  logLevel: "info",
  logFormat: "text",
  // Behind a load balancer hosts and players move in about a second (a connect and a reclaim or
  // resume) and the drain ends then. Alone, hosts have nowhere to go and keep their sockets for
  // players still joining, so the drain lasts all of it and new players wait that much longer:
  // 5 s lets a join on a slow network finish, and stays well under orchestrators' 30 s.
  drainTimeoutMs: 5000,
  metricsToken: undefined,
  trustedProxies: 0,
  // A proxy on the same machine (nginx or Caddy in front of 127.0.0.1:8787) is the common case.
  trustedProxyAddresses: ["127.0.0.1", "::1"],
  // Carrier-grade NAT (a mobile carrier, a school) puts hundreds of honest players behind one
  // address, each holding its socket for the whole game. So what is limited tightly is what only
  // abuse needs in bulk, failures and room creation; successful joins and sockets get ceilings
  // far above any crowd (README, "Per-address limits"). A socket outside a room is closed after
  // IDLE_SOCKET_TIMEOUT_MS, so holding many takes places in rooms, which these limits bound.
  maxSocketsPerAddress: 1000,
  // A whole school's hosts at the bell; then one a second.
  roomCreatesPerMinute: 60,
  // A flood ceiling, not a guessing limit (failedJoinsPerMinute is): 300 players joining at once
  // pass three times over; a script joining and leaving in a loop is slowed to 16 a second.
  joinAttemptsPerMinute: 1000,
  // Every wrong code is a failed join, so this caps guessing: 60 guesses a minute against
  // 30^6 ≈ 729 million codes hit one of 1000 live rooms about once in 8 days per address. High
  // enough that a crowd's typos behind one NAT do not lock everyone behind it out.
  failedJoinsPerMinute: 60,
  // Hosts behind one NAT hold a room each; 50 of a default MAX_ROOMS of 1000 (20 addresses fill
  // it: raise MAX_ROOMS on a busy server, a room costs about a kilobyte).
  maxRoomsPerAddress: 50,
  // Half an hour with nobody: a tab left open, not a lobby still filling.
  emptyRoomTimeoutMs: 30 * 60 * 1000,
  idleSocketTimeoutMs: 30_000,
  maxReconnectGraceMs: DEFAULT_MAX_RECONNECT_GRACE_MS,
  roomSecret: undefined,
  // Ten minutes: a token in hand has at least 400 s left, past MAX_RECONNECT_GRACE_MS's 120 s.
  tokenTtlSeconds: 600,
  turnUrls: [],
  turnSecret: undefined,
  // A day, as the TURN REST API draft recommends: refreshed every 8 h, so a relay allocated with
  // it outlives any game even on a TURN server that checks expiry on refreshes too (coturn does not).
  turnTtlSeconds: 86_400,
  redisUrl: undefined,
  // Within the SDK's own wait for a resume or reclaim (2 s), far above a healthy Redis's milliseconds.
  redisCommandTimeoutMs: 2000,
});

/** Thrown by `configFromEnv`; the message lists every bad variable so one restart fixes them all. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid signaling server configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Builds the configuration from environment variables. Unset or blank variables take their
 * defaults (blank, because `FOO=` in a compose file or shell usually means "not set").
 */
export function configFromEnv(env: Env): SignalingConfig {
  const problems: string[] = [];
  const reader = new EnvReader(env, problems);

  const config: SignalingConfig = {
    port: reader.integer("PORT", defaultConfig.port, 0, 65535),
    host: reader.string("HOST", defaultConfig.host),
    maxRooms: reader.integer("MAX_ROOMS", defaultConfig.maxRooms, 1, 1_000_000),
    maxPlayersPerRoom: reader.integer("MAX_PLAYERS_PER_ROOM", defaultConfig.maxPlayersPerRoom, 1, 10_000),
    maxPayloadBytes: reader.integer(
      "MAX_PAYLOAD_BYTES",
      defaultConfig.maxPayloadBytes,
      1024,
      100 * 1024 * 1024,
    ),
    maxSdpBytes: reader.integer("MAX_SDP_BYTES", defaultConfig.maxSdpBytes, 1, 100 * 1024 * 1024),
    maxCandidateBytes: reader.integer(
      "MAX_CANDIDATE_BYTES",
      defaultConfig.maxCandidateBytes,
      1,
      100 * 1024 * 1024,
    ),
    eventsPerSecond: reader.positiveNumber("EVENTS_PER_SECOND", defaultConfig.eventsPerSecond),
    eventBurst: reader.integer("EVENT_BURST", defaultConfig.eventBurst, 1, 1_000_000),
    roomCodeLength: reader.integer(
      "ROOM_CODE_LENGTH",
      defaultConfig.roomCodeLength,
      MIN_ROOM_CODE_LENGTH,
      MAX_ROOM_CODE_LENGTH,
    ),
    iceServers: reader.iceServers("ICE_SERVERS"),
    corsOrigin: reader.corsOrigin("CORS_ORIGIN"),
    logLevel: reader.logLevel("LOG_LEVEL"),
    logFormat: reader.logFormat("LOG_FORMAT"),
    drainTimeoutMs: reader.integer("DRAIN_TIMEOUT_MS", defaultConfig.drainTimeoutMs, 0, MAX_DRAIN_TIMEOUT_MS),
    metricsToken: reader.secret("METRICS_TOKEN", MIN_METRICS_TOKEN_LENGTH),
    trustedProxies: reader.trustProxy("TRUST_PROXY"),
    trustedProxyAddresses: reader.proxyAddresses("TRUSTED_PROXY_ADDRESSES"),
    maxSocketsPerAddress: reader.limit(
      "MAX_SOCKETS_PER_ADDRESS",
      defaultConfig.maxSocketsPerAddress,
      1,
      1_000_000,
    ),
    roomCreatesPerMinute: reader.limit(
      "ROOM_CREATES_PER_MINUTE",
      defaultConfig.roomCreatesPerMinute,
      1,
      1_000_000,
    ),
    joinAttemptsPerMinute: reader.limit(
      "JOIN_ATTEMPTS_PER_MINUTE",
      defaultConfig.joinAttemptsPerMinute,
      1,
      1_000_000,
    ),
    failedJoinsPerMinute: reader.limit(
      "FAILED_JOINS_PER_MINUTE",
      defaultConfig.failedJoinsPerMinute,
      1,
      1_000_000,
    ),
    maxRoomsPerAddress: reader.limit("MAX_ROOMS_PER_ADDRESS", defaultConfig.maxRoomsPerAddress, 1, 1_000_000),
    emptyRoomTimeoutMs: reader.limit(
      "EMPTY_ROOM_TIMEOUT_MS",
      defaultConfig.emptyRoomTimeoutMs,
      MIN_EMPTY_ROOM_TIMEOUT_MS,
      MAX_EMPTY_ROOM_TIMEOUT_MS,
    ),
    idleSocketTimeoutMs: reader.limit(
      "IDLE_SOCKET_TIMEOUT_MS",
      defaultConfig.idleSocketTimeoutMs,
      MIN_IDLE_SOCKET_TIMEOUT_MS,
      MAX_IDLE_SOCKET_TIMEOUT_MS,
    ),
    maxReconnectGraceMs: reader.integer(
      "MAX_RECONNECT_GRACE_MS",
      defaultConfig.maxReconnectGraceMs,
      0,
      MAX_RECONNECT_GRACE_LIMIT_MS,
    ),
    roomSecret: reader.secret("ROOM_SECRET", MIN_ROOM_SECRET_LENGTH),
    tokenTtlSeconds: reader.integer(
      "TOKEN_TTL_SECONDS",
      defaultConfig.tokenTtlSeconds,
      MIN_TOKEN_TTL_SECONDS,
      MAX_TOKEN_TTL_SECONDS,
    ),
    turnUrls: reader.turnUrls("TURN_URLS"),
    turnSecret: reader.secret("TURN_SECRET", MIN_TURN_SECRET_LENGTH),
    turnTtlSeconds: reader.integer(
      "TURN_TTL_SECONDS",
      defaultConfig.turnTtlSeconds,
      MIN_TURN_TTL_SECONDS,
      MAX_TURN_TTL_SECONDS,
    ),
    redisUrl: reader.redisUrl("REDIS_URL"),
    redisCommandTimeoutMs: reader.integer(
      "REDIS_COMMAND_TIMEOUT_MS",
      defaultConfig.redisCommandTimeoutMs,
      MIN_REDIS_COMMAND_TIMEOUT_MS,
      MAX_REDIS_COMMAND_TIMEOUT_MS,
    ),
  };

  // Tokens are HMACs: every process must check them with the same key, or a host's token from
  // one process is refused by the next, and a random key per process is exactly that.
  if (config.redisUrl !== undefined && config.roomSecret === undefined) {
    problems.push(
      "REDIS_URL is set but ROOM_SECRET is not: every signaling process sharing the Redis must have the same ROOM_SECRET, or host and resume tokens issued by one process are refused by the others",
    );
  }

  // Credentials need both: where to use them, and the secret the TURN servers check them with.
  // (One that is set but malformed has been reported already.)
  const isSet = (name: string) => (env[name]?.trim() ?? "") !== "";
  if (isSet("TURN_URLS") !== isSet("TURN_SECRET")) {
    problems.push(
      isSet("TURN_URLS")
        ? "TURN_URLS is set but TURN_SECRET is not: the TURN servers' shared secret (coturn's static-auth-secret) is needed to mint credentials"
        : "TURN_SECRET is set but TURN_URLS is not: say which TURN servers the credentials are for",
    );
  }

  // A cap above the transport limit could never be reached; saying so beats a silent surprise.
  if (config.maxSdpBytes > config.maxPayloadBytes) {
    problems.push(
      `MAX_SDP_BYTES (${config.maxSdpBytes}) must not exceed MAX_PAYLOAD_BYTES (${config.maxPayloadBytes})`,
    );
  }
  if (config.maxCandidateBytes > config.maxPayloadBytes) {
    problems.push(
      `MAX_CANDIDATE_BYTES (${config.maxCandidateBytes}) must not exceed MAX_PAYLOAD_BYTES (${config.maxPayloadBytes})`,
    );
  }

  // A player away for the whole grace must still hold a live token: it has two thirds of the TTL.
  if ((config.tokenTtlSeconds * 1000 * 2) / 3 < config.maxReconnectGraceMs) {
    problems.push(
      `TOKEN_TTL_SECONDS (${config.tokenTtlSeconds}) must be at least 1.5 × MAX_RECONNECT_GRACE_MS in seconds (${Math.ceil((config.maxReconnectGraceMs * 1.5) / 1000)}), or a player away for the whole grace comes back with an expired token`,
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    // Number("1e3") or parseInt("12abc") would accept typos; only plain digits are an integer here.
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return parsed;
  }

  /** A redis:// or rediss:// URL; the password it may hold never goes into a message. */
  redisUrl(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (
      url === undefined ||
      (url.protocol !== "redis:" && url.protocol !== "rediss:") ||
      url.hostname === ""
    ) {
      this.problems.push(`${name} must be a redis:// or rediss:// URL with a host (redis://host:6379)`);
      return undefined;
    }
    return value;
  }

  /** A limit that "0" turns off, or an integer from `min` to `max`. */
  limit(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === "0") return 0;
    if (value === undefined) return fallback;
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.problems.push(`${name} must be 0 (off) or an integer from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return parsed;
  }

  /**
   * How many proxies append to X-Forwarded-For before a request reaches us. "true" is refused
   * rather than guessed: trusting every entry would let any client pick its own address.
   */
  trustProxy(name: string): number {
    const value = this.raw(name);
    if (value === undefined) return defaultConfig.trustedProxies;
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed > MAX_TRUSTED_PROXIES) {
      this.problems.push(
        `${name} must be the number of reverse proxies in front of the server, 0 to ${MAX_TRUSTED_PROXIES} (1 for one nginx or load balancer), got "${value}"`,
      );
      return defaultConfig.trustedProxies;
    }
    return parsed;
  }

  /** A comma-separated list of IPs and CIDR subnets. */
  proxyAddresses(name: string): string[] {
    const value = this.raw(name);
    if (value === undefined) return [...defaultConfig.trustedProxyAddresses];
    const entries = value
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== "");
    const bad = entries.filter((entry) => parseProxyAddress(entry) === undefined);
    if (bad.length > 0 || entries.length === 0) {
      this.problems.push(
        `${name} must be a comma-separated list of IP addresses or CIDR subnets (127.0.0.1,::1,10.0.0.0/8), got "${value}"`,
      );
      return [...defaultConfig.trustedProxyAddresses];
    }
    return entries;
  }

  positiveNumber(name: string, fallback: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isFinite(parsed) || parsed <= 0) {
      this.problems.push(`${name} must be a positive number, got "${value}"`);
      return fallback;
    }
    return parsed;
  }

  /** A secret is never quoted back, not even in an error: only its length is. */
  secret(name: string, minLength: number): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (value.length < minLength) {
      this.problems.push(`${name} must be at least ${minLength} characters, got ${value.length}`);
      return undefined;
    }
    return value;
  }

  /** A comma-separated list of turn: and turns: URLs. */
  turnUrls(name: string): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const urls = value
      .split(",")
      .map((url) => url.trim())
      .filter((url) => url !== "");
    const bad = urls.find((url) => !TURN_URL.test(url));
    if (bad !== undefined || urls.length === 0) {
      this.problems.push(
        `${name} must be a comma-separated list of turn: or turns: URLs (turn:turn.example.com:3478?transport=udp), got "${bad ?? value}"`,
      );
      return [];
    }
    return urls;
  }

  logLevel(name: string): LogLevel {
    const value = this.raw(name);
    if (value === undefined) return defaultConfig.logLevel;
    if (value === "debug" || value === "info" || value === "silent") return value;
    this.problems.push(`${name} must be "debug", "info" or "silent", got "${value}"`);
    return defaultConfig.logLevel;
  }

  logFormat(name: string): LogFormat {
    const value = this.raw(name);
    if (value === undefined) return defaultConfig.logFormat;
    if (value === "text" || value === "json") return value;
    this.problems.push(`${name} must be "text" or "json", got "${value}"`);
    return defaultConfig.logFormat;
  }

  corsOrigin(name: string): CorsOrigin {
    const value = this.raw(name);
    if (value === undefined) return defaultConfig.corsOrigin;
    if (value === "*") return "*";
    const origins = value
      .split(",")
      .map((origin) => origin.trim())
      .filter((origin) => origin !== "");
    const bad = origins.filter((origin) => !isOrigin(origin));
    if (bad.length > 0 || origins.length === 0) {
      this.problems.push(
        `${name} must be "*" or a comma-separated list of origins like https://game.example.com, got "${value}"`,
      );
      return defaultConfig.corsOrigin;
    }
    return origins;
  }

  iceServers(name: string): IceServer[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      this.problems.push(`${name} is not valid JSON (${(error as Error).message})`);
      return [];
    }
    const result = parseIceServers(parsed);
    if (typeof result === "string") {
      this.problems.push(`${name}: ${result}`);
      return [];
    }
    return result;
  }
}

/** An origin is scheme://host[:port] with no path, which is what browsers send in the Origin header. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
  } catch {
    return false;
  }
}

const ICE_URL_SCHEME = /^(stun|stuns|turn|turns):\S+$/i;
const TURN_URL = /^turns?:\S+$/i;
const ICE_SERVER_KEYS = new Set(["urls", "username", "credential"]);

/**
 * Checks an ICE server list the way a browser would before `new RTCPeerConnection` throws on it,
 * so a typo fails at startup instead of in every player's tab. Returns the problem as a string.
 */
export function parseIceServers(value: unknown): IceServer[] | string {
  if (!Array.isArray(value)) return "must be a JSON array of {urls, username?, credential?}";
  const servers: IceServer[] = [];
  for (const [index, entry] of value.entries()) {
    const where = `entry ${index}`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      return `${where} must be an object`;
    }
    const record = entry as Record<string, unknown>;
    const unknownKey = Object.keys(record).find((key) => !ICE_SERVER_KEYS.has(key));
    if (unknownKey !== undefined) return `${where} has an unknown field "${unknownKey}"`;

    const { urls, username, credential } = record;
    const urlList = typeof urls === "string" ? [urls] : urls;
    if (!Array.isArray(urlList) || urlList.length === 0) {
      return `${where}: urls must be a string or a non-empty array of strings`;
    }
    for (const url of urlList) {
      if (typeof url !== "string" || !ICE_URL_SCHEME.test(url)) {
        return `${where}: "${String(url)}" is not a stun:, stuns:, turn: or turns: URL`;
      }
    }
    if (username !== undefined && typeof username !== "string") return `${where}: username must be a string`;
    if (credential !== undefined && typeof credential !== "string") {
      return `${where}: credential must be a string`;
    }
    const needsCredentials = (urlList as string[]).some((url) => /^turns?:/i.test(url));
    if (needsCredentials && (username === undefined || credential === undefined)) {
      return `${where}: TURN servers need a username and a credential`;
    }

    const server: IceServer = { urls: typeof urls === "string" ? urls : [...(urlList as string[])] };
    if (username !== undefined) server.username = username;
    if (credential !== undefined) server.credential = credential;
    servers.push(server);
  }
  return servers;
}
