/**
 * Checks of every client→server payload against protocol.ts. Clients are untrusted: anything
 * socket.io can decode may arrive (any argument count, null, arrays, Buffers, huge strings), so each
 * check returns the parsed value, rebuilt from known fields only, or a message; nothing throws.
 */
import {
  type CandidateSignal,
  type CreateRequest,
  HOST_PEER_ID,
  type JoinRequest,
  MAX_CONNECTION_NUMBER,
  MAX_PASSWORD_LENGTH,
  MAX_PEER_ID,
  normalizeRoomCode,
  type OutgoingSignal,
  type ResumeRequest,
  ROOM_CODE_ALPHABET,
  type SignalData,
} from "starwire-protocol";

export type Validation<T> = { ok: true; value: T } | { ok: false; message: string };

export interface ValidationLimits {
  /** Also the most ids a reclaim may reserve. */
  maxPlayersPerRoom: number;
  /** A reclaimed code must have exactly this many characters once normalized. */
  roomCodeLength: number;
  maxSdpBytes: number;
  maxCandidateBytes: number;
}

/** Room codes are a handful of characters; this only bounds what we normalize and look up. */
export const MAX_ROOM_CODE_INPUT_LENGTH = 64;
/** sdpMid is usually "0"; an ICE ufrag is at most 256 characters (RFC 8839). */
export const MAX_CANDIDATE_FIELD_BYTES = 256;
/** A reclaimed code as sent, before normalization: a code of at most 12 characters plus some dashes. */
export const MAX_RECLAIM_CODE_INPUT_LENGTH = 16;
/** Host tokens are 43 characters (base64url of 32 bytes); this leaves room for a longer scheme. */
export const MAX_HOST_TOKEN_LENGTH = 128;
/** Resume tokens are 43 characters too, with the same room to spare. */
export const MAX_RESUME_TOKEN_LENGTH = 128;

export type ReplyFunction = (reply: unknown) => void;

/**
 * socket.io appends the acknowledgement callback as the last argument, and a client cannot send a
 * function any other way (it does not survive encoding), so only a trailing function is a reply.
 */
export function splitArguments(args: readonly unknown[]): { payload: unknown[]; reply?: ReplyFunction } {
  const last = args.at(-1);
  if (typeof last === "function") return { payload: args.slice(0, -1), reply: last as ReplyFunction };
  return { payload: [...args] };
}

export function validateCreate(
  args: readonly unknown[],
  limits: ValidationLimits,
): Validation<CreateRequest> {
  const request = singleRecord(args, "create", "{ maxPlayers, password?, reconnectGraceMs?, reclaim? }", [
    "maxPlayers",
    "password",
    "reconnectGraceMs",
    "reclaim",
  ]);
  if (!request.ok) return request;
  const maxPlayers = integer(request.value.maxPlayers, "create: maxPlayers", 1, limits.maxPlayersPerRoom);
  if (!maxPlayers.ok) return maxPlayers;
  const password = optionalPassword(request.value.password, "create");
  if (!password.ok) return password;
  const result: CreateRequest = withPassword({ maxPlayers: maxPlayers.value }, password.value);
  if (request.value.reconnectGraceMs !== undefined) {
    // Any wish is fine: the server caps it (MAX_RECONNECT_GRACE_MS). Only nonsense is refused.
    const grace = integer(
      request.value.reconnectGraceMs,
      "create: reconnectGraceMs",
      0,
      Number.MAX_SAFE_INTEGER,
    );
    if (!grace.ok) return grace;
    result.reconnectGraceMs = grace.value;
  }
  if (request.value.reclaim === undefined) return ok(result);
  const reclaim = reclaimRequest(request.value.reclaim, limits);
  if (!reclaim.ok) return reclaim;
  return ok({ ...result, reclaim: reclaim.value });
}

type ReclaimRequest = NonNullable<CreateRequest["reclaim"]>;

/**
 * `{ roomCode, hostToken, peers }`, all required. The code comes back normalized; it must be one
 * this server could have handed out (its alphabet, its length). The token is only bounded here:
 * whether it matches is the registry's business. The message never quotes the token.
 */
