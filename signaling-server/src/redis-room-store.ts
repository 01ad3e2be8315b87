import { randomBytes, randomInt } from "node:crypto";
import { type createClient, ErrorReply } from "redis";
import {
  HOST_PEER_ID,
  MAX_PEER_ID,
  normalizeRoomCode,
  type SignalingError,
  type SignalingErrorCode,
} from "starwire-protocol";
import { ROOM_SCRIPT } from "./redis-room-script.js";
import { generateRoomCode, type RandomIndex, ROOM_CODE_ATTEMPTS } from "./room-code.js";
import { RoomPassword } from "./room-password.js";
import type {
  EmptyCheck,
  KickOutcome,
  LeaveOutcome,
  Membership,
  ReclaimClaim,
  Result,
  ResumeClaim,
  Room,
  RoomStore,
  StoreDropOutcome,
  Takeover,
} from "./room-store.js";
import { StoreUnavailableError } from "./room-store.js";
import { CLOCK_SKEW_SECONDS, newRoomInstance } from "./tokens.js";

export type RedisClient = ReturnType<typeof createClient>;

export interface RedisRoomStoreOptions {
  /** Prefix of every key, so deployments (or tests) can share one Redis. */
  keyPrefix: string;
  maxRooms: number;
  roomCodeLength: number;
  tokenTtlSeconds: number;
  /**
   * How long a room outlives the last renewal by the process holding its host's socket (plus its
   * reconnect grace): a room whose process died goes away after that. Renewed every third of it.
   */
  leaseMs?: number;
  /**
   * How long one step (and a health PING) may wait for Redis (`redisCommandTimeoutMs` of the
   * config): past this the request is answered `server_unavailable`. While disconnected, the
   * store's client (disableOfflineQueue) fails a step at once.
   */
  commandTimeoutMs: number;
  randomPeerId?: () => number;
  randomIndex?: RandomIndex;
}

export const DEFAULT_LEASE_MS = 30_000;
/**
 * How often the store PINGs Redis. A Redis that hangs with its connection open (stopped, swapping,
 * stuck on a slow command) leaves the client "ready" and commands already written unanswered: a
 * PING unanswered within `commandTimeoutMs` marks the store unreachable (/health 503, the
 * reachable gauge 0) until one is answered.
 */
export const REDIS_PING_INTERVAL_MS = 2000;
/** Codes (and peer ids) offered per round trip: the script takes the first free one. */
const CANDIDATES = 4;
/** Bounds the retries if an injected id source keeps returning taken ids. */
const PEER_ID_ROUNDS = 250;

/** A room as the script answers it (see redis-room-script.ts). */
interface StoredRoom {
  code: string;
  instance: string;
  host: string;
  max: string;
  refusing: string;
  pw: string;
  grace: string;
  clients: [number, string][] | Record<string, never>;
  reserved: number[] | Record<string, never>;
}

type Answer = Record<string, unknown> & { ok?: boolean; code?: string; message?: string };

/**
 * Rooms in Redis, shared by every signaling process of a deployment: each step is one run of
 * ROOM_SCRIPT (one round trip; a join to a room with a password takes two, since the password is
 * checked here with scrypt between them). The process holding a room's host socket renews the
 * room's keys; see redis-room-script.ts for the keys.
 */
export class RedisRoomStore implements RoomStore {
  private sha: string | undefined;
  private count = 0;
  /** Sockets on this process that host a room: their rooms' leases are renewed from here. */
  private readonly hosts = new Set<string>();
  private renewal: NodeJS.Timeout | undefined;
  private readonly leaseMs: number;
  private readonly commandTimeoutMs: number;
  /** The script's arguments after the step's name, the same for every step. */
  private readonly fixedArgs: readonly string[];
  private readonly randomPeerId: () => number;
  private pinger: NodeJS.Timeout | undefined;
  private pingInFlight = false;
  private pingAnswered = true;

