import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Bytes of the secret generated when ROOM_SECRET is not set. */
export const GENERATED_SECRET_BYTES = 32;

/**
 * The tokens that prove a place in a room, both base64url HMAC-SHA256 under one secret:
 *
 * - a host token, HMAC(roomCode): a room's host gets one with every `create` and shows it to
 *   reclaim the same code later (after the server restarted, or from a new socket);
 * - a resume token, HMAC(`${roomCode}\0${peerId}`): a client gets one with every `join` and shows
 *   it to `resume` its id from a new socket. Room codes never contain NUL, so no resume token is
 *   ever a host token.
 *
 * Nothing is stored: any process with the same secret recognises a token, and one without a
 * configured secret generates its own, so its tokens die with it. The secret stays in a private
 * field, out of logs, `util.inspect` and JSON.
 */
export class RoomTokens {
  readonly #key: Buffer;

  /** `secret` undefined: a random one for this process only. */
  constructor(secret: string | undefined) {
    this.#key = secret === undefined ? randomBytes(GENERATED_SECRET_BYTES) : Buffer.from(secret, "utf8");
  }

  issueHost(roomCode: string): string {
    return this.#mac(roomCode);
  }

  /** Whether `token` is the host token of `roomCode`; constant time in the token's contents. */
  hostMatches(roomCode: string, token: string): boolean {
    return sameText(this.#mac(roomCode), token);
  }

  issueResume(roomCode: string, peerId: number): string {
    return this.#mac(resumeInput(roomCode, peerId));
  }

  /** Whether `token` is the resume token of `peerId` in `roomCode`; constant time in its contents. */
  resumeMatches(roomCode: string, peerId: number, token: string): boolean {
    return sameText(this.#mac(resumeInput(roomCode, peerId)), token);
  }

  #mac(input: string): string {
    return createHmac("sha256", this.#key).update(input, "utf8").digest("base64url");
  }
}

function resumeInput(roomCode: string, peerId: number): string {
  return `${roomCode}\0${peerId}`;
}

function sameText(expected: string, given: string): boolean {
  const expectedBytes = Buffer.from(expected, "utf8");
  const givenBytes = Buffer.from(given, "utf8");
  // timingSafeEqual needs equal lengths; the expected length is public (43 characters) anyway.
  return givenBytes.length === expectedBytes.length && timingSafeEqual(givenBytes, expectedBytes);
}
