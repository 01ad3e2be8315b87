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

/**
 * The tokens that prove a place in one room: `instance.mac`, where `instance` names the room (a
 * code is reused once its room is gone; an instance never) and `mac` is base64url
 * HMAC-SHA256 under one secret of:
 *
 * - `host NUL code NUL instance` for a host token: a room's host gets one with every `create` and
 *   shows it to reclaim the room (after the server restarted, or from a new socket);
 * - `peer NUL code NUL instance NUL peerId` for a resume token: a client gets one with every
 *   `join` and shows it to `resume` its id from a new socket.
 *
 * So a token opens only the room it was issued for, never a later room under the same code, and
 * no token of one kind is one of the other. Nothing is stored: any process with the same secret
 * recognises a token (and learns its instance from it), one without a configured secret generates
 * its own, so its tokens die with it. The secret stays in a private field, out of logs,
 * `util.inspect` and JSON.
 */
export class RoomTokens {
  readonly #key: Buffer;

  /** `secret` undefined: a random one for this process only. */
  constructor(secret: string | undefined) {
    this.#key = secret === undefined ? randomBytes(GENERATED_SECRET_BYTES) : Buffer.from(secret, "utf8");
  }

  issueHost(roomCode: string, instance: string): string {
    return `${instance}.${this.#mac(hostInput(roomCode, instance))}`;
  }

  /** The room instance a host token of `roomCode` was issued for, or null if it is not one. */
  hostInstance(roomCode: string, token: string): string | null {
    return this.#verify(token, (instance) => hostInput(roomCode, instance));
  }

  issueResume(roomCode: string, instance: string, peerId: number): string {
    return `${instance}.${this.#mac(resumeInput(roomCode, instance, peerId))}`;
  }

  /** The room instance a resume token of `peerId` in `roomCode` was issued for, or null. */
  resumeInstance(roomCode: string, peerId: number, token: string): string | null {
    return this.#verify(token, (instance) => resumeInput(roomCode, instance, peerId));
  }

  /** Constant time in the token's contents once its shape is right (the shape is public). */
  #verify(token: string, input: (instance: string) => string): string | null {
    const dot = token.indexOf(".");
    const instance = token.slice(0, dot);
    if (dot < 0 || !INSTANCE.test(instance)) return null;
    return sameText(this.#mac(input(instance)), token.slice(dot + 1)) ? instance : null;
  }

  #mac(input: string): string {
    return createHmac("sha256", this.#key).update(input, "utf8").digest("base64url");
  }
}

function hostInput(roomCode: string, instance: string): string {
  return `host\0${roomCode}\0${instance}`;
}

function resumeInput(roomCode: string, instance: string, peerId: number): string {
  return `peer\0${roomCode}\0${instance}\0${peerId}`;
}

function sameText(expected: string, given: string): boolean {
  const expectedBytes = Buffer.from(expected, "utf8");
  const givenBytes = Buffer.from(given, "utf8");
  // timingSafeEqual needs equal lengths; the expected length is public (43 characters) anyway.
  return givenBytes.length === expectedBytes.length && timingSafeEqual(givenBytes, expectedBytes);
}
