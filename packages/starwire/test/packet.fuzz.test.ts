// Property-based fuzzing of everything a packet from the network reaches: framing, system
// messages, relay, path cache, RPC dispatch, argument decoding. `npm test` runs 50,000+ cases;
// `npm run fuzz` (FUZZ_LONG=1) runs over 1,000,000.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MultiplayerAPI,
  type MultiplayerPeer,
  NetNode,
  type PeerEventHandler,
  type TransferMode,
} from "../src/common.js";
import { networkTableOf } from "../src/rpc/network-table.js";
import { DecodeError, decodeArguments, encodeArguments } from "../src/wire/codec.js";
import { Command } from "../src/wire/commands.js";
import { decodeCall, encodeCall } from "../src/wire/rpc-packet.js";

const LONG = process.env.FUZZ_LONG === "1";
const RUNS = LONG ? 350_000 : 17_000; // × 3 properties

/** A transport whose events the test raises by hand, synchronously, so each case is judged alone. */
class HandDrivenPeer implements MultiplayerPeer {
  readonly uniqueId = 1;
  readonly connectionStatus = "connected" as const;
  refuseNewConnections = false;
  handler: PeerEventHandler | null = null;
  sent = 0;
  send(): void {
    this.sent++;
  }
  disconnectPeer(): void {}
  close(): void {}
  attach(handler: PeerEventHandler | null): void {
    this.handler = handler;
  }
}

class Target extends NetNode {
  calls: Array<{ method: string; args: unknown[] }> = [];
  score = 0;
  constructor() {
    super("target");
    for (const name of ["one", "two", "rest", "none"]) this.rpcConfig(name, ["any_peer"]);
    this.rpcConfig("hostOnly", []);
    this.rpcConfig("score", ["any_peer"]);
  }
  one(a: unknown) {
    this.calls.push({ method: "one", args: [a] });
  }
  two(a: unknown, b: unknown = null) {
    this.calls.push({ method: "two", args: [a, b] });
  }
  rest(...args: unknown[]) {
    this.calls.push({ method: "rest", args });
  }
  none() {
    this.calls.push({ method: "none", args: [] });
  }
  hostOnly() {
    this.calls.push({ method: "hostOnly", args: [] });
  }
}

function setUp() {
  const api = new MultiplayerAPI();
  api.rateLimits = {
    ...api.rateLimits,
    messagesPerSecond: 1e9,
    messageBurst: 1e9,
    bytesPerSecond: 1e12,
    byteBurst: 1e12,
  };
  const peer = new HandDrivenPeer();
  api.peer = peer;
  const target = api.root.addChild(new Target());
  peer.handler!.peerConnected(2);
  peer.handler!.peerConnected(3);
  let rejected = 0;
  api.on("rejected", () => rejected++);
  const deliver = (bytes: Uint8Array, transfer: TransferMode = "reliable") =>
    peer.handler!.packet(2, bytes, transfer, 0);
  return { api, target, deliver, rejections: () => rejected };
}

const table = networkTableOf(new Target());
const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort().join();
const PROTOTYPE_KEYS = prototypeKeys();

/** Argument values as a hostile peer might shape them, including prototype-poisoning keys. */
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.integer(),
    fc.double(),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.string({ maxLength: 6 }),
        fc.constantFrom("__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty"),
      ),
      tie("value"),
      { maxKeys: 4 },
    ),
  ),
})).value;

/** A valid call (inline or cached), before mutation. */
const validCall = fc
  .record({
    command: fc.constantFrom(Command.RPC, Command.RSET),
    cacheId: fc.nat(3),
    inline: fc.boolean(),
    index: fc.nat(table.methods.length + 2),
    args: fc.array(hostileValue, { maxLength: 4 }),
  })
  .map(({ command, cacheId, inline, index, args }) =>
    encodeCall({
      command,
      cacheId,
      inline: inline ? { path: "/root/target", digest: table.digest } : null,
      index,
      args: encodeArguments(args),
    }),
  );

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: fc.nat(255) }),
);