function reclaimRequest(value: unknown, limits: ValidationLimits): Validation<ReclaimRequest> {
  const fields = record(value, "create: reclaim", ["roomCode", "hostToken", "peers"]);
  if (!fields.ok) return fields;
  const { roomCode, hostToken, peers } = fields.value;

  if (typeof roomCode !== "string" || roomCode.length > MAX_RECLAIM_CODE_INPUT_LENGTH) {
    return error(
      `create: reclaim.roomCode must be a string of at most ${MAX_RECLAIM_CODE_INPUT_LENGTH} characters`,
    );
  }
  const code = normalizeRoomCode(roomCode);
  if (code.length !== limits.roomCodeLength || ![...code].every((c) => ROOM_CODE_ALPHABET.includes(c))) {
    return error(`create: reclaim.roomCode must be a room code of ${limits.roomCodeLength} characters`);
  }

  if (typeof hostToken !== "string" || hostToken.length > MAX_HOST_TOKEN_LENGTH) {
    return error(
      `create: reclaim.hostToken must be a string of at most ${MAX_HOST_TOKEN_LENGTH} characters, got ${describeType(hostToken)}`,
    );
  }

  if (!Array.isArray(peers) || peers.length > limits.maxPlayersPerRoom) {
    return error(
      `create: reclaim.peers must be an array of at most ${limits.maxPlayersPerRoom} peer ids, got ${Array.isArray(peers) ? `${peers.length}` : describeType(peers)}`,
    );
  }
  const ids: number[] = [];
  const seen = new Set<number>();
  // By index, so a hole in a sparse array is read as undefined and refused.
  for (let index = 0; index < peers.length; index++) {
    const id = integer(peers[index], `create: reclaim.peers[${index}]`, HOST_PEER_ID + 1, MAX_PEER_ID);
    if (!id.ok) return id;
    if (seen.has(id.value)) return error(`create: reclaim.peers lists ${id.value} twice`);
    seen.add(id.value);
    ids.push(id.value);
  }
  return ok({ roomCode: code, hostToken, peers: ids });
}

export function validateJoin(args: readonly unknown[]): Validation<JoinRequest> {
  const request = singleRecord(args, "join", "{ roomCode, password? }", ["roomCode", "password"]);
  if (!request.ok) return request;
  const { roomCode } = request.value;
  if (typeof roomCode !== "string" || roomCode.trim() === "") {
    return error("join: roomCode must be a non-empty string");
  }
  if (roomCode.length > MAX_ROOM_CODE_INPUT_LENGTH) {
    return error(`join: roomCode must be at most ${MAX_ROOM_CODE_INPUT_LENGTH} characters`);
  }
  const password = optionalPassword(request.value.password, "join");
  if (!password.ok) return password;
  return ok(withPassword({ roomCode }, password.value));
}

/**
 * `{ roomCode, peerId, resumeToken }`, all required: a code bounded like a join's (normalized by
 * the registry), a client id, and a token that is only bounded here (whether it matches is checked
 * by the caller). The message never quotes the token.
 */
export function validateResume(args: readonly unknown[]): Validation<ResumeRequest> {
  const request = singleRecord(args, "resume", "{ roomCode, peerId, resumeToken }", [
    "roomCode",
    "peerId",
    "resumeToken",
  ]);
  if (!request.ok) return request;
  const { roomCode, resumeToken } = request.value;
  if (typeof roomCode !== "string" || roomCode.trim() === "") {
    return error("resume: roomCode must be a non-empty string");
  }
  if (roomCode.length > MAX_ROOM_CODE_INPUT_LENGTH) {
    return error(`resume: roomCode must be at most ${MAX_ROOM_CODE_INPUT_LENGTH} characters`);
  }
  const peerId = integer(request.value.peerId, "resume: peerId", HOST_PEER_ID + 1, MAX_PEER_ID);
  if (!peerId.ok) return peerId;
  if (typeof resumeToken !== "string" || resumeToken.length > MAX_RESUME_TOKEN_LENGTH) {
    return error(
      `resume: resumeToken must be a string of at most ${MAX_RESUME_TOKEN_LENGTH} characters, got ${describeType(resumeToken)}`,
    );
  }
  return ok({ roomCode, peerId: peerId.value, resumeToken });
}

