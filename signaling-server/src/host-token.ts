import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Bytes of the secret generated when ROOM_SECRET is not set. */
export const GENERATED_SECRET_BYTES = 32;

/**
 * Host tokens: base64url HMAC-SHA256(secret, roomCode). A room's host gets one with every
 * `create` and shows it to reclaim the same code later, typically after the server restarted.
 * Nothing is stored: any process with the same secret recognises the token, and one without a
 * configured secret generates its own, so its tokens die with it. The secret stays in a private
 * field, out of logs, `util.inspect` and JSON.
 */
export class HostTokens {
  readonly #key: Buffer;

  /** `secret` undefined: a random one for this process only. */
  constructor(secret: string | undefined) {
    this.#key = secret === undefined ? randomBytes(GENERATED_SECRET_BYTES) : Buffer.from(secret, "utf8");
  }

  issue(roomCode: string): string {
    return this.#mac(roomCode).toString("base64url");
  }

  /** Whether `token` is the one issued for `roomCode`; constant time in the token's contents. */
  matches(roomCode: string, token: string): boolean {
    const expected = this.#mac(roomCode);
    const given = Buffer.from(token, "utf8");
    // timingSafeEqual needs equal lengths; the expected length is public (43 characters) anyway.
    const expectedText = Buffer.from(expected.toString("base64url"), "utf8");
    return given.length === expectedText.length && timingSafeEqual(given, expectedText);
  }

  #mac(roomCode: string): Buffer {
    return createHmac("sha256", this.#key).update(roomCode, "utf8").digest();
  }
}
