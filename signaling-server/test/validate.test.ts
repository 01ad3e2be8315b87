import { MAX_PASSWORD_LENGTH } from "starwire-protocol";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../src/config.js";
import {
  splitArguments,
  validateCreate,
  validateJoin,
  validateKick,
  validateLeave,
  validateProbe,
  validateResume,
  validateSetRefusing,
  validateSignal,
} from "../src/validate.js";

const limits = { maxPlayersPerRoom: 64, roomCodeLength: 6, maxSdpBytes: 100, maxCandidateBytes: 50 };

describe("splitArguments", () => {
  it("takes only a trailing function as the reply", () => {
    const reply = () => {};
    expect(splitArguments([])).toEqual({ payload: [] });
    expect(splitArguments([reply])).toEqual({ payload: [], reply });
    expect(splitArguments([{ a: 1 }, reply])).toEqual({ payload: [{ a: 1 }], reply });
    expect(splitArguments([reply, { a: 1 }])).toEqual({ payload: [reply, { a: 1 }] });
    expect(splitArguments([{ a: 1 }, "reply"])).toEqual({ payload: [{ a: 1 }, "reply"] });
  });
});

describe("validators return values, never throw", () => {
  const hostile = [
    undefined,
    null,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -0,
    2 ** 64,
    "",
    "x".repeat(100_000),
    [],
    {},
    Object.create(null),
    new Date(),
    new Map(),
    new Uint8Array(4),
    Symbol("s"),
    () => {},
    10n,
    { toString: () => "boom", valueOf: () => 8 },
    new Proxy({}, { ownKeys: () => [] }),
  ];
  const validators = [
    (args: unknown[]) => validateCreate(args, limits),
    validateJoin,
    (args: unknown[]) => validateSignal(args, limits),
    validateSetRefusing,
    validateKick,
    validateLeave,
    validateResume,
    validateProbe,
  ];
  it("for every hostile argument", () => {
    for (const validate of validators) {
      for (const value of hostile) {
        expect(() => validate([value])).not.toThrow();
        expect(validate([value]).ok).toBe(false);
        expect(() => validate([{ maxPlayers: value, roomCode: value, data: value }])).not.toThrow();
      }
    }
  });
});

describe("validateCreate", () => {
  it("accepts integer maxPlayers from 1 to the cap", () => {
    expect(validateCreate([{ maxPlayers: 1 }], limits)).toEqual({ ok: true, value: { maxPlayers: 1 } });
    expect(validateCreate([{ maxPlayers: 64 }], limits)).toEqual({ ok: true, value: { maxPlayers: 64 } });
    expect(validateCreate([{ maxPlayers: 64 }], { ...limits, maxPlayersPerRoom: 8 }).ok).toBe(false);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 65, 1e300, "8", null, true, [8]])(
    "rejects maxPlayers %s",
    (maxPlayers) => {
      const result = validateCreate([{ maxPlayers }], limits);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.message).toMatch(/^create: maxPlayers must be an integer from 1 to 64/);
    },
  );

  it("rejects extra fields and extra arguments", () => {
    expect(validateCreate([{ maxPlayers: 8, x: 1 }], limits)).toMatchObject({ ok: false });
    expect(validateCreate([{ maxPlayers: 8 }, 1], limits)).toMatchObject({ ok: false });
    expect(validateCreate([], limits)).toMatchObject({ ok: false });
  });

  it("accepts a null-prototype object but no other prototype", () => {
    const bare = Object.assign(Object.create(null), { maxPlayers: 3 });
    expect(validateCreate([bare], limits)).toEqual({ ok: true, value: { maxPlayers: 3 } });
    const inherited = Object.create({ maxPlayers: 3 });
    expect(validateCreate([inherited], limits).ok).toBe(false);
    class Request {
      maxPlayers = 3;
    }
    expect(validateCreate([new Request()], limits).ok).toBe(false);
  });
});

describe("validateJoin", () => {
  it("accepts a non-empty code up to 64 characters, as typed", () => {
    expect(validateJoin([{ roomCode: "abc-def" }])).toEqual({ ok: true, value: { roomCode: "abc-def" } });
    expect(validateJoin([{ roomCode: "A".repeat(64) }]).ok).toBe(true);
    expect(validateJoin([{ roomCode: "A".repeat(65) }]).ok).toBe(false);
    expect(validateJoin([{ roomCode: " \t" }]).ok).toBe(false);
  });
});

