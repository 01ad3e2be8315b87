/**
 * Property-based fuzzing of every client event, in three layers:
 *
 * 1. validators, called directly with any JavaScript value, compared with the model in
 *    fuzz-model.ts (the bulk of the cases, and the only layer FUZZ_LONG=1 scales to millions);
 * 2. the live server's event dispatcher, called in-process on a real socket with any argument list
 *    and with or without a reply callback: every answer is checked, and no room may outlive its case;
 * 3. a smaller batch sent over a real socket.io connection on 127.0.0.1.
 *
 * Afterwards the server must still answer /health, host and join a normal room, hold no state for
 * the fuzzing sockets, and have logged no internal error. FUZZ_SEED=<n> replays a run.
 */
import { inspect } from "node:util";
import fc from "fast-check";
import type { Reply, SignalingError, SignalingErrorCode } from "starwire-protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
import {
  allowedByProtocol,
  anyValue,
  argumentsFor,
  CLIENT_EVENTS,
  CLIENT_RESERVED_NAMES,
  type ClientEvent,
  CODES_FOR_VALID,
  FUZZ_LIMITS,
  FUZZ_ROOM_SECRET,
  knowLiveRoom,
  overTheWire,
  requestFor,
  unknownEventName,
  wireValue,
} from "./fuzz-model.js";
import { startServer, type TestClient, type TestServer } from "./helpers.js";

const LONG = process.env.FUZZ_LONG === "1";
/** Per validator (and for splitArguments): 9 × 150,000 = 1,350,000 cases in long mode. */
const VALIDATOR_RUNS = LONG ? 150_000 : 2_000;
/** Per event type (eight events and unknown names) through the live dispatcher. */
const DISPATCH_RUNS = LONG ? 20_000 : 2_000;
/** Per event type over a real connection. */
const WIRE_RUNS = LONG ? 3_000 : 300;
// A bound against a hang, not a speed target: a loaded machine takes several times longer than an idle one.
const TIMEOUT_MS = LONG ? 60 * 60_000 : 90_000;
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const runs = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, ...(seed !== undefined && { seed }) });

const KNOWN_CODES: readonly SignalingErrorCode[] = [
  "invalid_request",
  "rate_limited",
  "no_such_room",
  "room_full",
  "room_refusing",
  "server_full",
  "already_in_room",
  "not_in_room",
  "not_host",
  "unknown_peer",
  "wrong_password",
  "reclaim_refused",
  "session_expired",
];
const LOCKED_PASSWORD = "fuzz-pw";

/**
 * Outcomes each dispatcher run must reach ("none": no answer, as for a successful signal without
 * a reply callback), so that a generator drifting towards all-garbage cannot hollow the fuzzing
 * out unnoticed. Each is at least 1% likely, so 2000 cases miss one with odds below 1e-8.
 */
const MUST_REACH: Record<ClientEvent | "unknown", readonly string[]> = {
  create: ["ok", "already_in_room", "reclaim_refused", "invalid_request"],
  join: ["ok", "no_such_room", "wrong_password", "already_in_room", "invalid_request"],
  resume: ["no_such_room", "session_expired", "already_in_room", "invalid_request"],
  probe: ["ok", "none", "invalid_request"],
  signal: ["ok", "none", "not_in_room", "unknown_peer", "invalid_request"],
  setRefusing: ["ok", "none", "not_host", "not_in_room", "invalid_request"],
  kick: ["not_host", "not_in_room", "unknown_peer", "invalid_request"],
  leave: ["ok", "none", "invalid_request"],
  unknown: ["invalid_request"],
};
const SAMPLE_CODES = ["ABCDEF", "ZZZ222"];

const validators: Record<ClientEvent, (args: readonly unknown[]) => { ok: boolean }> = {
  create: (args) => validateCreate(args, FUZZ_LIMITS),
  join: validateJoin,
  resume: validateResume,
  probe: validateProbe,
  signal: (args) => validateSignal(args, FUZZ_LIMITS),
  setRefusing: validateSetRefusing,
  kick: validateKick,
  leave: validateLeave,
};

/** Generated names may be objects that String() cannot convert. */
function nameForMessages(name: unknown): string {
  return typeof name === "string" || typeof name === "number" ? String(name).slice(0, 40) : typeof name;
}

/**
 * A failed check throws, and fast-check then reports and shrinks the case. Plain checks, not
 * expect(): at tens of thousands of cases, expect's bookkeeping costs more than the server does.
 */
function check(condition: boolean, what: string, actual?: unknown): asserts condition {
  if (!condition)
    throw new Error(`${what}${actual === undefined ? "" : `; got ${inspect(actual, { depth: 4 })}`}`);
}

