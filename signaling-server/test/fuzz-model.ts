/**
 * The fuzz tests' model: which argument lists protocol.ts allows for each client event, written
 * from the protocol and README and independently of validate.ts, so that the fuzzer compares two
 * readings of the contract instead of running the validator against itself. Plus the arbitraries
 * that generate argument lists, hostile and near-valid.
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import {
  CLIENT_EVENTS,
  type ClientEvent,
  HOST_PEER_ID,
  MAX_CONNECTION_NUMBER,
  MAX_PASSWORD_LENGTH,
  MAX_PEER_ID,
  normalizeRoomCode,
  ROOM_CODE_ALPHABET,
} from "starwire-protocol";

export { CLIENT_EVENTS, type ClientEvent };

/** Small caps, so that generated strings cross them without being slow to generate. */
export const FUZZ_LIMITS = {
  maxPlayersPerRoom: 16,
  roomCodeLength: 6,
  maxSdpBytes: 64,
  maxCandidateBytes: 32,
} as const;

/** The live fuzz server's ROOM_SECRET, so that the fuzzer can hold real host tokens. */
export const FUZZ_ROOM_SECRET = "fuzz-room-secret-0123456789";

/** The room instance the fuzzed tokens name for codes without a live room (a reclaim reopens it). */
const FUZZ_INSTANCE = "FuzzFuzzFuzzFuzzFuzzFu";
/** Instances of the fuzzed server's live rooms, so that resume tokens for them are real. */
const liveInstances = new Map<string, string>();

/** Tells the model a live room's instance: the part of its host token before the dot. */
export function knowLiveRoom(roomCode: string, hostToken: string): void {
  liveInstances.set(roomCode, hostToken.split(".")[0]!);
}

/** Tokens' expiry: TOKEN_TTL_SECONDS (600) after the fuzz run started, so they hold for the whole run. */
const FUZZ_EXPIRES_AT = Math.floor(Date.now() / 1000) + 600;

/** A host token as the README defines it: instance.expiresAt.HMAC-SHA256(ROOM_SECRET, host NUL code NUL instance NUL expiresAt). */
export function hostTokenFor(roomCode: string, secret = FUZZ_ROOM_SECRET): string {
  const mac = createHmac("sha256", secret)
    .update(`host\0${roomCode}\0${FUZZ_INSTANCE}\0${FUZZ_EXPIRES_AT}`)
    .digest("base64url");
  return `${FUZZ_INSTANCE}.${FUZZ_EXPIRES_AT}.${mac}`;
}

/** A resume token as the README defines it: instance.expiresAt.HMAC-SHA256(ROOM_SECRET, peer NUL code NUL instance NUL peerId NUL expiresAt). */
export function resumeTokenFor(roomCode: string, peerId: unknown, secret = FUZZ_ROOM_SECRET): string {
  const instance = liveInstances.get(roomCode) ?? FUZZ_INSTANCE;
  const mac = createHmac("sha256", secret)
    .update(`peer\0${roomCode}\0${instance}\0${String(peerId)}\0${FUZZ_EXPIRES_AT}`)
    .digest("base64url");
  return `${instance}.${FUZZ_EXPIRES_AT}.${mac}`;
}

/** Names socket.io-client refuses to emit; they can only be fuzzed in-process. */
export const CLIENT_RESERVED_NAMES = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);

// ---------------------------------------------------------------------------------------------
// The model

type Fields = Record<string, unknown>;

/** A plain object (prototype Object.prototype or null) whose own enumerable keys are all allowed. */
function plainWithOnly(value: unknown, allowed: readonly string[]): Fields | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  if (!Object.keys(value).every((key) => allowed.includes(key))) return undefined;
  return value as Fields;
}

/** An own property's value; inherited ones do not count. */
function own(fields: Fields, key: string): unknown {
  return Object.hasOwn(fields, key) ? fields[key] : undefined;
}

const integerIn = (value: unknown, min: number, max: number) =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
const utf8Bytes = (value: string) => new TextEncoder().encode(value).length;
const stringUpTo = (value: unknown, maxBytes: number): value is string =>
  typeof value === "string" && utf8Bytes(value) <= maxBytes;
const passwordOk = (value: unknown) =>
  value === undefined ||
  (typeof value === "string" && value.length >= 1 && value.length <= MAX_PASSWORD_LENGTH);
const nullableStringUpTo = (value: unknown, maxBytes: number) =>
  value === undefined || value === null || stringUpTo(value, maxBytes);

