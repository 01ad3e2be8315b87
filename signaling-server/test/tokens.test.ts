import { createHmac } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { CLOCK_SKEW_SECONDS, ClosedInstances, newRoomInstance, RoomTokens } from "../src/tokens.js";

const SECRET = "a-room-secret-for-tests";
const INSTANCE = "AAAAAAAAAAAAAAAAAAAAAA";
const LATER = newRoomInstance();
const TTL = 600;
/** A wall clock at a whole second, so expiries are exact. */
const NOW_MS = 1_700_000_000_000;

const flipLast = (token: string) => token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");

/** Tokens on a clock the test moves. */
function tokensAt(secret: string | null = SECRET, ttl = TTL) {
  const clock = { now: NOW_MS };
  return { tokens: new RoomTokens(secret ?? undefined, ttl, () => clock.now), clock };
}

const hostMac = (code: string, instance: string, expiresAt: number, secret = SECRET) =>
  createHmac("sha256", secret).update(`host\0${code}\0${instance}\0${expiresAt}`).digest("base64url");

describe("room instances", () => {
  it("are 22 base64url characters, never the same twice", () => {
    const seen = new Set(Array.from({ length: 1000 }, newRoomInstance));
    expect(seen.size).toBe(1000);
    for (const instance of seen) expect(instance).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe("host tokens", () => {
  it("are instance.expiresAt.HMAC-SHA256(secret, host NUL code NUL instance NUL expiresAt), TTL ahead", () => {
    const { tokens } = tokensAt();
    const token = tokens.issueHost("ABCDEF", INSTANCE);
    const expiresAt = NOW_MS / 1000 + TTL;
    expect(token).toBe(`${INSTANCE}.${expiresAt}.${hostMac("ABCDEF", INSTANCE, expiresAt)}`);
    expect(token.length).toBeLessThanOrEqual(128);
    expect(tokensAt().tokens.issueHost("ABCDEF", INSTANCE)).toBe(token);
    expect(tokensAt().tokens.issueHost("ABCDEG", INSTANCE)).not.toBe(token);
    expect(tokensAt("another-secret-123").tokens.issueHost("ABCDEF", INSTANCE)).not.toBe(token);
  });

  it("name their own room instance, and only for their own code", () => {
    const { tokens } = tokensAt();
    const token = tokens.issueHost("ABCDEF", INSTANCE);
    expect(tokens.hostInstance("ABCDEF", token)).toBe(INSTANCE);
    expect(tokens.hostInstance("ABCDEG", token)).toBeNull();
    // Another instance put in front of this token's expiry and mac is not this room's token.
    expect(tokens.hostInstance("ABCDEF", `${LATER}${token.slice(INSTANCE.length)}`)).toBeNull();
    expect(tokens.hostInstance("ABCDEF", flipLast(token))).toBeNull();
    expect(tokens.hostInstance("ABCDEF", token.slice(0, -1))).toBeNull();
    expect(tokens.hostInstance("ABCDEF", `${token}=`)).toBeNull();
    expect(tokens.hostInstance("ABCDEF", `${token}.x`)).toBeNull();
    for (const junk of ["", ".", "..", `${INSTANCE}..`, token.slice(INSTANCE.length + 1), "é".repeat(66)]) {
      expect(tokens.hostInstance("ABCDEF", junk)).toBeNull();
    }
  });

  it("expire: refused from their expiry on, and the expiry cannot be edited (the mac covers it)", () => {
    const { tokens, clock } = tokensAt();
    const token = tokens.issueHost("ABCDEF", INSTANCE);
    const [instance, expiresAt, mac] = token.split(".") as [string, string, string];
    clock.now += (TTL - 1) * 1000;
    expect(tokens.hostInstance("ABCDEF", token)).toBe(INSTANCE);
    // A later expiry with the same mac is not a token.
    expect(tokens.hostInstance("ABCDEF", `${instance}.${Number(expiresAt) + 3600}.${mac}`)).toBeNull();
    clock.now += 1000;
    expect(tokens.hostInstance("ABCDEF", token)).toBeNull();
    // A fresh one, issued now, works for another TTL.
    expect(tokens.hostInstance("ABCDEF", tokens.issueHost("ABCDEF", INSTANCE))).toBe(INSTANCE);
  });

  it("refuse an expiry further ahead than the TTL allows (a lowered TTL shortens old tokens too)", () => {
    const { tokens } = tokensAt();
    const far = NOW_MS / 1000 + TTL + CLOCK_SKEW_SECONDS + 1;
    expect(
      tokens.hostInstance("ABCDEF", `${INSTANCE}.${far}.${hostMac("ABCDEF", INSTANCE, far)}`),
    ).toBeNull();
    const skewed = NOW_MS / 1000 + TTL + CLOCK_SKEW_SECONDS;
    expect(
      tokens.hostInstance("ABCDEF", `${INSTANCE}.${skewed}.${hostMac("ABCDEF", INSTANCE, skewed)}`),
    ).toBe(INSTANCE);
    const longLived = tokensAt(SECRET, 7 * TTL).tokens.issueHost("ABCDEF", INSTANCE);
    expect(tokens.hostInstance("ABCDEF", longLived)).toBeNull();
  });

  it("without a secret, generates one per process", () => {
    const a = tokensAt(null).tokens;
    const b = tokensAt(null).tokens;
    expect(a.issueHost("ABCDEF", INSTANCE)).not.toBe(b.issueHost("ABCDEF", INSTANCE));
    expect(a.hostInstance("ABCDEF", a.issueHost("ABCDEF", INSTANCE))).toBe(INSTANCE);
    expect(b.hostInstance("ABCDEF", a.issueHost("ABCDEF", INSTANCE))).toBeNull();
  });

  it("keeps the secret out of inspect and JSON", () => {
    const { tokens } = tokensAt();
    expect(inspect(tokens, { showHidden: true, depth: 5 })).not.toContain(SECRET);
    expect(JSON.stringify(tokens)).not.toContain(SECRET);
  });
});

describe("resume tokens", () => {
  it("are instance.expiresAt.HMAC-SHA256(secret, peer NUL code NUL instance NUL peerId NUL expiresAt)", () => {
    const token = tokensAt().tokens.issueResume("ABCDEF", INSTANCE, 1234);
    const expiresAt = NOW_MS / 1000 + TTL;
    const mac = createHmac("sha256", SECRET)
      .update(`peer\0ABCDEF\0${INSTANCE}\u00001234\0${expiresAt}`)
      .digest("base64url");
    expect(token).toBe(`${INSTANCE}.${expiresAt}.${mac}`);
    expect(tokensAt("another-secret-123").tokens.issueResume("ABCDEF", INSTANCE, 1234)).not.toBe(token);
  });

  it("name their room instance only for their own code and peer, until they expire", () => {
    const { tokens, clock } = tokensAt();
    const token = tokens.issueResume("ABCDEF", INSTANCE, 42);
    expect(tokens.resumeInstance("ABCDEF", 42, token)).toBe(INSTANCE);
    expect(tokens.resumeInstance("ABCDEF", 43, token)).toBeNull();
    expect(tokens.resumeInstance("ABCDEG", 42, token)).toBeNull();
    expect(tokens.resumeInstance("ABCDEF4", 2, token)).toBeNull();
    expect(tokens.resumeInstance("ABCDEF", 42, flipLast(token))).toBeNull();
    expect(tokens.resumeInstance("ABCDEF", 42, "")).toBeNull();
    clock.now += TTL * 1000;
    expect(tokens.resumeInstance("ABCDEF", 42, token)).toBeNull();
  });

  it("are never host tokens, and host tokens never resume tokens", () => {
    const { tokens } = tokensAt();
    const host = tokens.issueHost("ABCDEF", INSTANCE);
    for (const peerId of [2, 3, 42, 2 ** 31 - 1]) {
      expect(tokens.issueResume("ABCDEF", INSTANCE, peerId)).not.toBe(host);
      expect(tokens.resumeInstance("ABCDEF", peerId, host)).toBeNull();
      expect(tokens.hostInstance("ABCDEF", tokens.issueResume("ABCDEF", INSTANCE, peerId))).toBeNull();
    }
  });
});

describe("ClosedInstances", () => {
  it("remembers a closed instance until its last token has expired (plus the clock skew)", () => {
    let now = 0;
    const closed = new ClosedInstances(TTL * 1000, 10, () => now);
    closed.add(INSTANCE);
    expect(closed.has(INSTANCE)).toBe(true);
    expect(closed.has(LATER)).toBe(false);
    now += (TTL + CLOCK_SKEW_SECONDS) * 1000 - 1;
    expect(closed.has(INSTANCE)).toBe(true);
    now += 1;
    expect(closed.has(INSTANCE)).toBe(false);
    expect(closed.size).toBe(0);
  });

  it("is bounded: past its cap the longest-closed instance goes first", () => {
    let now = 0;
    const closed = new ClosedInstances(TTL * 1000, 3, () => now);
    const instances = Array.from({ length: 5 }, newRoomInstance);
    for (const instance of instances) {
      closed.add(instance);
      now += 1;
    }
    expect(closed.size).toBe(3);
    expect(instances.map((instance) => closed.has(instance))).toEqual([false, false, true, true, true]);
  });
});
