import { randomBytes } from "node:crypto";
import { io as connectSocket, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";
import type {
  ClientToServerEvents,
  CreateReply,
  JoinReply,
  Reply,
  ServerToClientEvents,
} from "starwire-protocol";
import { afterEach, inject } from "vitest";
import { defaultConfig, type SignalingConfig } from "../src/config.js";
import { createSignalingServer, type SignalingServer, type SignalingServerOptions } from "../src/server.js";

/** Every wait in these tests is bounded by this, so a broken server fails fast instead of hanging. */
export const WAIT_MS = 2000;

export type TypedClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

interface ReceivedEvent {
  name: string;
  args: unknown[];
}

/** Records every event a socket receives, so tests can await one without racing its arrival. */
export class Inbox {
  private readonly received: ReceivedEvent[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(socket: Socket) {
    socket.onAny((name: string, ...args: unknown[]) => {
      this.received.push({ name, args });
      for (const wake of [...this.waiters]) wake();
    });
  }

  /** Consumes and returns the first argument of the oldest unconsumed `name` event. */
  next<T = unknown>(name: string, timeoutMs = WAIT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const index = this.received.findIndex((event) => event.name === name);
        if (index === -1) return false;
        const [event] = this.received.splice(index, 1);
        resolve(event!.args[0] as T);
        return true;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for "${name}"`));
      }, timeoutMs);
      const wake = (): void => {
        if (check()) {
          clearTimeout(timer);
          this.waiters.delete(wake);
        }
      };
      this.waiters.add(wake);
    });
  }

  /** First arguments of the unconsumed `name` events, without consuming them. */
  pending(name: string): unknown[] {
    return this.received.filter((event) => event.name === name).map((event) => event.args[0]);
  }

  /**
   * Waits for a marker (the oldest unconsumed `name` event whose first argument passes `isMarker`),
   * then consumes it and every unconsumed event received before it, and returns those earlier ones
   * as `[name, first argument]`. A connection delivers in order, so when the marker was sent after
   * an event that must not arrive, an empty answer proves that event never came.
   */
  before(
    name: string,
    isMarker: (arg: unknown) => boolean,
    timeoutMs = WAIT_MS,
  ): Promise<[name: string, arg: unknown][]> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const index = this.received.findIndex((event) => event.name === name && isMarker(event.args[0]));
        if (index === -1) return false;
        const earlier = this.received.splice(0, index + 1).slice(0, index);
        resolve(earlier.map((event) => [event.name, event.args[0]]));
        return true;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a "${name}" marker`));
      }, timeoutMs);
      const wake = (): void => {
        if (check()) {
          clearTimeout(timer);
          this.waiters.delete(wake);
        }
      };
      this.waiters.add(wake);
    });
  }
}

export interface TestClient {
  socket: TypedClientSocket;
  /** The same socket without protocol typing, for sending what a well-behaved client never would. */
  raw: Socket;
  inbox: Inbox;
  /** Emits with a reply callback and resolves with the reply (rejects after WAIT_MS). */
  request<T = Reply<object>>(event: string, ...args: unknown[]): Promise<T>;
}

export interface TestServer {
  server: SignalingServer;
  url: string;
  logs: string[];
  connect(options?: Partial<ManagerOptions & SocketOptions>): Promise<TestClient>;
  health(): Promise<{ status: string; rooms: number; sockets: number }>;
  /** A host with a fresh room; `tag` is how logs name it (never by its code). */
  createRoom(
    maxPlayers?: number,
  ): Promise<{ host: TestClient; roomCode: string; hostToken: string; tag: string }>;
  /** A client that joined `roomCode`, after its host has heard of it. */
  joinRoom(roomCode: string, host?: TestClient): Promise<{ client: TestClient; peerId: number }>;
  close(): Promise<void>;
}

/**
 * The Redis of the "signaling-redis" vitest project (redis-global-setup.ts), which runs this suite
 * again with every server's rooms in Redis; undefined in the "unit" project (rooms in memory).
 */
export const TEST_REDIS_URL: string | undefined = inject("redisUrl");

/** A ROOM_SECRET for test servers that share a Redis (REDIS_URL needs one). */
export const TEST_ROOM_SECRET = "room-secret-for-the-redis-tests-0123";

/** Keys of their own in the shared test Redis, so test servers never see each other's rooms. */
export function freshKeyPrefix(): string {
  return `test-${randomBytes(6).toString("base64url")}:`;
}