/**
 * create's `reclaim`: exactly roomCode, hostToken and peers. The code is at most 16 characters as
 * sent, and once normalized a code of the configured length in the room-code alphabet; the token
 * a string of at most 128; peers at most maxPlayersPerRoom distinct client ids.
 */
function reclaimOk(value: unknown): boolean {
  const fields = plainWithOnly(value, ["roomCode", "hostToken", "peers"]);
  if (fields === undefined) return false;
  const roomCode = own(fields, "roomCode");
  const hostToken = own(fields, "hostToken");
  const peers = own(fields, "peers");
  if (typeof roomCode !== "string" || roomCode.length > 16) return false;
  const code = normalizeRoomCode(roomCode);
  const codeOk =
    code.length === FUZZ_LIMITS.roomCodeLength &&
    code.split("").every((char) => ROOM_CODE_ALPHABET.split("").includes(char));
  if (!codeOk || typeof hostToken !== "string" || hostToken.length > 128) return false;
  if (!Array.isArray(peers) || peers.length > FUZZ_LIMITS.maxPlayersPerRoom) return false;
  // Array.from reads holes as undefined, which no id is.
  const ids = Array.from(peers as unknown[]);
  return ids.every((id) => integerIn(id, HOST_PEER_ID + 1, MAX_PEER_ID)) && new Set(ids).size === ids.length;
}

function signalDataOk(value: unknown): boolean {
  const data = plainWithOnly(value, ["type", "sdp", "candidate"]);
  if (data === undefined) return false;
  const type = own(data, "type");
  if (type === "offer" || type === "answer") {
    const sdp = own(data, "sdp");
    return !Object.hasOwn(data, "candidate") && stringUpTo(sdp, FUZZ_LIMITS.maxSdpBytes) && sdp !== "";
  }
  if (type !== "candidate" || Object.hasOwn(data, "sdp")) return false;
  const candidate = plainWithOnly(own(data, "candidate"), [
    "candidate",
    "sdpMid",
    "sdpMLineIndex",
    "usernameFragment",
  ]);
  if (candidate === undefined) return false;
  const index = own(candidate, "sdpMLineIndex");
  return (
    stringUpTo(own(candidate, "candidate"), FUZZ_LIMITS.maxCandidateBytes) &&
    nullableStringUpTo(own(candidate, "sdpMid"), 256) &&
    nullableStringUpTo(own(candidate, "usernameFragment"), 256) &&
    (index === undefined || index === null || integerIn(index, 0, 65535))
  );
}

/** Whether protocol.ts allows this payload (the arguments before any reply callback). */
export function allowedByProtocol(event: ClientEvent, payload: readonly unknown[]): boolean {
  if (event === "leave" || event === "probe") return payload.length === 0;
  if (payload.length !== 1) return false;
  const [request] = payload;
  switch (event) {
    case "create": {
      const fields = plainWithOnly(request, ["maxPlayers", "password", "reconnectGraceMs", "reclaim"]);
      const reclaim = fields && own(fields, "reclaim");
      const grace = fields && own(fields, "reconnectGraceMs");
      return (
        fields !== undefined &&
        integerIn(own(fields, "maxPlayers"), 1, FUZZ_LIMITS.maxPlayersPerRoom) &&
        passwordOk(own(fields, "password")) &&
        // Any safe integer from 0: the server caps it rather than refusing.
        (grace === undefined || integerIn(grace, 0, Number.MAX_SAFE_INTEGER)) &&
        (reclaim === undefined || reclaimOk(reclaim))
      );
    }
    case "resume": {
      const fields = plainWithOnly(request, ["roomCode", "peerId", "resumeToken"]);
      const roomCode = fields && own(fields, "roomCode");
      const token = fields && own(fields, "resumeToken");
      return (
        fields !== undefined &&
        typeof roomCode === "string" &&
        roomCode.trim() !== "" &&
        roomCode.length <= 64 &&
        integerIn(own(fields, "peerId"), HOST_PEER_ID + 1, MAX_PEER_ID) &&
        typeof token === "string" &&
        token.length <= 128
      );
    }
    case "join": {
      const fields = plainWithOnly(request, ["roomCode", "password"]);
      const roomCode = fields && own(fields, "roomCode");
      return (
        fields !== undefined &&
        typeof roomCode === "string" &&
        roomCode.trim() !== "" &&
        roomCode.length <= 64 &&
        passwordOk(own(fields, "password"))
      );
    }
    case "signal": {
      const fields = plainWithOnly(request, ["to", "data", "connection"]);
      const to = fields && own(fields, "to");
      const connection = fields && own(fields, "connection");
      return (
        fields !== undefined &&
        (to === undefined || integerIn(to, HOST_PEER_ID, MAX_PEER_ID)) &&
        (connection === undefined || integerIn(connection, 0, MAX_CONNECTION_NUMBER)) &&
        signalDataOk(own(fields, "data"))
      );
    }
    case "setRefusing": {
      const fields = plainWithOnly(request, ["refusing"]);
      return fields !== undefined && typeof own(fields, "refusing") === "boolean";
    }
    case "kick": {
      const fields = plainWithOnly(request, ["peerId"]);
      return fields !== undefined && integerIn(own(fields, "peerId"), HOST_PEER_ID + 1, MAX_PEER_ID);
    }
  }
}