/** A well-formed error: a known code, a short message that never dumps the payload. */
function checkError(answer: unknown, what: string): asserts answer is SignalingError {
  const error = answer as Partial<SignalingError> | undefined;
  check(
    typeof error === "object" && error !== null && error.ok === false,
    `${what}: expected an error`,
    answer,
  );
  check(KNOWN_CODES.includes(error.code!), `${what}: unknown code`, answer);
  const { message } = error;
  check(
    typeof message === "string" && message.length > 0 && message.length < 400,
    `${what}: bad message`,
    answer,
  );
}

/** Checks one answer against the model; `answer` undefined means none came. */
function checkAnswer(
  name: unknown,
  payload: readonly unknown[],
  hasReply: boolean,
  answer: unknown,
  what: string,
): void {
  const event = (CLIENT_EVENTS as readonly unknown[]).includes(name) ? (name as ClientEvent) : undefined;
  const mustFail =
    event === undefined ||
    !allowedByProtocol(event, payload) ||
    ((event === "create" || event === "join" || event === "resume") && !hasReply);
  if (mustFail) {
    checkError(answer, what);
    check(answer.code === "invalid_request", `${what}: expected invalid_request`, answer);
    return;
  }
  if (answer === undefined) {
    // Without a reply callback, success is silent.
    check(!hasReply, `${what}: no reply`);
    return;
  }
  const reply = answer as Reply<object>;
  if (reply.ok) return;
  checkError(reply, what);
  check(CODES_FOR_VALID[event].includes(reply.code), `${what}: a valid request refused`, reply);
}

describe("validators against the model", () => {
  for (const event of CLIENT_EVENTS) {
    it(
      `${event}: ${VALIDATOR_RUNS} argument lists`,
      () => {
        const args = argumentsFor(
          event,
          requestFor(event, anyValue, SAMPLE_CODES, [LOCKED_PASSWORD]),
          anyValue,
        );
        fc.assert(
          fc.property(args, (list) => {
            const result = validators[event](list) as { ok: boolean; message?: unknown };
            const allowed = allowedByProtocol(event, list);
            check(result.ok === allowed, `validator says ${result.ok}, model says ${allowed}`, result);
            const { message } = result;
            if (!result.ok) {
              check(
                typeof message === "string" && message.length > 0 && message.length < 400,
                "bad message",
                message,
              );
            }
          }),
          runs(VALIDATOR_RUNS),
        );
      },
      TIMEOUT_MS,
    );
  }

  it(
    `splitArguments: ${VALIDATOR_RUNS} argument lists, a reply only when a function comes last`,
    () => {
      fc.assert(
        fc.property(fc.array(anyValue, { maxLength: 5 }), (list) => {
          const { payload, reply } = splitArguments(list);
          const last = list.at(-1);
          const expected = typeof last === "function" ? list.slice(0, -1) : list;
          check(reply === (typeof last === "function" ? last : undefined), "wrong reply");
          // Element by element: the very same values, not copies.
          check(payload.length === expected.length, "wrong payload length");
          check(
            payload.every((value, index) => Object.is(value, expected[index])),
            "payload differs",
          );
        }),
        runs(VALIDATOR_RUNS),
      );
    },
    TIMEOUT_MS,
  );
});