describe("passwords on create and join", () => {
  const validators = {
    create: (request: object) => validateCreate([{ maxPlayers: 4, ...request }], limits),
    join: (request: object) => validateJoin([{ roomCode: "ABCDEF", ...request }]),
  };

  for (const [event, validate] of Object.entries(validators)) {
    it(`${event}: accepts 1 to ${MAX_PASSWORD_LENGTH} characters, or no password`, () => {
      expect(validate({ password: "p" })).toMatchObject({ ok: true, value: { password: "p" } });
      const longest = "é".repeat(MAX_PASSWORD_LENGTH);
      expect(validate({ password: longest })).toMatchObject({ ok: true, value: { password: longest } });
      const without = validate({});
      expect(without.ok && "password" in without.value).toBe(false);
      // Explicitly undefined (only possible in-process: JSON has no undefined) is no password.
      const undefinedPassword = validate({ password: undefined });
      expect(undefinedPassword.ok && "password" in undefinedPassword.value).toBe(false);
    });

    it.each([
      ["", "0 characters"],
      ["x".repeat(MAX_PASSWORD_LENGTH + 1), `${MAX_PASSWORD_LENGTH + 1} characters`],
      [1234, "number"],
      [null, "null"],
      [["hunter2"], "an array"],
      [{ value: "hunter2" }, "object"],
      [true, "boolean"],
    ])(`${event}: rejects password %j (%s) without quoting it`, (password, got) => {
      const result = validate({ password });
      expect(result.ok).toBe(false);
      const message = !result.ok ? result.message : "";
      expect(message).toBe(
        `${event}: password must be a string of 1 to ${MAX_PASSWORD_LENGTH} characters, got ${got}`,
      );
    });
  }

  it("never echoes a password in any message", () => {
    const secret = "s3cret!";
    const results = [
      validateCreate([{ maxPlayers: 0, password: secret }], limits),
      validateCreate([{ maxPlayers: 4, password: secret, extra: 1 }], limits),
      validateCreate([{ maxPlayers: 4, password: [secret] }], limits),
      validateJoin([{ roomCode: "", password: secret }]),
      validateJoin([{ roomCode: "ABCDEF", password: { secret } }]),
    ];
    for (const result of results) {
      expect(result.ok).toBe(false);
      expect(!result.ok && result.message).not.toContain(secret);
    }
  });
});

describe("validateCreate: reconnectGraceMs", () => {
  it("accepts any integer from 0 (the server caps it), and leaves it out when absent", () => {
    for (const grace of [0, 1, 120_000, 3_600_001, Number.MAX_SAFE_INTEGER]) {
      expect(validateCreate([{ maxPlayers: 4, reconnectGraceMs: grace }], limits)).toEqual({
        ok: true,
        value: { maxPlayers: 4, reconnectGraceMs: grace },
      });
    }
    const absent = validateCreate([{ maxPlayers: 4 }], limits);
    expect(absent.ok && "reconnectGraceMs" in absent.value).toBe(false);
    const withReclaim = validateCreate(
      [{ maxPlayers: 4, reconnectGraceMs: 500, reclaim: { roomCode: "ABCDEF", hostToken: "t", peers: [] } }],
      limits,
    );
    expect(withReclaim).toMatchObject({ ok: true, value: { reconnectGraceMs: 500, reclaim: { peers: [] } } });
  });

  it.each([-1, 0.5, 1e300, Number.MAX_SAFE_INTEGER + 1, Number.NaN, "500", null, [500], { ms: 500 }])(
    "refuses reconnectGraceMs %j",
    (reconnectGraceMs) => {
      const result = validateCreate([{ maxPlayers: 4, reconnectGraceMs }], limits);
      expect(result).toMatchObject({
        ok: false,
        message: expect.stringMatching(/^create: reconnectGraceMs must be an integer from 0 to /),
      });
    },
  );
});

describe("validateResume", () => {
  const token = "t".repeat(43);
  const good = { roomCode: "abc-def", peerId: 2, resumeToken: token };

  it("accepts { roomCode, peerId, resumeToken }, the code as typed", () => {
    expect(validateResume([good])).toEqual({ ok: true, value: good });
    expect(validateResume([{ ...good, peerId: 2 ** 31 - 1, resumeToken: "" }]).ok).toBe(true);
    expect(validateResume([{ ...good, roomCode: "A".repeat(64), resumeToken: "t".repeat(128) }]).ok).toBe(
      true,
    );
  });

  it.each([
    ["no arguments", []],
    ["two arguments", [good, 1]],
    ["a string", ["ABCDEF"]],
    ["null", [null]],
    ["no roomCode", [{ peerId: 2, resumeToken: token }]],
    ["no peerId", [{ roomCode: "ABCDEF", resumeToken: token }]],
    ["no resumeToken", [{ roomCode: "ABCDEF", peerId: 2 }]],
    ["an unknown field", [{ ...good, password: "pw" }]],
    ["an empty code", [{ ...good, roomCode: " " }]],
    ["a code of 65 characters", [{ ...good, roomCode: "A".repeat(65) }]],
    ["a numeric code", [{ ...good, roomCode: 123456 }]],
    ["peer 1 (the host reclaims instead)", [{ ...good, peerId: 1 }]],
    ["peer 0", [{ ...good, peerId: 0 }]],
    ["peer 2^31", [{ ...good, peerId: 2 ** 31 }]],
    ["a fractional peer", [{ ...good, peerId: 2.5 }]],
    ["a string peer", [{ ...good, peerId: "2" }]],
    ["a 129-character token", [{ ...good, resumeToken: "t".repeat(129) }]],
    ["a numeric token", [{ ...good, resumeToken: 5 }]],
    ["a token array", [{ ...good, resumeToken: [token] }]],
  ])("refuses %s, never quoting the token", (_, args) => {
    const result = validateResume(args);
    expect(result).toMatchObject({ ok: false, message: expect.stringMatching(/^resume/) });
    expect(JSON.stringify(result)).not.toContain("ttttt");
  });
});