/** The codes a valid request may still be refused with, given the README's error table. */
export const CODES_FOR_VALID: Record<ClientEvent, readonly string[]> = {
  // reclaim_refused: a token that is not the code's, or a code that is live, or a room that closed.
  create: ["already_in_room", "reclaim_refused"],
  join: ["no_such_room", "wrong_password", "already_in_room"],
  // invalid_request: a well-formed token that is not this room's and peer's.
  resume: ["already_in_room", "invalid_request", "no_such_room", "session_expired"],
  probe: [],
  signal: ["not_in_room", "unknown_peer"],
  setRefusing: ["not_in_room", "not_host"],
  kick: ["not_in_room", "not_host", "unknown_peer"],
  leave: [],
};

/** socket.io's encoding of an argument list: JSON, so undefined and NaN become null, and so on. */
export function overTheWire(args: readonly unknown[]): unknown[] {
  return JSON.parse(JSON.stringify(args)) as unknown[];
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Every kind of JavaScript value, including ones no socket.io parser produces (in-process only). */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.anything({
      maxDepth: 3,
      maxKeys: 4,
      stringUnit: "binary",
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withTypedArray: true,
      withSparseArray: true,
    }),
  },
  { weight: 1, arbitrary: fc.func(fc.anything()) },
);

/** What a socket.io client can send: JSON values (plus undefined and NaN, which become null). */
export const wireValue: fc.Arbitrary<unknown> = fc.anything({ maxDepth: 3, maxKeys: 4 });

/** Mostly the right kind of value, sometimes anything at all. */
function mostly<T>(right: fc.Arbitrary<T>, any: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 12, arbitrary: right }, { weight: 1, arbitrary: any });
}

/**
 * A record of `fields`: usually with every `required` one and some of the others, now and then
 * missing any of them, and now and then with a stray key added.
 */
function recordOf(
  fields: Record<string, fc.Arbitrary<unknown>>,
  required: readonly string[],
  any: fc.Arbitrary<unknown>,
) {
  const stray = fc.dictionary(fc.string({ maxLength: 8 }), any, { minKeys: 1, maxKeys: 2 });
  const usual = fc.record(fields, { requiredKeys: [...required] });
  const anyKeys = fc.record(fields, { requiredKeys: [] });
  return fc
    .tuple(
      fc.oneof({ weight: 12, arbitrary: usual }, { weight: 1, arbitrary: anyKeys }),
      fc.oneof({ weight: 14, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: stray }),
    )
    .map(([record, extra]) => (extra === null ? (record as object) : { ...extra, ...record }));
}

/** Strings short and fine, and strings around `limit` (in UTF-16 units) to probe the boundary. */
function stringsAround(limit: number) {
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 4, unit: "binary" }) },
    { weight: 2, arbitrary: fc.string({ minLength: limit - 2, maxLength: limit + 1 }) },
    // Multi-byte characters: under a cap in characters, over it in UTF-8 bytes.
    { weight: 1, arbitrary: fc.string({ minLength: limit / 4, maxLength: limit / 2, unit: "binary" }) },
    { weight: 1, arbitrary: fc.constant("") },
  );
}

/**
 * A request for `event` that is often valid and often almost valid. `reclaimCodes` are the codes
 * reclaims aim at, with their real tokens (by default `roomCodes`): leave out live rooms that must
 * not be taken over.
 */