describe("the live server", () => {
  let server: TestServer;
  let openHost: TestClient;
  let openCode: string;
  let lockedCode: string;
  let baselineRooms: number;

  beforeAll(async () => {
    server = await startServer({
      ...FUZZ_LIMITS,
      // Known, so that the fuzzer can reclaim with real tokens.
      roomSecret: FUZZ_ROOM_SECRET,
      // Limits off: this is about what the server does with each payload, not how many it takes.
      eventsPerSecond: 1e9,
      eventBurst: 1e9,
      maxSocketsPerAddress: 0,
      roomCreatesPerMinute: 0,
      joinAttemptsPerMinute: 0,
      failedJoinsPerMinute: 0,
      maxRoomsPerAddress: 0,
      idleSocketTimeoutMs: 0,
    });
    let openToken: string;
    ({
      host: openHost,
      roomCode: openCode,
      hostToken: openToken,
    } = await server.createRoom(FUZZ_LIMITS.maxPlayersPerRoom));
    const lockedHost = await server.connect();
    const locked = await lockedHost.request<{ ok: true; roomCode: string; hostToken: string }>("create", {
      maxPlayers: FUZZ_LIMITS.maxPlayersPerRoom,
      password: LOCKED_PASSWORD,
    });
    lockedCode = locked.roomCode;
    knowLiveRoom(openCode, openToken);
    knowLiveRoom(lockedCode, locked.hostToken);
    baselineRooms = (await server.health()).rooms;
    expect(baselineRooms).toBe(2);
  });

  afterAll(async () => {
    await server.close();
  });

  /** Where the fuzzing socket is when the event arrives: outside a room, hosting one, or in one. */
  const situation = fc.constantFrom("outside", "host", "client");

  /**
   * Cases for one kind of event name: the name, its arguments, whether a reply callback is added,
   * and where the fuzzing socket is. Built once per test: arbitraries are costly to construct.
   */
  function casesFor(
    event: ClientEvent | "unknown",
    any: fc.Arbitrary<unknown>,
    names: fc.Arbitrary<unknown>,
  ) {
    const codes = [openCode, lockedCode, ...SAMPLE_CODES];
    const args =
      event === "unknown"
        ? fc.array(any, { maxLength: 3 })
        : // Reclaims with real tokens only for codes no room holds: a live room would be taken over.
          argumentsFor(event, requestFor(event, any, codes, [LOCKED_PASSWORD, "other"], SAMPLE_CODES), any);
    const name = event === "unknown" ? names : fc.constant(event);
    return fc.tuple(name, args, fc.boolean(), situation);
  }

  describe("dispatcher, in-process on a real socket", () => {
    let fuzzer: TestClient;
    let dispatch: (...args: unknown[]) => void;
    let signalingErrors: unknown[];

    beforeAll(async () => {
      fuzzer = await server.connect();
      const serverSocket = server.server.io.of("/").sockets.get(fuzzer.raw.id!)!;
      [dispatch] = serverSocket.listenersAny() as [(...args: unknown[]) => void];
      // Record signalingError emits synchronously, as the dispatcher makes them.
      signalingErrors = [];
      const emit = serverSocket.emit.bind(serverSocket) as (event: string, ...args: unknown[]) => boolean;
      (serverSocket as unknown as { emit: typeof emit }).emit = (event, ...args) => {
        if (event === "signalingError") signalingErrors.push(args[0]);
        return emit(event, ...args);
      };
    });

    /**
     * Resolves once the server has handled everything dispatched before: a probe takes its turn in
     * the socket's queue behind them (with rooms in Redis a handler waits for its round trip).
     */
    function settled(): Promise<void> {
      return new Promise((resolve) => dispatch("probe", () => resolve()));
    }

    async function enter(where: string): Promise<void> {
      if (where === "host") dispatch("create", { maxPlayers: 2 }, () => {});
      if (where === "client") dispatch("join", { roomCode: openCode }, () => {});
      await settled();
    }

    function fuzz(event: ClientEvent | "unknown", label: string) {
      it(
        `${label}: ${DISPATCH_RUNS} calls, any arguments, with and without a reply callback`,
        async () => {
          const cases = casesFor(event, anyValue, unknownEventName(anyValue));
          const reached = new Set<string>();
          let allowed = 0;
          await fc.assert(
            fc.asyncProperty(cases, async ([eventName, generated, withReply, where]) => {
              await enter(where);
              // A function the generator put last would be taken as the reply: make it ours.
              const { payload, reply: generatedReply } = splitArguments(generated);
              const hasReply = withReply || generatedReply !== undefined;
              const replies: unknown[] = [];
              signalingErrors.length = 0;
              const args = hasReply ? [...payload, (answer: unknown) => replies.push(answer)] : payload;
              // The dispatcher must not throw; if it did, fast-check reports this case.
              dispatch(eventName, ...args);
              await settled();

              const what = `${nameForMessages(eventName)} (${where}, reply: ${hasReply})`;
              if (hasReply) {
                check(replies.length === 1, `${what}: replied ${replies.length} times`, replies);
                check(
                  signalingErrors.length === 0,
                  `${what}: signalingError besides the reply`,
                  signalingErrors,
                );
              } else {
                check(signalingErrors.length <= 1, `${what}: several signalingErrors`, signalingErrors);
              }
              const answer = hasReply ? replies[0] : signalingErrors[0];
              checkAnswer(eventName, payload, hasReply, answer, what);
              reached.add(
                answer === undefined
                  ? "none"
                  : (answer as Reply<object>).ok
                    ? "ok"
                    : (answer as SignalingError).code,
              );
              if (event !== "unknown" && allowedByProtocol(event, payload)) allowed++;
              if (!hasReply && answer !== undefined) {
                const echoed = (answer as { event: unknown }).event;
                check(typeof echoed === "string" && echoed.length <= 64, `${what}: bad event echo`, echoed);
              }

              // Back to where it started: nothing the case did may outlive it.
              dispatch("leave", () => {});
              await settled();
              const rooms = server.server.debugStats().rooms;
              check(rooms === baselineRooms, `${what}: ${rooms} rooms after the case`);
            }),
            runs(DISPATCH_RUNS),
          );
          expect([...reached].sort()).toEqual(expect.arrayContaining([...MUST_REACH[event]]));
          // fast-check may stop early only by failing, so every run was counted.
          if (event !== "unknown") expect(allowed / DISPATCH_RUNS).toBeGreaterThan(0.1);
        },
        TIMEOUT_MS,
      );
    }

    for (const event of CLIENT_EVENTS) fuzz(event, event);
    fuzz("unknown", "unknown event names");
  });

  describe("over a real connection", () => {
    let fuzzer: TestClient;
    let errors: unknown[];

    beforeAll(async () => {
      fuzzer = await server.connect();
      errors = [];
      fuzzer.raw.on("signalingError", (error: unknown) => errors.push(error));
    });

    async function enter(where: string): Promise<void> {
      if (where === "host") await fuzzer.request("create", { maxPlayers: 2 });
      if (where === "client") await fuzzer.request("join", { roomCode: openCode });
    }

    /** Only strings and numbers survive socket.io's encoding as names, and the client refuses a few. */
    const wireNames = unknownEventName(fc.string()).filter(
      (name) => (typeof name === "string" && !CLIENT_RESERVED_NAMES.has(name)) || typeof name === "number",
    );

    function fuzz(event: ClientEvent | "unknown", label: string) {
      it(
        `${label}: ${WIRE_RUNS} emits, any JSON arguments, with and without a reply callback`,
        async () => {
          const cases = casesFor(event, wireValue, wireNames);
          await fc.assert(
            fc.asyncProperty(cases, async ([eventName, generated, withReply, where]) => {
              await enter(where);
              errors.length = 0;
              // What the server will decode: the same list after socket.io's JSON encoding.
              const payload = overTheWire(generated);
              const what = `${nameForMessages(eventName)} (${where}, reply: ${withReply}) over the wire`;
              let answer: unknown;
              if (withReply) {
                answer = await fuzzer.request(eventName as string, ...generated);
              } else {
                (fuzzer.raw.emit as (event: unknown, ...args: unknown[]) => void)(eventName, ...generated);
              }
              // The server answers in order: once leave is answered, any error for the case is in.
              const left = await fuzzer.request<Reply<object>>("leave");
              check(left.ok, `${what}: leave afterwards failed`, left);
              if (withReply) {
                check(errors.length === 0, `${what}: signalingError besides the reply`, errors);
              } else {
                check(errors.length <= 1, `${what}: several signalingErrors`, errors);
                answer = errors[0];
              }
              checkAnswer(eventName, payload, withReply, answer, what);
              const rooms = server.server.debugStats().rooms;
              check(rooms === baselineRooms, `${what}: ${rooms} rooms after the case`);
            }),
            runs(WIRE_RUNS),
          );
        },
        TIMEOUT_MS,
      );
    }

    for (const event of CLIENT_EVENTS) fuzz(event, event);
    fuzz("unknown", "unknown event names");
  });

  describe("afterwards", () => {
    it("still serves health, a normal room and a passworded join, and logged no internal error", async () => {
      expect(await server.health()).toMatchObject({ status: "ok", rooms: baselineRooms });
      const { host, roomCode } = await server.createRoom(4);
      const { peerId } = await server.joinRoom(roomCode, host);
      expect(peerId).toBeGreaterThanOrEqual(2);
      const client = await server.connect();
      expect(await client.request("join", { roomCode: lockedCode, password: LOCKED_PASSWORD })).toMatchObject(
        {
          ok: true,
        },
      );
      expect(server.logs.filter((line) => line.startsWith("error "))).toEqual([]);
      expect(openHost.raw.connected).toBe(true);
    });

    it("holds nothing for the fuzzing sockets once every socket has closed", async () => {
      for (const socket of server.server.io.of("/").sockets.values()) socket.disconnect(true);
      await expect
        .poll(() => server.server.debugStats(), { timeout: 2000 })
        .toEqual({
          rooms: 0,
          sockets: 0,
          idleTimers: 0,
          graceTimers: 0,
          roomTimers: 0,
          addresses: { sockets: 0, rooms: 0, roomCreates: 0, joinAttempts: 0, failedJoins: 0 },
        });
    });
  });
});