/**
 * Absent, or a string of 1 to MAX_PASSWORD_LENGTH UTF-16 units (JavaScript's string length). An
 * empty password is refused rather than read as "none", so a client bug cannot open a room by
 * accident. The message never quotes the value: it may be someone's real password.
 */
function optionalPassword(value: unknown, event: string): Validation<string | undefined> {
  if (value === undefined) return ok(undefined);
  if (typeof value !== "string" || value.length < 1 || value.length > MAX_PASSWORD_LENGTH) {
    const got = typeof value === "string" ? `${value.length} characters` : describeType(value);
    return error(`${event}: password must be a string of 1 to ${MAX_PASSWORD_LENGTH} characters, got ${got}`);
  }
  return ok(value);
}

function withPassword<T extends object>(request: T, password: string | undefined): T & { password?: string } {
  return password === undefined ? request : { ...request, password };
}

export function validateSetRefusing(args: readonly unknown[]): Validation<{ refusing: boolean }> {
  const request = singleRecord(args, "setRefusing", "{ refusing }", ["refusing"]);
  if (!request.ok) return request;
  const { refusing } = request.value;
  if (typeof refusing !== "boolean") return error("setRefusing: refusing must be true or false");
  return ok({ refusing });
}

export function validateKick(args: readonly unknown[]): Validation<{ peerId: number }> {
  const request = singleRecord(args, "kick", "{ peerId }", ["peerId"]);
  if (!request.ok) return request;
  // The host (peer 1) cannot be kicked; it leaves instead.
  const peerId = integer(request.value.peerId, "kick: peerId", HOST_PEER_ID + 1, MAX_PEER_ID);
  if (!peerId.ok) return peerId;
  return ok({ peerId: peerId.value });
}

export function validateLeave(args: readonly unknown[]): Validation<undefined> {
  return noArguments(args, "leave");
}

export function validateProbe(args: readonly unknown[]): Validation<undefined> {
  return noArguments(args, "probe");
}

function noArguments(args: readonly unknown[], event: string): Validation<undefined> {
  if (args.length !== 0) {
    return error(`${event} takes no arguments besides the reply callback, got ${args.length}`);
  }
  return ok(undefined);
}

export function validateSignal(
  args: readonly unknown[],
  limits: ValidationLimits,
): Validation<OutgoingSignal> {
  const signal = singleRecord(args, "signal", "{ to?, data, connection? }", ["to", "data", "connection"]);
  if (!signal.ok) return signal;
  const { to, data, connection } = signal.value;

  let target: number | undefined;
  if (to !== undefined) {
    const parsed = integer(to, "signal: to", HOST_PEER_ID, MAX_PEER_ID);
    if (!parsed.ok) return parsed;
    target = parsed.value;
  }

  const parsedData = signalData(data, limits);
  if (!parsedData.ok) return parsedData;
  const result: OutgoingSignal =
    target === undefined ? { data: parsedData.value } : { to: target, data: parsedData.value };
  if (connection !== undefined) {
    const attempt = integer(connection, "signal: connection", 0, MAX_CONNECTION_NUMBER);
    if (!attempt.ok) return attempt;
    result.connection = attempt.value;
  }
  return ok(result);
}

function signalData(value: unknown, limits: ValidationLimits): Validation<SignalData> {
  const data = record(value, "signal: data", ["type", "sdp", "candidate"]);
  if (!data.ok) return data;
  const { type } = data.value;

  if (type === "offer" || type === "answer") {
    if ("candidate" in data.value) return error(`signal: an ${type} has no candidate field`);
    const { sdp } = data.value;
    if (typeof sdp !== "string" || sdp === "")
      return error(`signal: an ${type} needs a non-empty string sdp`);
    const sdpTooBig = tooManyBytes(sdp, limits.maxSdpBytes, "signal: sdp");
    if (sdpTooBig) return sdpTooBig;
    return ok({ type, sdp });
  }

  if (type === "candidate") {
    if ("sdp" in data.value) return error("signal: a candidate has no sdp field");
    const candidate = iceCandidate(data.value.candidate, limits);
    if (!candidate.ok) return candidate;
    return ok({ type, candidate: candidate.value });
  }

  if (type === "renegotiate") {
    if ("sdp" in data.value || "candidate" in data.value)
      return error("signal: renegotiate carries no sdp or candidate");
    return ok({ type });
  }

  return error('signal: data.type must be "offer", "answer", "candidate" or "renegotiate"');
}