type Mutation =
  | { kind: "flip"; at: number; bits: number }
  | { kind: "cut"; at: number }
  | { kind: "insert"; at: number; byte: number };

function mutate(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = bytes;
  for (const m of mutations) {
    if (out.length === 0) break;
    const at = m.at % out.length;
    if (m.kind === "flip") {
      out = out.slice();
      out[at]! ^= m.bits;
    } else if (m.kind === "cut") out = out.slice(0, at);
    else out = Uint8Array.from([...out.subarray(0, at), m.byte, ...out.subarray(at)]);
  }
  return out;
}

/** Would a correct receiver run a handler for this packet? Judged independently of the dispatcher. */
function mayRun(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || (bytes[0]! & 7) !== Command.RPC) return false;
  const call = decodeCall(bytes);
  if (typeof call === "string") return false;
  try {
    decodeArguments(call.args);
    return true;
  } catch (error) {
    if (error instanceof DecodeError) return false;
    throw error;
  }
}

const isPlainData = (value: unknown): boolean => {
  if (value === null || ["number", "string", "boolean"].includes(typeof value)) return true;
  if (value instanceof Uint8Array) return true;
  if (Array.isArray(value)) return value.every(isPlainData);
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return (
      Object.keys(value).every((key) => key !== "prototype" && !(key in Object.prototype)) &&
      Object.values(value).every(isPlainData)
    );
  }
  return false;
};

describe("fuzzing the packet path", () => {
  it(`random bytes never throw, run nothing, or touch a prototype (${RUNS} cases)`, () => {
    const { deliver, target } = setUp();
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 96 }),
        fc.constantFrom<TransferMode>("reliable", "unreliable"),
        (bytes, transfer) => {
          const before = target.calls.length;
          deliver(bytes, transfer);
          const ran = target.calls.length > before;
          if (ran && !mayRun(bytes)) return false;
          return target.calls.slice(before).every((call) => call.args.every(isPlainData));
        },
      ),
      { numRuns: RUNS },
    );
    expect(prototypeKeys()).toBe(PROTOTYPE_KEYS);
  });

  it(`mutated valid calls run only when they fully decode (${RUNS} cases)`, () => {
    const { deliver, target, rejections } = setUp();
    fc.assert(
      fc.property(validCall, fc.array(mutation, { maxLength: 3 }), (valid, mutations) => {
        const bytes = mutate(valid, mutations);
        const before = target.calls.length;
        deliver(bytes);
        const ran = target.calls.length > before;
        if (ran && !mayRun(bytes)) return false;
        return target.calls.slice(before).every((call) => call.args.every(isPlainData));
      }),
      { numRuns: RUNS },
    );
    expect(rejections()).toBeGreaterThan(0);
    expect(target.calls.length).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(prototypeKeys()).toBe(PROTOTYPE_KEYS);
  });

  it(`system messages and relays from a client never throw or forge (${RUNS} cases)`, () => {
    const { api, deliver } = setUp();
    const peersBefore = api.getPeers().sort().join();
    fc.assert(
      fc.property(
        fc.nat(3),
        fc.integer({ min: -5, max: 2 ** 32 }),
        fc.uint8Array({ maxLength: 24 }),
        (sub, peer, rest) => {
          const bytes = new Uint8Array(6 + rest.length);
          bytes[0] = Command.SYS;
          bytes[1] = sub;
          new DataView(bytes.buffer).setInt32(2, peer | 0, true);
          bytes.set(rest, 6);
          deliver(bytes);
          deliver(bytes.subarray(0, (peer >>> 0) % 7));
          // A client can never add or remove peers on the host.
          return api.getPeers().sort().join() === peersBefore;
        },
      ),
      { numRuns: RUNS },
    );
  });
});
