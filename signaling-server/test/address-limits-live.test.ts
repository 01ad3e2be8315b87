import type { SignalingError } from "starwire-protocol";
import { describe, expect, it } from "vitest";
import { delay, disconnection, forwardedFor, serverPerTest, type TestClient } from "./helpers.js";

const start = serverPerTest();

type Outcome = { ok: true } | SignalingError;

/** The reply's code, or "ok". */
async function outcome(client: TestClient, event: string, ...args: unknown[]): Promise<string> {
  const reply = await client.request<Outcome>(event, ...args);
  return reply.ok ? "ok" : reply.code;
}

async function expectRefusedConnection(client: TestClient) {
  const error = await client.inbox.next<SignalingError & { event: string }>("signalingError");
  expect(error).toMatchObject({ ok: false, code: "rate_limited", event: "connection" });
  expect(error.message).toMatch(/^too many connections from your address \(at most \d+\)/);
  await disconnection(client);
}

describe("MAX_SOCKETS_PER_ADDRESS", () => {
  it("refuses sockets beyond the cap with rate_limited, and admits again once one closes", async () => {
    const s = await start({ maxSocketsPerAddress: 3 });
    const admitted = [await s.connect(), await s.connect(), await s.connect()];
    const extra = await s.connect();
    await expectRefusedConnection(extra);
    // The admitted ones are untouched.
    for (const client of admitted) expect(await client.request("leave")).toEqual({ ok: true });
    admitted[0]!.raw.disconnect();
    await expect.poll(async () => (await s.health()).sockets).toBe(2);
    const again = await s.connect();
    expect(await again.request("leave")).toEqual({ ok: true });
    expect(s.server.debugStats().addresses.sockets).toBe(1);
  });

  it("counts addresses from X-Forwarded-For only when a proxy is trusted", async () => {
    const trusting = await start({ maxSocketsPerAddress: 2, trustedProxies: 1 });
    for (const address of ["203.0.113.1", "203.0.113.2"]) {
      for (let i = 0; i < 2; i++) await trusting.connect(forwardedFor(address));
    }
    await expectRefusedConnection(await trusting.connect(forwardedFor("203.0.113.1")));
    // A client cannot escape by prepending its own entry: the proxy's (last) entry counts.
    await expectRefusedConnection(await trusting.connect(forwardedFor("198.51.100.9, 203.0.113.2")));
    expect(trusting.server.debugStats().addresses.sockets).toBe(2);
    expect(trusting.logs.filter((line) => line.startsWith("warning"))).toEqual([]);
    await trusting.close();

    const untrusting = await start({ maxSocketsPerAddress: 2 });
    await untrusting.connect(forwardedFor("203.0.113.1"));
    await untrusting.connect(forwardedFor("203.0.113.2"));
    // Different claimed addresses, same real one (127.0.0.1): the third is refused.
    await expectRefusedConnection(await untrusting.connect(forwardedFor("203.0.113.3")));
    // An operator who forgot TRUST_PROXY hears about it, once.
    expect(untrusting.logs.filter((line) => line.includes("X-Forwarded-For but TRUST_PROXY=0"))).toHaveLength(
      1,
    );
  });

  it("with TRUST_PROXY, ignores a forged X-Forwarded-For from a connection that is not a trusted proxy", async () => {
    // The proxy is elsewhere (10.9.9.9): these test connections from 127.0.0.1 reach the server
    // directly, as anyone could when it listens on 0.0.0.0 next to its proxy.
    const s = await start({
      maxSocketsPerAddress: 2,
      trustedProxies: 1,
      trustedProxyAddresses: ["10.9.9.9"],
    });
    await s.connect(forwardedFor("203.0.113.1"));
    await s.connect(forwardedFor("203.0.113.2"));
    // Made-up addresses all count as the socket's own: the third is refused.
    await expectRefusedConnection(await s.connect(forwardedFor("203.0.113.3")));
    expect(s.server.debugStats().addresses.sockets).toBe(1);
  });

  it("is off at 0", async () => {
    const s = await start({ maxSocketsPerAddress: 0 });
    const clients = await Promise.all(Array.from({ length: 60 }, () => s.connect()));
    expect(await s.health()).toMatchObject({ sockets: 60 });
    expect(clients.every((client) => client.raw.connected)).toBe(true);
  });
});