export function requestFor(
  event: ClientEvent,
  any: fc.Arbitrary<unknown>,
  roomCodes: readonly string[],
  passwords: readonly string[],
  reclaimCodes: readonly string[] = roomCodes,
): fc.Arbitrary<unknown> {
  const password = mostly(
    fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...passwords) }, stringsAround(MAX_PASSWORD_LENGTH)),
    any,
  );
  const peerId = mostly(
    fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constantFrom(MAX_PEER_ID, MAX_PEER_ID + 1)),
    any,
  );
  switch (event) {
    case "create": {
      const maxPlayers = mostly(fc.integer({ min: -1, max: FUZZ_LIMITS.maxPlayersPerRoom + 1 }), any);
      const reconnectGraceMs = mostly(
        fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: -1, max: 10_000 }) },
          fc.constantFrom(0.5, 1e300, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1),
        ),
        any,
      );
      const plain = recordOf({ maxPlayers, password, reconnectGraceMs }, ["maxPlayers"], any);
      const reclaiming = recordOf(
        { maxPlayers, password, reconnectGraceMs, reclaim: mostly(reclaimFor(any, reclaimCodes), any) },
        ["maxPlayers", "reclaim"],
        any,
      );
      return fc.oneof({ weight: 2, arbitrary: plain }, { weight: 1, arbitrary: reclaiming });
    }
    case "join": {
      const code = fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...roomCodes) },
        // Typed the way people type: lower case, a dash, stray spaces.
        fc.constantFrom(...roomCodes).map((c) => ` ${c.slice(0, 3)}-${c.slice(3).toLowerCase()} `),
        stringsAround(64),
        fc.constantFrom(" ", "\t\n", "-"),
      );
      return recordOf({ roomCode: mostly(code, any), password }, ["roomCode"], any);
    }
    case "resume": {
      const code = fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...roomCodes) },
        fc.constantFrom(...roomCodes).map((c) => ` ${c.slice(0, 3)}-${c.slice(3).toLowerCase()} `),
        stringsAround(64),
        fc.constantFrom(" ", "-"),
      );
      const client = fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 2, max: 12 }) },
        fc.constantFrom(0, 1, -2, 2.5, MAX_PEER_ID, MAX_PEER_ID + 1),
      );
      return fc.tuple(code, client).chain(([roomCode, id]) => {
        const normalized = normalizeRoomCode(roomCode);
        const token = fc.oneof(
          { weight: 4, arbitrary: fc.constant(resumeTokenFor(normalized, id)) },
          fc.constant(resumeTokenFor(normalized, id, "another-secret-0123456789")),
          fc.constant(resumeTokenFor(normalized, 2)),
          fc.constant(hostTokenFor(normalized)),
          stringsAround(128),
        );
        return recordOf(
          {
            roomCode: mostly(fc.constant(roomCode), any),
            peerId: mostly(fc.constant(id), any),
            resumeToken: mostly(token, any),
          },
          ["roomCode", "peerId", "resumeToken"],
          any,
        );
      });
    }
    case "signal": {
      const nullableField = mostly(fc.option(stringsAround(256)), any);
      const candidate = recordOf(
        {
          candidate: mostly(stringsAround(FUZZ_LIMITS.maxCandidateBytes), any),
          sdpMid: nullableField,
          sdpMLineIndex: mostly(fc.option(fc.integer({ min: -1, max: 65536 })), any),
          usernameFragment: nullableField,
        },
        ["candidate"],
        any,
      );
      const description = recordOf(
        {
          type: mostly(
            fc.oneof(
              { weight: 4, arbitrary: fc.constantFrom("offer", "answer") },
              fc.constantFrom("pranswer", "rollback", "candidate"),
            ),
            any,
          ),
          sdp: mostly(stringsAround(FUZZ_LIMITS.maxSdpBytes), any),
        },
        ["type", "sdp"],
        any,
      );
      const trickle = recordOf(
        { type: mostly(fc.constant("candidate"), any), candidate: mostly(candidate, any) },
        ["type", "candidate"],
        any,
      );
      // An offer with a candidate field, a candidate with an sdp: the mixed-up shapes.
      const mixed = recordOf(
        { type: fc.constantFrom("offer", "answer", "candidate"), sdp: fc.string(), candidate },
        ["type"],
        any,
      );
      const data = fc.oneof({ weight: 3, arbitrary: description }, { weight: 3, arbitrary: trickle }, mixed);
      const to = mostly(
        fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: HOST_PEER_ID, max: 4 }) },
          fc.constantFrom(0, -1, MAX_PEER_ID, MAX_PEER_ID + 1),
        ),
        any,
      );
      const connection = mostly(
        fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: -1, max: 4 }) },
          fc.constantFrom(0.5, MAX_CONNECTION_NUMBER, MAX_CONNECTION_NUMBER + 1),
        ),
        any,
      );
      return recordOf({ to, data: mostly(data, any), connection }, ["data"], any);
    }
    case "setRefusing":
      return recordOf({ refusing: mostly(fc.boolean(), any) }, ["refusing"], any);
    case "kick":
      return recordOf({ peerId }, ["peerId"], any);
    case "leave":
    case "probe":
      return any;
  }
}

