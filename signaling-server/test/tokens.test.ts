import { createHmac } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { RoomTokens } from "../src/tokens.js";

const SECRET = "a-room-secret-for-tests";

describe("host tokens", () => {
  it("issues base64url HMAC-SHA256(secret, code), the same for the same secret", () => {
    const token = new RoomTokens(SECRET).issueHost("ABCDEF");
    expect(token).toBe(createHmac("sha256", SECRET).update("ABCDEF").digest("base64url"));
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new RoomTokens(SECRET).issueHost("ABCDEF")).toBe(token);
    expect(new RoomTokens(SECRET).issueHost("ABCDEG")).not.toBe(token);
    expect(new RoomTokens("another-secret-123").issueHost("ABCDEF")).not.toBe(token);
  });

  it("matches only the code's own token", () => {
    const tokens = new RoomTokens(SECRET);
    const token = tokens.issueHost("ABCDEF");
    expect(tokens.hostMatches("ABCDEF", token)).toBe(true);
    expect(tokens.hostMatches("ABCDEG", token)).toBe(false);
    const flipped = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    expect(tokens.hostMatches("ABCDEF", flipped)).toBe(false);
    expect(tokens.hostMatches("ABCDEF", token.slice(0, -1))).toBe(false);
    expect(tokens.hostMatches("ABCDEF", `${token}=`)).toBe(false);
    expect(tokens.hostMatches("ABCDEF", "")).toBe(false);
    expect(tokens.hostMatches("ABCDEF", "é".repeat(43))).toBe(false);
  });

  it("without a secret, generates one per instance", () => {
    const a = new RoomTokens(undefined);
    const b = new RoomTokens(undefined);
    expect(a.issueHost("ABCDEF")).not.toBe(b.issueHost("ABCDEF"));
    expect(a.hostMatches("ABCDEF", a.issueHost("ABCDEF"))).toBe(true);
    expect(b.hostMatches("ABCDEF", a.issueHost("ABCDEF"))).toBe(false);
  });

  it("keeps the secret out of inspect and JSON", () => {
    const tokens = new RoomTokens(SECRET);
    expect(inspect(tokens, { showHidden: true, depth: 5 })).not.toContain(SECRET);
    expect(JSON.stringify(tokens)).not.toContain(SECRET);
  });
});

describe("resume tokens", () => {
  it("are base64url HMAC-SHA256(secret, code NUL peerId), the same for the same secret", () => {
    const token = new RoomTokens(SECRET).issueResume("ABCDEF", 1234);
    expect(token).toBe(createHmac("sha256", SECRET).update("ABCDEF\u00001234").digest("base64url"));
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new RoomTokens(SECRET).issueResume("ABCDEF", 1234)).toBe(token);
    expect(new RoomTokens("another-secret-123").issueResume("ABCDEF", 1234)).not.toBe(token);
  });

  it("match only their own room and peer", () => {
    const tokens = new RoomTokens(SECRET);
    const token = tokens.issueResume("ABCDEF", 42);
    expect(tokens.resumeMatches("ABCDEF", 42, token)).toBe(true);
    expect(tokens.resumeMatches("ABCDEF", 43, token)).toBe(false);
    expect(tokens.resumeMatches("ABCDEG", 42, token)).toBe(false);
    // Neither "ABCDEF" + "42" run together nor another split of the same characters.
    expect(tokens.resumeMatches("ABCDEF4", 2, token)).toBe(false);
    const flipped = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    expect(tokens.resumeMatches("ABCDEF", 42, flipped)).toBe(false);
    expect(tokens.resumeMatches("ABCDEF", 42, "")).toBe(false);
    expect(tokens.resumeMatches("ABCDEF", 42, "é".repeat(43))).toBe(false);
  });

  it("are never host tokens, and host tokens never resume tokens", () => {
    const tokens = new RoomTokens(SECRET);
    const host = tokens.issueHost("ABCDEF");
    for (const peerId of [2, 3, 42, 2 ** 31 - 1]) {
      expect(tokens.issueResume("ABCDEF", peerId)).not.toBe(host);
      expect(tokens.resumeMatches("ABCDEF", peerId, host)).toBe(false);
      expect(tokens.hostMatches("ABCDEF", tokens.issueResume("ABCDEF", peerId))).toBe(false);
    }
  });
});