describe("ROOM_CREATES_PER_MINUTE", () => {
  it("answers rate_limited once an address has created that many rooms; others are unaffected", async () => {
    const s = await start({ roomCreatesPerMinute: 2, trustedProxies: 1 });
    const host = await s.connect(forwardedFor("203.0.113.1"));
    // Refused creates do not count: only rooms actually created do.
    expect(await outcome(host, "create", { maxPlayers: 0 })).toBe("invalid_request");
    expect(await outcome(host, "create", { maxPlayers: 2 })).toBe("ok");
    expect(await outcome(host, "create", { maxPlayers: 2 })).toBe("already_in_room");
    await host.request("leave");
    expect(await outcome(host, "create", { maxPlayers: 2 })).toBe("ok");
    await host.request("leave");
    const limited = await host.request<SignalingError>("create", { maxPlayers: 2 });
    expect(limited).toMatchObject({ ok: false, code: "rate_limited" });
    expect(limited.message).toMatch(/^too many rooms created from your address \(at most 2 a minute\)/);
    // Two a minute: the next one in 30 s.
    expect(limited.retryAfterSeconds).toBe(30);
    // Another socket from the same address shares the limit; another address has its own.
    expect(await outcome(await s.connect(forwardedFor("203.0.113.1")), "create", { maxPlayers: 2 })).toBe(
      "rate_limited",
    );
    expect(await outcome(await s.connect(forwardedFor("203.0.113.2")), "create", { maxPlayers: 2 })).toBe(
      "ok",
    );
    expect(await s.health()).toMatchObject({ rooms: 1 });
  });
});