  constructor(
    private readonly client: RedisClient,
    private readonly options: RedisRoomStoreOptions,
  ) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.commandTimeoutMs = options.commandTimeoutMs;
    this.fixedArgs = [
      options.keyPrefix,
      String(this.leaseMs),
      String((options.tokenTtlSeconds + CLOCK_SKEW_SECONDS) * 1000),
      String(options.maxRooms),
    ];
    this.randomPeerId = options.randomPeerId ?? (() => randomInt(HOST_PEER_ID + 1, MAX_PEER_ID + 1));
  }

  /**
   * Loads the script and starts renewing; the client must be connected. Best created with
   * disableOfflineQueue, so a step fails at once while Redis is away rather than at the bound.
   */
  async start(): Promise<void> {
    this.sha = await this.client.scriptLoad(ROOM_SCRIPT);
    this.renewal = setInterval(() => void this.renew(), this.leaseMs / 3);
    this.renewal.unref();
    this.pinger = setInterval(() => this.ping(), REDIS_PING_INTERVAL_MS);
    this.pinger.unref();
    await this.renew();
  }

  /** False while the last PING went unanswered past the command timeout (or failed). */
  get answering(): boolean {
    return this.pingAnswered;
  }

  get roomCount(): number {
    return this.count;
  }

  async room(code: string): Promise<Room | undefined> {
    const answer = await this.run("room", [normalizeRoomCode(code)]);
    return answer.room ? toRoom(answer.room as StoredRoom) : undefined;
  }

  async membership(socketId: string): Promise<Membership | undefined> {
    const answer = await this.run("membership", [socketId]);
    if (answer.room === undefined) return undefined;
    return { room: toRoom(answer.room as StoredRoom), peerId: answer.peerId as number };
  }

  async create(socketId: string, maxPlayers: number, password: string | undefined, grace: number) {
    // Hashed before the room is certain to exist: the check and the insert are one step in Redis.
    const pw = password === undefined ? "" : RoomPassword.hash(password).toStored();
    const instance = newRoomInstance();
    for (let round = 0; round < ROOM_CODE_ATTEMPTS / CANDIDATES; round++) {
      const codes = Array.from({ length: CANDIDATES }, () =>
        generateRoomCode(this.options.roomCodeLength, () => false, this.options.randomIndex),
      );
      const answer = await this.run("create", [socketId, maxPlayers, pw, grace, instance, ...codes]);
      if (answer.code === "codes_taken") continue;
      if (!answer.ok) return failure(answer);
      this.hosts.add(socketId);
      return { ok: true as const, room: toRoom(answer.room as StoredRoom) };
    }
    return fail("server_full", "the server could not find a free room code; try again later");
  }

  async reclaim(
    socketId: string,
    maxPlayers: number,
    password: string | undefined,
    claim: ReclaimClaim,
    grace: number,
  ): Promise<Result<{ room: Room; takeover: Takeover | undefined }>> {
    const pw = password === undefined ? "" : RoomPassword.hash(password).toStored();
    const peers = [...new Set(claim.peers.filter(isClientId))];
    const answer = await this.run("reclaim", [
      socketId,
      maxPlayers,
      pw,
      grace,
      claim.claimedInstance ?? "",
      normalizeRoomCode(claim.roomCode),
      ...peers,
    ]);
    if (!answer.ok) return failure(answer);
    this.hosts.add(socketId);
    const stored = answer.takeover as { replaced: string | false; unlisted: number[] | object } | undefined;
    const takeover: Takeover | undefined =
      stored === undefined
        ? undefined
        : {
            replacedSocketId: stored.replaced === false ? undefined : stored.replaced,
            unlistedPeers: Array.isArray(stored.unlisted) ? stored.unlisted : [],
          };
    return { ok: true, room: toRoom(answer.room as StoredRoom), takeover };
  }

  async join(socketId: string, roomCode: string, password?: string) {
    const code = normalizeRoomCode(roomCode);
    let verified = "";
    for (let round = 0; round < PEER_ID_ROUNDS; round++) {
      const ids = this.peerIdCandidates();
      const answer = await this.run("join", [socketId, code, verified, ...ids]);
      if (answer.code === "ids_taken") continue;
      if (answer.code === "password") {
        // Checked here, not in Redis (scrypt), then the join runs again with the hash it matched:
        // a password changed by a takeover in between is asked for again.
        const stored = answer.pw as string;
        if (password === undefined) return fail("wrong_password", "this room needs a password");
        if (verified === stored || !RoomPassword.fromStored(stored)?.matches(password)) {
          return fail("wrong_password", "wrong password for this room");
        }
        verified = stored;
        round--;
        continue;
      }
      if (!answer.ok) return failure(answer);
      return { ok: true as const, room: toRoom(answer.room as StoredRoom), peerId: answer.peerId as number };
    }
    throw new Error(`no free peer id after ${PEER_ID_ROUNDS * CANDIDATES} attempts`);
  }

  async resume(socketId: string, claim: ResumeClaim) {
    const answer = await this.run("resume", [
      socketId,
      normalizeRoomCode(claim.roomCode),
      claim.peerId,
      claim.claimedInstance ?? "",
    ]);
    if (!answer.ok) return failure(answer);
    const replaced = answer.replaced as string | false;
    return {
      ok: true as const,
      room: toRoom(answer.room as StoredRoom),
      peerId: answer.peerId as number,
      replacedSocketId: replaced === false ? undefined : replaced,
    };
  }

  async leave(socketId: string): Promise<LeaveOutcome | undefined> {
    this.hosts.delete(socketId);
    return leaveOutcome(await this.run("leave", [socketId]));
  }

  async drop(socketId: string): Promise<StoreDropOutcome | undefined> {
    this.hosts.delete(socketId);
    const detachId = randomBytes(9).toString("base64url");
    const answer = await this.run("drop", [socketId, detachId]);
    if (answer.kind === "detached") {
      return {
        kind: "detached",
        room: toRoom(answer.room as StoredRoom),
        peerId: answer.peerId as number,
        detachId,
      };
    }
    return leaveOutcome(answer);
  }

  async expire(room: Room, peerId: number, detachId: string | undefined) {
    return leaveOutcome(await this.run("expire", [room.code, room.instance, peerId, detachId ?? ""]));
  }

  async kick(hostSocketId: string, peerId: number): Promise<Result<KickOutcome>> {
    const answer = await this.run("kick", [hostSocketId, peerId]);
    if (!answer.ok) return failure(answer);
    const room = toRoom(answer.room as StoredRoom);
    if (answer.kind === "client") {
      return { ok: true, kind: "client", room, clientSocketId: answer.clientSocketId as string };
    }
    return { ok: true, kind: answer.kind as "detached" | "reserved", room };
  }

  async setRefusing(hostSocketId: string, refusing: boolean) {
    const answer = await this.run("refusing", [hostSocketId, refusing ? "1" : "0"]);
    if (!answer.ok) return failure(answer);
    return { ok: true as const, room: toRoom(answer.room as StoredRoom), changed: answer.changed as boolean };
  }

  async signalRoute(socketId: string, to: number | undefined) {
    const answer = await this.run("route", [socketId, to ?? ""]);
    if (!answer.ok) return failure(answer);
    const target = answer.target as string | false;
    return {
      ok: true as const,
      from: answer.from as number,
      targetSocketId: target === false || target === "" ? undefined : target,
    };
  }

  async closeIfEmpty(room: Room, emptyMs: number): Promise<EmptyCheck> {
    const answer = await this.run("closeIfEmpty", [room.code, room.instance, emptyMs]);
    if (answer.kind === "wait") return { kind: "wait", ms: answer.ms as number };
    if (answer.kind !== "closed") return { kind: "none" };
    const outcome = leaveOutcome(answer.outcome as Answer);
    if (outcome === undefined) return { kind: "none" };
    return { kind: "closed", outcome, hostSocketId: answer.hostSocketId as string };
  }

  /** The room stays, held by the lease, for its host and players to take back on another process. */
  async abandon(socketId: string): Promise<void> {
    this.hosts.delete(socketId);
  }

  async close(): Promise<void> {
    clearInterval(this.renewal);
    this.renewal = undefined;
    clearInterval(this.pinger);
    this.pinger = undefined;
  }

  /**
   * One PING at a time, bounded by a timer of its own: the command's timeout stops applying once it
   * is written. A late answer still counts: Redis answers again.
   */
  private ping(): void {
    if (this.pingInFlight) return;
    this.pingInFlight = true;
    const overdue = setTimeout(() => {
      this.pingAnswered = false;
    }, this.commandTimeoutMs);
    overdue.unref();
    this.client
      .ping()
      .then(
        () => {
          this.pingAnswered = true;
        },
        () => {
          this.pingAnswered = false;
        },
      )
      .finally(() => {
        clearTimeout(overdue);
        this.pingInFlight = false;
      });
  }

  /** Renews the rooms hosted from here; forgets hosts that are not hosting any more. */
  private async renew(): Promise<void> {
    try {
      const answer = await this.run("renew", [...this.hosts]);
      const gone = Array.isArray(answer.gone) ? (answer.gone as string[]) : [];
      for (const socketId of gone) this.hosts.delete(socketId);
    } catch {
      // Redis is away: the next renewal tries again, and the lease covers the gap.
    }
  }

  private peerIdCandidates(): number[] {
    const ids: number[] = [];
    // An injected source may return taken or invalid ids: drawn until there are enough valid ones.
    for (let draw = 0; draw < CANDIDATES * 4 && ids.length < CANDIDATES; draw++) {
      const id = this.randomPeerId();
      if (isClientId(id) && !ids.includes(id)) ids.push(id);
    }
    return ids;
  }

  private async run(step: string, args: readonly (string | number)[]): Promise<Answer> {
    // Sent as is: node-redis's command parser would copy the arguments again on every step.
    const command = ["EVALSHA", this.sha ?? "", "0", step, ...this.fixedArgs];
    for (const arg of args) command.push(String(arg));
    let text: unknown;
    try {
      text = await withinCommandTimeout(this.commandTimeoutMs, this.send(command));
    } catch (error) {
      // An error reply is Redis answering (a bug in the script): anything else is Redis not
      // answering (timed out, connection lost), which the request's caller is told as such.
      if (error instanceof ErrorReply) throw error;
      throw new StoreUnavailableError(`redis did not answer "${step}": ${describe(error)}`);
    }
    const answer = JSON.parse(String(text)) as Answer;
    // Steps that open or close a room say how many are live now (health, debugStats).
    const counted = answer.outcome === undefined ? answer : (answer.outcome as Answer);
    if (typeof counted.count === "number") this.count = counted.count;
    return answer;
  }

  /** EVALSHA, or the script whole if Redis restarted (or was flushed) and forgot it: that loads it again. */
  private send(evalSha: string[]): Promise<unknown> {
    const whole = () => this.client.sendCommand(["EVAL", ROOM_SCRIPT, ...evalSha.slice(2)]);
    if (this.sha === undefined) return whole();
    return this.client.sendCommand(evalSha).catch((error: unknown) => {
      if (!(error instanceof ErrorReply) || !error.message.startsWith("NOSCRIPT")) throw error;
      return whole();
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function toRoom(stored: StoredRoom): Room {
  const clients = Array.isArray(stored.clients) ? stored.clients : [];
  const reserved = Array.isArray(stored.reserved) ? stored.reserved : [];
  return {
    code: stored.code,
    instance: stored.instance,
    hostSocketId: stored.host === "" ? undefined : stored.host,
    maxPlayers: Number(stored.max),
    refusing: stored.refusing === "1",
    password: stored.pw === "" ? undefined : RoomPassword.fromStored(stored.pw),
    reconnectGraceMs: Number(stored.grace),
    clients: new Map(clients.map(([peerId, socketId]) => [peerId, socketId === "" ? undefined : socketId])),
    reserved: new Set(reserved),
  };
}

function leaveOutcome(answer: Answer): LeaveOutcome | undefined {
  if (answer.kind === "client_left") {
    return { kind: "client_left", room: toRoom(answer.room as StoredRoom), peerId: answer.peerId as number };
  }
  if (answer.kind === "room_closed") {
    const ids = answer.clientSocketIds;
    return {
      kind: "room_closed",
      room: toRoom(answer.room as StoredRoom),
      clientSocketIds: Array.isArray(ids) ? (ids as string[]) : [],
    };
  }
  return undefined;
}

function fail(code: SignalingErrorCode, message: string): SignalingError {
  return { ok: false, code, message };
}

function failure(answer: Answer): SignalingError {
  return fail(answer.code as SignalingErrorCode, answer.message ?? "");
}

function isClientId(id: number): boolean {
  return Number.isInteger(id) && id > HOST_PEER_ID && id <= MAX_PEER_ID;
}

/**
 * A command written to a Redis that hangs (connection open, nothing answered) would wait for
 * ever, and a client that queues commands while offline would hold them. This bounds the whole step. Its
 * answer may still come later and is then dropped (as after a lost connection, the step may have
 * happened: the caller was told `server_unavailable` and tries again).
 */
function withinCommandTimeout<T>(timeoutMs: number, running: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    // An answer after the bound settles nothing (and is no unhandled rejection).
    running.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