describe("validateSetRefusing / validateKick / validateLeave / validateProbe", () => {
  it("accept exactly their documented shapes", () => {
    expect(validateSetRefusing([{ refusing: false }])).toEqual({ ok: true, value: { refusing: false } });
    expect(validateSetRefusing([{ refusing: 0 }]).ok).toBe(false);
    expect(validateKick([{ peerId: 2 }])).toEqual({ ok: true, value: { peerId: 2 } });
    expect(validateKick([{ peerId: 2 ** 31 - 1 }]).ok).toBe(true);
    expect(validateKick([{ peerId: 2 ** 31 }]).ok).toBe(false);
    expect(validateKick([{ peerId: 1 }]).ok).toBe(false);
    expect(validateLeave([])).toEqual({ ok: true, value: undefined });
    expect(validateLeave([undefined]).ok).toBe(false);
    expect(validateProbe([])).toEqual({ ok: true, value: undefined });
    expect(validateProbe([{}])).toEqual({
      ok: false,
      message: "probe takes no arguments besides the reply callback, got 1",
    });
  });
});

describe("validateSignal", () => {
  const offer = { type: "offer", sdp: "v=0" };

  it("accepts offers and answers, with or without a target", () => {
    expect(validateSignal([{ data: offer }], limits)).toEqual({ ok: true, value: { data: offer } });
    expect(validateSignal([{ to: 5, data: { type: "answer", sdp: "v=0" } }], limits)).toEqual({
      ok: true,
      value: { to: 5, data: { type: "answer", sdp: "v=0" } },
    });
  });

  it("measures the sdp cap in UTF-8 bytes", () => {
    expect(validateSignal([{ data: { type: "offer", sdp: "a".repeat(100) } }], limits).ok).toBe(true);
    expect(validateSignal([{ data: { type: "offer", sdp: "a".repeat(101) } }], limits).ok).toBe(false);
    expect(validateSignal([{ data: { type: "offer", sdp: "é".repeat(51) } }], limits).ok).toBe(false);
  });

  it("accepts candidates with optional nullable fields and rebuilds them", () => {
    const candidate = { candidate: "candidate:1", sdpMid: "0", sdpMLineIndex: 0, usernameFragment: null };
    expect(validateSignal([{ data: { type: "candidate", candidate } }], limits)).toEqual({
      ok: true,
      value: { data: { type: "candidate", candidate } },
    });
    const minimal = validateSignal([{ data: { type: "candidate", candidate: { candidate: "" } } }], limits);
    expect(minimal).toEqual({
      ok: true,
      value: { data: { type: "candidate", candidate: { candidate: "" } } },
    });
  });

  it.each([
    [{ type: "candidate", candidate: { candidate: "x".repeat(51) } }, "larger than 50 bytes"],
    [{ type: "candidate", candidate: { candidate: "", sdpMLineIndex: 65536 } }, "sdpMLineIndex"],
    [{ type: "candidate", candidate: { candidate: "", sdpMid: [] } }, "sdpMid"],
    [{ type: "candidate", candidate: { candidate: "", extra: 1 } }, "unknown field"],
    [{ type: "candidate", candidate: { candidate: "" }, sdp: "v=0" }, "no sdp"],
    [{ type: "offer", sdp: "v=0", candidate: {} }, "no candidate"],
    [{ type: "offer", sdp: "v=0", junk: 1 }, "unknown field"],
    [{ type: "answer" }, "non-empty string sdp"],
    [{ type: "OFFER", sdp: "v=0" }, "data.type"],
    [{ sdp: "v=0" }, "data.type"],
    [["offer", "v=0"], "an array"],
    [null, "null"],
  ])("rejects data %j (%s)", (data, hint) => {
    const result = validateSignal([{ data }], limits);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain(hint);
  });

  it("accepts the host's renegotiate nudge, bare", () => {
    expect(validateSignal([{ to: 5, data: { type: "renegotiate" }, connection: 3 }], limits)).toEqual({
      ok: true,
      value: { to: 5, data: { type: "renegotiate" }, connection: 3 },
    });
    expect(validateSignal([{ data: { type: "renegotiate", sdp: "v=0" } }], limits).ok).toBe(false);
  });

  it("relays a connection attempt number unchanged, an integer from 0 to 2^31-1", () => {
    for (const connection of [0, 7, 2 ** 31 - 1]) {
      expect(validateSignal([{ to: 5, data: offer, connection }], limits)).toEqual({
        ok: true,
        value: { to: 5, data: offer, connection },
      });
    }
    for (const connection of [-1, 0.5, 2 ** 31, "1", null, Number.NaN]) {
      const result = validateSignal([{ data: offer, connection }], limits);
      expect(result, String(connection)).toMatchObject({
        ok: false,
        message: expect.stringMatching(/^signal: connection must be an integer from 0 to 2147483647/),
      });
    }
  });

  it("rejects bad targets", () => {
    for (const to of [0, -1, 1.5, 2 ** 31, "2", null, Number.NaN]) {
      expect(validateSignal([{ to, data: offer }], limits).ok, String(to)).toBe(false);
    }
  });

  it("uses the server defaults sensibly", () => {
    const sdp = "a".repeat(defaultConfig.maxSdpBytes);
    expect(validateSignal([{ data: { type: "offer", sdp } }], defaultConfig).ok).toBe(true);
  });
});