/** With `redis`: servers sharing one set of keys (two processes of one deployment). */
export async function startServer(
  overrides: Partial<SignalingConfig> = {},
  redis: SignalingServerOptions = {},
): Promise<TestServer> {
  const logs: string[] = [];
  const shared: Partial<SignalingConfig> =
    TEST_REDIS_URL === undefined ? {} : { redisUrl: TEST_REDIS_URL, roomSecret: TEST_ROOM_SECRET };
  const config: SignalingConfig = { ...defaultConfig, port: 0, host: "127.0.0.1", ...shared, ...overrides };
  const options: SignalingServerOptions =
    config.redisUrl === undefined ? {} : { redisKeyPrefix: freshKeyPrefix(), ...redis };
  const server = createSignalingServer(config, (line) => logs.push(line), options);
  const { url } = await server.listen();
  const sockets = new Set<Socket>();

  const connect = async (options: Partial<ManagerOptions & SocketOptions> = {}): Promise<TestClient> => {
    const raw = connectSocket(url, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      timeout: WAIT_MS,
      ...options,
    });
    sockets.add(raw);
    const inbox = new Inbox(raw);
    await new Promise<void>((resolve, reject) => {
      raw.once("connect", () => resolve());
      raw.once("connect_error", (error) => reject(error));
    });
    return {
      socket: raw as unknown as TypedClientSocket,
      raw,
      inbox,
      request: <T>(event: string, ...args: unknown[]) =>
        raw.timeout(WAIT_MS).emitWithAck(event, ...args) as Promise<T>,
    };
  };

  const testServer: TestServer = {
    server,
    url,
    logs,
    connect,
    async health() {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(WAIT_MS) });
      if (response.status !== 200) throw new Error(`/health answered ${response.status}`);
      return (await response.json()) as { status: string; rooms: number; sockets: number };
    },
    async createRoom(maxPlayers = 8) {
      const host = await connect();
      const reply = await host.request<Reply<CreateReply>>("create", { maxPlayers });
      if (!reply.ok) throw new Error(`create failed: ${reply.code}`);
      return { host, roomCode: reply.roomCode, hostToken: reply.hostToken!, tag: tagOf(reply.hostToken!) };
    },
    async joinRoom(roomCode, host) {
      const client = await connect();
      const reply = await client.request<Reply<JoinReply>>("join", { roomCode });
      if (!reply.ok) throw new Error(`join failed: ${reply.code}`);
      if (host !== undefined) {
        const joined = await host.inbox.next<{ peerId: number }>("peerJoined");
        if (joined.peerId !== reply.peerId) throw new Error("peerJoined out of order");
      }
      return { client, peerId: reply.peerId };
    },
    async close() {
      for (const socket of sockets) socket.disconnect();
      sockets.clear();
      await server.close();
    },
  };
  return testServer;
}

/** How logs name the room a host or resume token belongs to: `#` and 8 characters of its instance. */
export function tagOf(token: string): string {
  return `#${token.slice(0, 8)}`;
}

/** Resolves with the disconnect reason; rejects if the socket is still connected after `timeoutMs`. */
export function disconnection(client: TestClient, timeoutMs = WAIT_MS): Promise<string> {
  if (!client.raw.connected) return Promise.resolve("already disconnected");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.raw.off("disconnect", onDisconnect);
      reject(new Error(`still connected after ${timeoutMs} ms`));
    }, timeoutMs);
    const onDisconnect = (reason: string) => {
      clearTimeout(timer);
      resolve(reason);
    };
    client.raw.once("disconnect", onDisconnect);
  });
}

/** Connects as if through a proxy that reports `address` (counts as that address with TRUST_PROXY=1). */
export function forwardedFor(address: string) {
  return { extraHeaders: { "x-forwarded-for": address } };
}

/** Polls `condition` every 5 ms until it holds; rejects after WAIT_MS saying what was awaited. */
export async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await delay(5);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const OFFER = { type: "offer", sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" } as const;
export const ANSWER = { type: "answer", sdp: "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n" } as const;
export const CANDIDATE = {
  type: "candidate",
  candidate: {
    candidate: "candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host",
    sdpMid: "0",
    sdpMLineIndex: 0,
    usernameFragment: "abcd",
  },
} as const;

/** `start(overrides)` for a test file: every test gets its own server, closed after the test. */
export function serverPerTest(): (overrides?: Partial<SignalingConfig>) => Promise<TestServer> {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  return async (overrides = {}) => {
    server = await startServer(overrides);
    return server;
  };
}