function iceCandidate(value: unknown, limits: ValidationLimits): Validation<CandidateSignal["candidate"]> {
  const fields = record(value, "signal: data.candidate", [
    "candidate",
    "sdpMid",
    "sdpMLineIndex",
    "usernameFragment",
  ]);
  if (!fields.ok) return fields;
  const { candidate, sdpMid, sdpMLineIndex, usernameFragment } = fields.value;

  // An empty string is legal: it is how WebRTC marks the end of candidates.
  if (typeof candidate !== "string") return error("signal: data.candidate.candidate must be a string");
  const candidateTooBig = tooManyBytes(
    candidate,
    limits.maxCandidateBytes,
    "signal: data.candidate.candidate",
  );
  if (candidateTooBig) return candidateTooBig;
  const result: CandidateSignal["candidate"] = { candidate };

  for (const [name, field] of [
    ["sdpMid", sdpMid],
    ["usernameFragment", usernameFragment],
  ] as const) {
    if (field === undefined) continue;
    if (field !== null && typeof field !== "string") {
      return error(`signal: data.candidate.${name} must be a string or null`);
    }
    if (field !== null) {
      const tooBig = tooManyBytes(field, MAX_CANDIDATE_FIELD_BYTES, `signal: data.candidate.${name}`);
      if (tooBig) return tooBig;
    }
    result[name] = field;
  }

  if (sdpMLineIndex !== undefined) {
    if (sdpMLineIndex === null) {
      result.sdpMLineIndex = null;
    } else {
      const index = integer(sdpMLineIndex, "signal: data.candidate.sdpMLineIndex", 0, 65535);
      if (!index.ok) return index;
      result.sdpMLineIndex = index.value;
    }
  }
  return ok(result);
}

function singleRecord(
  args: readonly unknown[],
  event: string,
  shape: string,
  keys: readonly string[],
): Validation<Record<string, unknown>> {
  if (args.length !== 1) {
    return error(`${event} takes one argument ${shape}, got ${args.length}`);
  }
  return record(args[0], `${event}: the request`, keys);
}

/**
 * A plain JSON object whose keys are all known. The prototype check rejects Buffers and other
 * decoded binary; unknown keys are refused so a typo in a client fails loudly, not silently.
 */
function record(value: unknown, what: string, keys: readonly string[]): Validation<Record<string, unknown>> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return error(`${what} must be an object, got ${describe(value)}`);
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return error(`${what} must be a plain object`);
  const unknownKey = Object.keys(value).find((key) => !keys.includes(key));
  if (unknownKey !== undefined) {
    return error(`${what} has an unknown field "${unknownKey.slice(0, 40)}" (expected ${keys.join(", ")})`);
  }
  // Own properties only: never read a key through the prototype chain.
  const fields: Record<string, unknown> = Object.create(null);
  for (const key of keys) {
    if (Object.hasOwn(value, key)) fields[key] = (value as Record<string, unknown>)[key];
  }
  return ok(fields);
}

function integer(value: unknown, what: string, min: number, max: number): Validation<number> {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    return error(`${what} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return ok(value);
}

function tooManyBytes(value: string, max: number, what: string): Validation<never> | undefined {
  // Cheap pre-check: UTF-8 needs at least one byte per UTF-16 unit.
  if (value.length > max || Buffer.byteLength(value, "utf8") > max) {
    return error(`${what} is larger than ${max} bytes`);
  }
  return undefined;
}

/** A short description for error messages that never echoes a huge or hostile value back. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return value.length > 20 ? "a long string" : JSON.stringify(value);
  return typeof value;
}

/** Like `describe`, but never the value itself. */
function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

function ok<T>(value: T): Validation<T> {
  return { ok: true, value };
}

function error(message: string): { ok: false; message: string } {
  return { ok: false, message };
}