describe("validateCreate: reclaim", () => {
  const reclaim = (value: unknown, more: object = {}) =>
    validateCreate([{ maxPlayers: 4, ...more, reclaim: value }], limits);
  const good = { roomCode: "abc-def", hostToken: "t".repeat(128), peers: [2, 2 ** 31 - 1] };

  it("accepts a well-formed reclaim and normalizes its code", () => {
    expect(reclaim(good, { password: "pw" })).toEqual({
      ok: true,
      value: {
        maxPlayers: 4,
        password: "pw",
        reclaim: { roomCode: "ABCDEF", hostToken: "t".repeat(128), peers: [2, 2 ** 31 - 1] },
      },
    });
    expect(reclaim({ ...good, hostToken: "", peers: [] }).ok).toBe(true);
    expect(reclaim({ ...good, roomCode: " AB CD EF-------" }).ok).toBe(true);
    const full = Array.from({ length: 64 }, (_, i) => i + 2);
    expect(reclaim({ ...good, peers: full }).ok).toBe(true);
  });

  it("checks the code against the configured length", () => {
    expect(validateCreate([{ maxPlayers: 4, reclaim: good }], { ...limits, roomCodeLength: 7 }).ok).toBe(
      false,
    );
    expect(
      validateCreate([{ maxPlayers: 4, reclaim: { ...good, roomCode: "ABCDEFG" } }], {
        ...limits,
        roomCodeLength: 7,
      }).ok,
    ).toBe(true);
  });

  it.each([
    ["null", null],
    ["an array", [good]],
    ["no roomCode", { hostToken: "x", peers: [] }],
    ["no hostToken", { roomCode: "ABCDEF", peers: [] }],
    ["no peers", { roomCode: "ABCDEF", hostToken: "x" }],
    ["an unknown field", { ...good, maxPlayers: 4 }],
    ["a numeric code", { ...good, roomCode: 123456 }],
    ["a code of 17 characters as sent", { ...good, roomCode: "ABCDEF-----------" }],
    ["a short code", { ...good, roomCode: "ABCDE" }],
    ["a long code", { ...good, roomCode: "ABCDEFG" }],
    ["a confusable letter", { ...good, roomCode: "ABCDEO" }],
    ["a non-ASCII letter", { ...good, roomCode: "ABCDEé" }],
    ["a 129-character token", { ...good, hostToken: "t".repeat(129) }],
    ["a token array", { ...good, hostToken: ["t"] }],
    ["peers as a string", { ...good, peers: "2,3" }],
    ["65 peers", { ...good, peers: Array.from({ length: 65 }, (_, i) => i + 2) }],
    ["peer 1", { ...good, peers: [1] }],
    ["peer 0", { ...good, peers: [0] }],
    ["peer 2^31", { ...good, peers: [2 ** 31] }],
    ["a fractional peer", { ...good, peers: [2.5] }],
    ["a string peer", { ...good, peers: ["2"] }],
    ["a duplicate", { ...good, peers: [3, 4, 3] }],
    // biome-ignore lint/suspicious/noSparseArray: a hole is what is being tested
    ["a hole", { ...good, peers: [2, , 4] }],
  ])("refuses %s", (_, value) => {
    const result = reclaim(value);
    expect(result).toMatchObject({ ok: false, message: expect.stringMatching(/^create: /) });
    expect(JSON.stringify(result)).not.toContain("t".repeat(129));
  });
});