describe("JOIN_ATTEMPTS_PER_MINUTE and FAILED_JOINS_PER_MINUTE", () => {
  it("counts every join attempt, successful or not", async () => {
    const s = await start({ joinAttemptsPerMinute: 4, failedJoinsPerMinute: 100 });
    const { roomCode } = await s.createRoom(8);
    const client = await s.connect();
    expect(await outcome(client, "join", { roomCode: "NOPE22" })).toBe("no_such_room");
    for (let i = 0; i < 3; i++) {
      expect(await outcome(client, "join", { roomCode })).toBe("ok");
      await client.request("leave");
    }
    const limited = await client.request<SignalingError>("join", { roomCode });
    expect(limited).toMatchObject({ ok: false, code: "rate_limited" });
    expect(limited.message).toMatch(/^too many joins from your address \(at most 4 a minute\)/);
    expect(limited.retryAfterSeconds).toBe(15);
    // Malformed joins are not attempts at a room; they are refused before the limits.
    expect(await outcome(client, "join", { roomCode: 5 })).toBe("invalid_request");
  });

  it("counts only failed joins (no such room, wrong password) against the lower limit", async () => {
    const s = await start({ joinAttemptsPerMinute: 100, failedJoinsPerMinute: 3 });
    const host = await s.connect();
    const created = await host.request<{ ok: true; roomCode: string }>("create", {
      maxPlayers: 1,
      password: "pw",
    });
    const { roomCode } = created;
    const client = await s.connect();
    // Successes and other refusals do not count as failures.
    for (let i = 0; i < 5; i++) {
      expect(await outcome(client, "join", { roomCode, password: "pw" })).toBe("ok");
      await client.request("leave");
    }
    expect(await outcome(await s.connect(), "join", { roomCode, password: "pw" })).toBe("ok");
    expect(await outcome(client, "join", { roomCode, password: "pw" })).toBe("room_full");
    // Three failures...
    expect(await outcome(client, "join", { roomCode: "NOPE22" })).toBe("no_such_room");
    expect(await outcome(client, "join", { roomCode, password: "guess1" })).toBe("wrong_password");
    expect(await outcome(client, "join", { roomCode })).toBe("wrong_password");
    // ...and even the right password is refused until failures drain: guessing must stop.
    const limited = await client.request<SignalingError>("join", { roomCode, password: "pw" });
    expect(limited).toMatchObject({ ok: false, code: "rate_limited" });
    expect(limited.message).toMatch(/^too many failed joins from your address \(at most 3 a minute\)/);
    expect(limited.retryAfterSeconds).toBe(20);
    // The two password refusals: one line, the second counted (logging.test.ts).
    expect(s.logs.filter((line) => line.includes(" refused "))).toHaveLength(1);
  });

  it("keeps addresses apart behind a trusted proxy", async () => {
    const s = await start({ failedJoinsPerMinute: 1, trustedProxies: 1 });
    const a = await s.connect(forwardedFor("203.0.113.1"));
    const b = await s.connect(forwardedFor("203.0.113.2"));
    expect(await outcome(a, "join", { roomCode: "NOPE22" })).toBe("no_such_room");
    expect(await outcome(a, "join", { roomCode: "NOPE22" })).toBe("rate_limited");
    expect(await outcome(b, "join", { roomCode: "NOPE22" })).toBe("no_such_room");
  });

  it("counts the 256 /64s of one IPv6 /56 as one address", async () => {
    const s = await start({ failedJoinsPerMinute: 3, trustedProxies: 1 });
    const replies = [];
    for (let i = 0; i < 6; i++) {
      // A different /64 (and address) every time, all in 2001:db8:aa:bb00::/56.
      const client = await s.connect(
        forwardedFor(`2001:db8:aa:bb${(i * 40).toString(16).padStart(2, "0")}::${i + 1}`),
      );
      replies.push(await outcome(client, "join", { roomCode: "NOPE22" }));
    }
    expect(replies).toEqual([
      "no_such_room",
      "no_such_room",
      "no_such_room",
      "rate_limited",
      "rate_limited",
      "rate_limited",
    ]);
    // The next /56 is another address.
    expect(
      await outcome(await s.connect(forwardedFor("2001:db8:aa:bc00::1")), "join", { roomCode: "NOPE22" }),
    ).toBe("no_such_room");
  });

  it("lets joins through again as the minute passes", async () => {
    // 120 a minute refills one every 500 ms.
    const s = await start({ failedJoinsPerMinute: 120, joinAttemptsPerMinute: 1000 });
    const client = await s.connect();
    const replies = [];
    for (let i = 0; i < 125; i++) replies.push(await outcome(client, "join", { roomCode: "NOPE22" }));
    expect(replies.filter((code) => code === "no_such_room").length).toBeGreaterThanOrEqual(120);
    expect(replies).toContain("rate_limited");
    await delay(600);
    expect(await outcome(client, "join", { roomCode: "NOPE22" })).toBe("no_such_room");
  });
});

describe("per-address state", () => {
  it("is released: socket counts at disconnect, rate entries once refilled", async () => {
    const s = await start({ trustedProxies: 1 });
    const clients = [];
    for (let i = 1; i <= 5; i++) clients.push(await s.connect(forwardedFor(`203.0.113.${i}`)));
    for (const client of clients) await client.request("join", { roomCode: "NOPE22" });
    expect(s.server.debugStats().addresses).toEqual({
      sockets: 5,
      rooms: 0,
      roomCreates: 0,
      joinAttempts: 5,
      failedJoins: 5,
    });
    for (const client of clients) client.raw.disconnect();
    await expect.poll(() => s.server.debugStats().addresses.sockets).toBe(0);
    // Rate entries are swept by the limiter's own calls once a minute (rate-limit.test.ts covers the
    // clock); here it is enough that the socket side leaves nothing behind.
    expect(s.server.debugStats()).toMatchObject({ rooms: 0, sockets: 0, idleTimers: 0 });
  });
});
