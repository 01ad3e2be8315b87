import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Bytes of the secret generated when ROOM_SECRET is not set. */
export const GENERATED_SECRET_BYTES = 32;
/** Bytes of a room instance: a room code is reissued once its room is gone, an instance never. */
const INSTANCE_BYTES = 16;
const INSTANCE = /^[A-Za-z0-9_-]{22}$/;

/** A fresh room instance id (base64url, 22 characters). */
export function newRoomInstance(): string {
  return randomBytes(INSTANCE_BYTES).toString("base64url");
}

/** Milliseconds since the epoch; tokens outlive processes, so their clock is the wall clock. */
export type WallClock = () => number;

/**
 * How far a token's expiry may lie beyond now + TTL: other instances' clocks (with the same
 * secret) may run a little ahead. Beyond it a token is refused, so lowering TOKEN_TTL_SECONDS
 * shortens tokens already out there too.
 */
export const CLOCK_SKEW_SECONDS = 60;

const EXPIRY = /^\d{1,12}$/;

/**
 * The tokens that prove a place in one room: `instance.expiresAt.mac`, where `instance` names the
 * room (a code is reused once its room is gone; an instance never), `expiresAt` is when the token
 * stops working (Unix seconds; issued TTL seconds ahead) and `mac` is base64url HMAC-SHA256 under
 * one secret of:
 *
 * - `host NUL code NUL instance NUL expiresAt` for a host token: a room's host gets one with every
 *   `create`, and a fresh one every TTL/3 while it is connected, and shows it to reclaim the room
 *   (after the server restarted, or from a new socket);
 * - `peer NUL code NUL instance NUL peerId NUL expiresAt` for a resume token: a client gets one
 *   with every `join` or `resume`, and a fresh one every TTL/3 while connected, and shows it to
 *   `resume` its id from a new socket.
 *
 * So a token opens only the room it was issued for, never a later room under the same code, only
 * until it expires (the mac covers the expiry), and no token of one kind is one of the other.
 * Nothing is stored: any process with the same secret recognises a token (and learns its instance
 * from it); one without a configured secret generates its own, so its tokens die with it. The
 * secret stays in a private field, out of logs, `util.inspect` and JSON.
 */
export class RoomTokens {
  readonly #key: Buffer;
  readonly #ttlSeconds: number;
  readonly #now: WallClock;

  /** `secret` undefined: a random one for this process only. */
  constructor(secret: string | undefined, ttlSeconds: number, now: WallClock = Date.now) {
    this.#key = secret === undefined ? randomBytes(GENERATED_SECRET_BYTES) : Buffer.from(secret, "utf8");
    this.#ttlSeconds = ttlSeconds;
    this.#now = now;
  }

  issueHost(roomCode: string, instance: string): string {
    return this.#issue(instance, (expiresAt) => hostInput(roomCode, instance, expiresAt));
  }

  /** The room instance an unexpired host token of `roomCode` was issued for, or null. */
  hostInstance(roomCode: string, token: string): string | null {
    return this.#verify(token, (instance, expiresAt) => hostInput(roomCode, instance, expiresAt));
  }

  issueResume(roomCode: string, instance: string, peerId: number): string {
    return this.#issue(instance, (expiresAt) => resumeInput(roomCode, instance, peerId, expiresAt));
  }

  /** The room instance an unexpired resume token of `peerId` in `roomCode` was issued for, or null. */
  resumeInstance(roomCode: string, peerId: number, token: string): string | null {
    return this.#verify(token, (instance, expiresAt) => resumeInput(roomCode, instance, peerId, expiresAt));
  }

  #issue(instance: string, input: (expiresAt: string) => string): string {
    const expiresAt = String(Math.floor(this.#now() / 1000) + this.#ttlSeconds);
    return `${instance}.${expiresAt}.${this.#mac(input(expiresAt))}`;
  }

  /** Constant time in the token's contents once its shape is right (the shape is public). */
  #verify(token: string, input: (instance: string, expiresAt: string) => string): string | null {
    const [instance = "", expiresAt = "", mac, ...rest] = token.split(".");
    if (mac === undefined || rest.length > 0 || !INSTANCE.test(instance) || !EXPIRY.test(expiresAt)) {
      return null;
    }
    if (!sameText(this.#mac(input(instance, expiresAt)), mac)) return null;
    const nowSeconds = this.#now() / 1000;
    const expires = Number(expiresAt);
    if (expires <= nowSeconds || expires > nowSeconds + this.#ttlSeconds + CLOCK_SKEW_SECONDS) return null;
    return instance;
  }

  #mac(input: string): string {
    return createHmac("sha256", this.#key).update(input, "utf8").digest("base64url");
  }
}

function hostInput(roomCode: string, instance: string, expiresAt: string): string {
  return `host\0${roomCode}\0${instance}\0${expiresAt}`;
}

function resumeInput(roomCode: string, instance: string, peerId: number, expiresAt: string): string {
  return `peer\0${roomCode}\0${instance}\0${peerId}\0${expiresAt}`;
}

function sameText(expected: string, given: string): boolean {
  const expectedBytes = Buffer.from(expected, "utf8");
  const givenBytes = Buffer.from(given, "utf8");
  // timingSafeEqual needs equal lengths; the expected length is public (43 characters) anyway.
  return givenBytes.length === expectedBytes.length && timingSafeEqual(givenBytes, expectedBytes);
}

/** Rooms remembered at most; past it the longest-closed is forgotten first. */
export const MAX_CLOSED_INSTANCES = 100_000;

/**
 * Room instances that closed on this process, each until the last token issued for it has
 * expired, so that a token kept from a closed room cannot reopen it (a reclaim reopens a code that
 * is not live only after a restart, when this memory is gone and the token's expiry alone
 * decides). Memory is bounded: entries go once their tokens are dead, and past `maxEntries` the
 * oldest goes first (one closed more than `maxEntries` rooms ago is then protected by its expiry
 * only).
 */
export class ClosedInstances {
  /** Instance → when its last token is dead (ms, monotonic). Insertion order is expiry order. */
  private readonly until = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = MAX_CLOSED_INSTANCES,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.until.size;
  }

  add(instance: string): void {
    this.sweep();
    if (this.until.size >= this.maxEntries) {
      const oldest = this.until.keys().next().value;
      if (oldest !== undefined) this.until.delete(oldest);
    }
    this.until.delete(instance);
    // A token issued just before the close lives TTL longer; the skew covers rounding and other clocks.
    this.until.set(instance, this.now() + this.ttlMs + CLOCK_SKEW_SECONDS * 1000);
  }

  has(instance: string): boolean {
    this.sweep();
    return this.until.has(instance);
  }

  private sweep(): void {
    const now = this.now();
    for (const [instance, until] of this.until) {
      if (until > now) break;
      this.until.delete(instance);
    }
  }
}
