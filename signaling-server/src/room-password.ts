import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/**
 * scrypt at N = 2^10 costs about 2 ms and 1 MiB per call: enough that a leaked heap is not a list
 * of passwords, cheap enough to run synchronously in a handler. It runs once per create with a
 * password and once per join to a passworded room, and the per-address join limits bound that.
 */
const SCRYPT_OPTIONS = { N: 1024, r: 8, p: 1 } as const;

/**
 * A room's password, kept only as a scrypt hash with a random salt of its own, in private fields:
 * it is not in JSON.stringify, util.inspect or a log line, and the plain text is not kept at all.
 */
export class RoomPassword {
  readonly #salt: Buffer;
  readonly #key: Buffer;

  private constructor(salt: Buffer, key: Buffer) {
    this.#salt = salt;
    this.#key = key;
  }

  static hash(password: string): RoomPassword {
    const salt = randomBytes(SALT_BYTES);
    return new RoomPassword(salt, derive(password, salt));
  }

  /**
   * The salt and hash as text, for a room store shared by processes (redis-room-store.ts): still
   * no password in it.
   */
  toStored(): string {
    return `${this.#salt.toString("base64")}.${this.#key.toString("base64")}`;
  }

  /** Undefined if `stored` is not what `toStored` makes. */
  static fromStored(stored: string): RoomPassword | undefined {
    const [salt, key, ...rest] = stored.split(".");
    if (salt === undefined || key === undefined || rest.length > 0) return undefined;
    const saltBytes = Buffer.from(salt, "base64");
    const keyBytes = Buffer.from(key, "base64");
    if (saltBytes.length !== SALT_BYTES || keyBytes.length !== KEY_BYTES) return undefined;
    return new RoomPassword(saltBytes, keyBytes);
  }

  /** Constant-time comparison, so response times do not tell how much of a guess was right. */
  matches(attempt: string | undefined): boolean {
    if (attempt === undefined) return false;
    return timingSafeEqual(derive(attempt, this.#salt), this.#key);
  }
}

function derive(password: string, salt: Buffer): Buffer {
  return scryptSync(password.normalize("NFC"), salt, KEY_BYTES, SCRYPT_OPTIONS);
}