/**
 * A reclaim of one of `roomCodes` or a random code, as typed or mangled, with its real token
 * (under FUZZ_ROOM_SECRET), another code's token or junk, and peer lists near every limit.
 */
function reclaimFor(any: fc.Arbitrary<unknown>, roomCodes: readonly string[]): fc.Arbitrary<unknown> {
  const alphabet = ROOM_CODE_ALPHABET.split("");
  const randomCode = fc
    .array(fc.constantFrom(...alphabet), {
      minLength: FUZZ_LIMITS.roomCodeLength - 1,
      maxLength: FUZZ_LIMITS.roomCodeLength + 1,
    })
    .map((chars) => chars.join(""));
  const base = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...roomCodes) }, randomCode);
  const typed = fc.oneof(
    { weight: 4, arbitrary: fc.constant((code: string) => code) },
    fc.constant((code: string) => `${code.slice(0, 3)}-${code.slice(3).toLowerCase()}`),
    fc.constant((code: string) => ` ${code} `),
    // Too long as sent, though it normalizes to a good code.
    fc.constant((code: string) => `${code}----------`),
    fc.constant((code: string) => `${code.slice(0, -1)}0`),
    fc.constant((code: string) => `${code.slice(0, -1)}\u00e9`),
  );
  const token = (code: string) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(hostTokenFor(normalizeRoomCode(code))) },
      fc.constant(hostTokenFor(normalizeRoomCode(code), "another-secret-0123456789")),
      fc.constant(hostTokenFor("ABCDEF")),
      stringsAround(128),
    );
  const peer = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 2, max: 12 }) },
    fc.constantFrom(0, 1, -2, 2.5, MAX_PEER_ID, MAX_PEER_ID + 1, Number.NaN),
    any,
  );
  const peers = fc.oneof(
    { weight: 6, arbitrary: fc.uniqueArray(fc.integer({ min: 2, max: 1000 }), { maxLength: 4 }) },
    { weight: 2, arbitrary: fc.array(peer, { maxLength: 4 }) },
    fc.uniqueArray(fc.integer({ min: 2, max: 1000 }), {
      minLength: FUZZ_LIMITS.maxPlayersPerRoom,
      maxLength: FUZZ_LIMITS.maxPlayersPerRoom + 1,
    }),
    any,
  );
  return fc
    .tuple(base, typed)
    .map(([code, type]) => type(code))
    .chain((roomCode) =>
      recordOf(
        { roomCode: mostly(fc.constant(roomCode), any), hostToken: mostly(token(roomCode), any), peers },
        ["roomCode", "hostToken", "peers"],
        any,
      ),
    );
}

/** Argument lists around a request: usually just it, sometimes none, more, or garbage. */
export function argumentsFor(event: ClientEvent, request: fc.Arbitrary<unknown>, any: fc.Arbitrary<unknown>) {
  const garbage = fc.array(any, { maxLength: 3 });
  const usual = event === "leave" || event === "probe" ? fc.constant([]) : request.map((value) => [value]);
  return fc.oneof(
    { weight: 10, arbitrary: usual },
    { weight: 2, arbitrary: garbage },
    { weight: 1, arbitrary: fc.tuple(request, garbage).map(([value, more]) => [value, ...more]) },
    { weight: 1, arbitrary: fc.tuple(garbage, request).map(([more, value]) => [...more, value]) },
  );
}

/** Event names the server does not know: random strings, numbers, prototype keys, near misses. */
export function unknownEventName(any: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .oneof(
      fc.string({ maxLength: 12 }),
      fc.string({ minLength: 60, maxLength: 200 }),
      fc.integer(),
      fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "Create", "JOIN", "leave "),
      fc.constantFrom("peerJoined", "peerLeft", "roomClosed", "signalingError", "error", ""),
      any,
    )
    .filter((name) => !(CLIENT_EVENTS as readonly unknown[]).includes(name));
}
