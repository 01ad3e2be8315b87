import { createHmac } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { HostTokens } from "../src/host-token.js";

const SECRET = "a-room-secret-for-tests";

describe("HostTokens", () => {
  it("issues base64url HMAC-SHA256(secret, code), the same for the same secret", () => {
    const token = new HostTokens(SECRET).issue("ABCDEF");
    expect(token).toBe(createHmac("sha256", SECRET).update("ABCDEF").digest("base64url"));
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new HostTokens(SECRET).issue("ABCDEF")).toBe(token);
    expect(new HostTokens(SECRET).issue("ABCDEG")).not.toBe(token);
    expect(new HostTokens("another-secret-123").issue("ABCDEF")).not.toBe(token);
  });

  it("matches only the code's own token", () => {
    const tokens = new HostTokens(SECRET);
    const token = tokens.issue("ABCDEF");
    expect(tokens.matches("ABCDEF", token)).toBe(true);
    expect(tokens.matches("ABCDEG", token)).toBe(false);
    const flipped = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    expect(tokens.matches("ABCDEF", flipped)).toBe(false);
    expect(tokens.matches("ABCDEF", token.slice(0, -1))).toBe(false);
    expect(tokens.matches("ABCDEF", `${token}=`)).toBe(false);
    expect(tokens.matches("ABCDEF", "")).toBe(false);
    expect(tokens.matches("ABCDEF", "é".repeat(43))).toBe(false);
  });

  it("without a secret, generates one per instance", () => {
    const a = new HostTokens(undefined);
    const b = new HostTokens(undefined);
    expect(a.issue("ABCDEF")).not.toBe(b.issue("ABCDEF"));
    expect(a.matches("ABCDEF", a.issue("ABCDEF"))).toBe(true);
    expect(b.matches("ABCDEF", a.issue("ABCDEF"))).toBe(false);
  });

  it("keeps the secret out of inspect and JSON", () => {
    const tokens = new HostTokens(SECRET);
    expect(inspect(tokens, { showHidden: true, depth: 5 })).not.toContain(SECRET);
    expect(JSON.stringify(tokens)).not.toContain(SECRET);
  });
});
