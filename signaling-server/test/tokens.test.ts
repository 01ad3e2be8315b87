import { createHmac } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { newRoomInstance, RoomTokens } from "../src/tokens.js";

const SECRET = "a-room-secret-for-tests";
const INSTANCE = "AAAAAAAAAAAAAAAAAAAAAA";
const LATER = newRoomInstance();

const flipLast = (token: string) => token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");

describe("room instances", () => {
  it("are 22 base64url characters, never the same twice", () => {
    const seen = new Set(Array.from({ length: 1000 }, newRoomInstance));
    expect(seen.size).toBe(1000);
    for (const instance of seen) expect(instance).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe("host tokens", () => {
  it("are instance.HMAC-SHA256(secret, host NUL code NUL instance), the same for the same secret", () => {
    const token = new RoomTokens(SECRET).issueHost("ABCDEF", INSTANCE);
    const mac = createHmac("sha256", SECRET).update(`host\0ABCDEF\0${INSTANCE}`).digest("base64url");
    expect(token).toBe(`${INSTANCE}.${mac}`);
    expect(new RoomTokens(SECRET).issueHost("ABCDEF", INSTANCE)).toBe(token);
    expect(new RoomTokens(SECRET).issueHost("ABCDEG", INSTANCE)).not.toBe(token);
    expect(new RoomTokens("another-secret-123").issueHost("ABCDEF", INSTANCE)).not.toBe(token);
  });

  it("name their own room instance, and only for their own code", () => {
    const tokens = new RoomTokens(SECRET);
    const token = tokens.issueHost("ABCDEF", INSTANCE);
    expect(tokens.hostInstance("ABCDEF", token)).toBe(INSTANCE);
    expect(tokens.hostInstance("ABCDEG", token)).toBeNull();
    // Another instance put in front of this token's mac is not this room's token.
    expect(tokens.hostInstance("ABCDEF", `${LATER}${token.slice(INSTANCE.length)}`)).toBeNull();
    expect(tokens.hostInstance("ABCDEF", flipLast(token))).toBeNull();
    expect(tokens.hostInstance("ABCDEF", token.slice(0, -1))).toBeNull();
    expect(tokens.hostInstance("ABCDEF", `${token}=`)).toBeNull();
    for (const junk of ["", ".", `${INSTANCE}.`, token.slice(INSTANCE.length + 1), "é".repeat(66)]) {
      expect(tokens.hostInstance("ABCDEF", junk)).toBeNull();
    }
  });

  it("without a secret, generates one per process", () => {
    const a = new RoomTokens(undefined);
    const b = new RoomTokens(undefined);
    expect(a.issueHost("ABCDEF", INSTANCE)).not.toBe(b.issueHost("ABCDEF", INSTANCE));
    expect(a.hostInstance("ABCDEF", a.issueHost("ABCDEF", INSTANCE))).toBe(INSTANCE);
    expect(b.hostInstance("ABCDEF", a.issueHost("ABCDEF", INSTANCE))).toBeNull();
  });

  it("keeps the secret out of inspect and JSON", () => {
    const tokens = new RoomTokens(SECRET);
    expect(inspect(tokens, { showHidden: true, depth: 5 })).not.toContain(SECRET);
    expect(JSON.stringify(tokens)).not.toContain(SECRET);
  });
});

describe("resume tokens", () => {
  it("are instance.HMAC-SHA256(secret, peer NUL code NUL instance NUL peerId)", () => {
    const token = new RoomTokens(SECRET).issueResume("ABCDEF", INSTANCE, 1234);
    const mac = createHmac("sha256", SECRET)
      .update(`peer\0ABCDEF\0${INSTANCE}\u00001234`)
      .digest("base64url");
    expect(token).toBe(`${INSTANCE}.${mac}`);
    expect(new RoomTokens("another-secret-123").issueResume("ABCDEF", INSTANCE, 1234)).not.toBe(token);
  });

  it("name their room instance only for their own code and peer", () => {
    const tokens = new RoomTokens(SECRET);
    const token = tokens.issueResume("ABCDEF", INSTANCE, 42);
    expect(tokens.resumeInstance("ABCDEF", 42, token)).toBe(INSTANCE);
    expect(tokens.resumeInstance("ABCDEF", 43, token)).toBeNull();
    expect(tokens.resumeInstance("ABCDEG", 42, token)).toBeNull();
    expect(tokens.resumeInstance("ABCDEF4", 2, token)).toBeNull();
    expect(tokens.resumeInstance("ABCDEF", 42, flipLast(token))).toBeNull();
    expect(tokens.resumeInstance("ABCDEF", 42, "")).toBeNull();
  });

  it("are never host tokens, and host tokens never resume tokens", () => {
    const tokens = new RoomTokens(SECRET);
    const host = tokens.issueHost("ABCDEF", INSTANCE);
    for (const peerId of [2, 3, 42, 2 ** 31 - 1]) {
      expect(tokens.issueResume("ABCDEF", INSTANCE, peerId)).not.toBe(host);
      expect(tokens.resumeInstance("ABCDEF", peerId, host)).toBeNull();
      expect(tokens.hostInstance("ABCDEF", tokens.issueResume("ABCDEF", INSTANCE, peerId))).toBeNull();
    }
  });
});
