import { inspect } from "node:util";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { RoomPassword } from "../src/room-password.js";

interface Derivation {
  password: string;
  salt: Buffer;
  key: Buffer;
  options: unknown;
}

/**
 * Every scrypt derivation RoomPassword makes, with its inputs and result: the salt and key live in
 * private fields, so this is where a test can see them (and see that they are what gets compared).
 */
const derivations = vi.hoisted(() => [] as Derivation[]);

vi.mock("node:crypto", async (importOriginal) => {
  const crypto = await importOriginal<typeof import("node:crypto")>();
  const scryptSync = (password: string, salt: Buffer, keyLength: number, options: unknown) => {
    const key = crypto.scryptSync(password, salt, keyLength, options as never);
    derivations.push({ password, salt: Buffer.from(salt), key: Buffer.from(key), options });
    return key;
  };
  return { ...crypto, default: { ...crypto, scryptSync }, scryptSync };
});

beforeEach(() => {
  derivations.length = 0;
});

const hex = (bytes: Buffer) => bytes.toString("hex");

describe("RoomPassword", () => {
  it("matches only the same password", () => {
    const stored = RoomPassword.hash("correct horse");
    expect(stored.matches("correct horse")).toBe(true);
    for (const attempt of [
      undefined,
      "",
      "correct horse ",
      "Correct horse",
      "correct hors",
      "x".repeat(128),
    ]) {
      expect(stored.matches(attempt), String(attempt)).toBe(false);
    }
  });

  it("matches any Unicode password, comparing canonically composed forms", () => {
    const stored = RoomPassword.hash("pässwörd 🔑");
    expect(stored.matches("pässwörd 🔑")).toBe(true);
    // "ä" typed as a plus a combining diaeresis is the same text.
    expect(stored.matches("pa\u0308sswo\u0308rd 🔑")).toBe(true);
    expect(stored.matches("passwort 🔑")).toBe(false);
  });

  it("salts every hash: the same password twice gives two different salts and keys", () => {
    const a = RoomPassword.hash("same");
    const b = RoomPassword.hash("same");
    expect(derivations).toHaveLength(2);
    const [first, second] = derivations as [Derivation, Derivation];
    for (const { salt } of [first, second]) {
      expect(salt.length).toBe(16);
      expect(hex(salt)).not.toBe("00".repeat(16));
    }
    expect(hex(first.salt)).not.toBe(hex(second.salt));
    expect(hex(first.key)).not.toBe(hex(second.key));

    // Each verifier derives with its own salt, and both accept the password.
    derivations.length = 0;
    expect(a.matches("same")).toBe(true);
    expect(b.matches("same")).toBe(true);
    expect(derivations.map(({ salt }) => hex(salt))).toEqual([hex(first.salt), hex(second.salt)]);
    expect(derivations.map(({ key }) => hex(key))).toEqual([hex(first.key), hex(second.key)]);
  });

  it("salts differ across many hashes", () => {
    for (let i = 0; i < 20; i++) RoomPassword.hash("same");
    expect(new Set(derivations.map(({ salt }) => hex(salt))).size).toBe(20);
  });

  it("keeps only a derived key: neither it nor the salt contains the password", () => {
    const password = "hunter2 hunter2 hunter2";
    const stored = RoomPassword.hash(password);
    const [{ salt, key }] = derivations as [Derivation];
    expect(key.length).toBe(32);
    const plain = Buffer.from(password);
    expect(key.includes(plain)).toBe(false);
    expect(salt.includes(plain)).toBe(false);
    expect(hex(key)).not.toContain(hex(plain));
    // The key is scrypt of the password with that salt: a different password gives another key.
    derivations.length = 0;
    expect(stored.matches("hunter3 hunter2 hunter2")).toBe(false);
    expect(hex(derivations[0]!.key)).not.toBe(hex(key));
  });

  it("shows nothing of the hash, the salt or the password", () => {
    const stored = RoomPassword.hash("hunter2");
    const [{ salt, key }] = derivations as [Derivation];
    expect(JSON.stringify(stored)).toBe("{}");
    expect(Object.getOwnPropertyNames(stored)).toEqual([]);
    for (const shown of [String(stored), inspect(stored, { showHidden: true, depth: 5 })]) {
      expect(shown).not.toContain("hunter2");
      expect(shown).not.toContain(hex(salt));
      expect(shown).not.toContain(hex(key));
    }
  });

  it("derives with the cost the signaling README states (N = 2^10), cheap enough to run in a handler", () => {
    RoomPassword.hash("cost");
    expect(derivations[0]!.options).toEqual({ N: 1024, r: 8, p: 1 });
  });
});
