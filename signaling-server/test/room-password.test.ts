import { describe, expect, it } from "vitest";
import { RoomPassword } from "../src/room-password.js";

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

  it("salts every hash: the same password twice gives two independent verifiers", () => {
    const a = RoomPassword.hash("same");
    const b = RoomPassword.hash("same");
    expect(a).not.toBe(b);
    expect(a.matches("same") && b.matches("same")).toBe(true);
  });

  it("shows nothing of the hash or salt", () => {
    const stored = RoomPassword.hash("hunter2");
    expect(JSON.stringify(stored)).toBe("{}");
    expect(Object.getOwnPropertyNames(stored)).toEqual([]);
    expect(String(stored)).not.toContain("hunter2");
  });

  it("costs a few milliseconds, not tens: it runs synchronously in a handler", () => {
    const started = performance.now();
    const stored = RoomPassword.hash("timing");
    for (let i = 0; i < 9; i++) stored.matches("timing");
    expect((performance.now() - started) / 10).toBeLessThan(50);
  });
});
