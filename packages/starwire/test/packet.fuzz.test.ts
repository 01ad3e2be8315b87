// Property-based fuzzing of everything a hostile client's packet reaches, judged by an independent
// model. The test game (packet-game.ts) runs on real MultiplayerAPIs: the host (1), two honest
// clients (3, 4) and the hostile client (2, whose bytes the fuzzer writes), joined by a synchronous
// in-memory star. Each case starts the game afresh (new transports: no peers, empty path caches)
// and plays a session of steps: packets from the grammar in packet-grammar.ts (valid and near-valid
// calls, relays to every kind of target, confirmations, raw bytes, forged system messages, mutated
// and random bytes, path announcements and forgets, whole recyclings of one id) with honest calls
// in between. After every step the observed effects (which
// handler ran on which peer, with which remoteSenderId and arguments; members set; `rejected`
// events and their reasons; `peerPacket`s; what reached the hostile client) must equal what
// packet-model.ts predicts from WIRE.md and SECURITY.md, without the SDK's decoders: node trees,
// modes, arity and schemas, per-sender path caches, authority, true senders of relays, the host's
// checks before forwarding, per-recipient relay charges, the plain-data rules for arguments.
//
// `npm test` runs 3 × 17,000 sessions (~9 s); `npm run fuzz` (FUZZ_LONG=1) 3 × 350,000 (~3 min).
// FUZZ_SEED=<n> replays a run.
//
// Mutation check (not run in CI): `sh scripts/mutation-check.sh` copies the repository to a
// temporary directory, breaks src/ there one way at a time (the authority check switched off,
// relays stamped with the target instead of the sender, and six more) and reports for each whether
// this file catches it ("caught") or not ("missed").
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { NetNode } from "../src/common.js";
import { networkTableOf } from "../src/rpc/network-table.js";
import {
  Arena,
  ClientSide,
  createGame,
  type Game,
  Lobby,
  LobbyV2,
  Odd,
  Pawn,
  Spark,
  Vault,
} from "./packet-game.js";
import {
  expectArguments,
  grammarSession,
  randomSession,
  type Step,
  sessionLimits,
  systemSession,
} from "./packet-grammar.js";
import {
  CLASSES,
  canon,
  digestOf,
  hex,
  type ModelLimits,
  type NodeClass,
  parseCall,
  readArguments,
  StarModel,
} from "./packet-model.js";

const LONG = process.env.FUZZ_LONG === "1";
const RUNS = LONG ? 350_000 : 17_000; // sessions per property
const TIMEOUT = LONG ? 60 * 60_000 : 60_000;
const SEED = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) };

const pathAndDigest = (path: string, cls: NodeClass) =>
  `${hex(Uint8Array.of(path.length, ...new TextEncoder().encode(path)))}${digestOf(cls).toString(16).padStart(4, "0")}`;

/**
 * What the setup does: the host's call runs on 3 and 4, who confirm its path; 3's is relayed, so
 * cannot teach its path: 3 sends a PATH_ANNOUNCE first, which the host and 4 confirm, then the
 * call, which runs on the host and 4; the hostile client gets the calls inline and the
 * announcement (after the host's tick rate and its announcements of 3 and 4) and confirms nothing.
 */
const SETUP = [
  "1 run /root/arena/pawn3.step from 3 [0]",
  "2 gets reliable 04061e000000", // TICK_RATE 30, first after admission
  "2 gets reliable 040003000000", // ADD_PEER 3
  "2 gets reliable 040004000000", // ADD_PEER 4
  `2 gets reliable 0800${pathAndDigest("/root/arena", CLASSES.Arena)}00a26869`, // announce("hi")
  `2 gets reliable 0402030000003f00${pathAndDigest("/root/arena/pawn3", CLASSES.Pawn)}`, // PATH_ANNOUNCE, from 3
  `2 gets reliable 0402030000000800${pathAndDigest("/root/arena/pawn3", CLASSES.Pawn)}0000`, // step(0), from 3
  '3 run /root/arena.announce from 1 ["hi"]',
  '4 run /root/arena.announce from 1 ["hi"]',
  "4 run /root/arena/pawn3.step from 3 [0]",
].sort();

const describeStep = (step: Step) =>
  step.kind === "attacker"
    ? `client 2 sends ${step.transfer} ${hex(step.bytes)}`
    : step.kind === "announce"
      ? `host announces "${step.text}"`
      : step.kind === "clientStep"
        ? `client 3 steps ${step.n}`
        : `host ${step.kind === "spark" ? "spawns a spark and flashes it" : "removes its oldest spark"}`;

/** The model must read a packet the grammar generated as the grammar meant it. */
function checkIntent(step: Extract<Step, { kind: "attacker" }>): void {
  if (!step.intent) return;
  const packet = step.relayed ? step.bytes.subarray(6) : step.bytes;
  const read = parseCall(packet);
  const meant = step.intent.header;
  const values = expectArguments(step.intent.args);
  const decoded = read && readArguments(read.args);
  if (
    !read ||
    read.command !== meant.command ||
    read.cacheId !== meant.cacheId ||
    read.index !== meant.index ||
    JSON.stringify(read.inline) !== JSON.stringify(meant.inline) ||
    (decoded && canon(decoded)) !== (values && canon(values))
  ) {
    throw new Error(
      `the model reads ${hex(packet)} as ${JSON.stringify(read)} (${decoded && canon(decoded)}), meant ${JSON.stringify(meant)} (${values && canon(values)})`,
    );
  }
}

/** Every effect seen, by kind, to show the grammar reaches every outcome. */
type Seen = Set<string>;
const kindOf = (line: string) => {
  const [at, what, ...rest] = line.split(" ");
  if (what === "rejected") return `${at} rejected ${rest[0]}`;
  if (what === "gets") {
    const bytes = rest[1]!;
    const relayed = bytes.slice(0, 2) === "04";
    const head = relayed ? bytes.slice(12, 14) : bytes.slice(0, 2);
    // PATH_FORGOTTEN (0x4f): a peer forgot one of the hostile client's ids; PATH_FORGET (0x47): the host released one of its own.
    const what =
      head === "4f" ? " forgotten" : head === "47" ? " forget" : head === "37" ? " clock pong" : "";
    return `2 gets ${relayed ? "relayed" : "direct"}${what}`;
  }
  return `${at} ${what}`;
};

/** The effects only one side has (as many times as it has more of them). */
function difference(observed: string[], predicted: string[]): string[] {
  const without = (lines: string[], others: string[]) => {
    const rest = [...others];
    return lines.filter((line) => {
      const at = rest.indexOf(line);
      if (at >= 0) rest.splice(at, 1);
      return at < 0;
    });
  };
  return [
    "observed, not predicted:",
    ...without(observed, predicted).map((line) => `  ${line}`),
    "predicted, not observed:",
    ...without(predicted, observed).map((line) => `  ${line}`),
  ];
}

function runSession(game: Game, limits: ModelLimits | null, steps: Step[], seen?: Seen): void {
  const setup = game.start(limits);
  if (setup.join("\n") !== SETUP.join("\n")) {
    throw new Error(["the setup went otherwise", ...difference(setup, SETUP)].join("\n"));
  }
  const model = new StarModel(limits);
  for (const [i, step] of steps.entries()) {
    if (step.kind === "attacker") checkIntent(step);
    const observed = game.step(step);
    const predicted =
      step.kind === "attacker"
        ? model.attackerSends(step.bytes, step.transfer)
        : step.kind === "announce"
          ? model.hostAnnounces(step.text)
          : step.kind === "spark"
            ? model.hostSparks()
            : step.kind === "unspark"
              ? model.hostUnsparks()
              : model.clientSteps(step.n);
    if (observed.join("\n") !== predicted.join("\n")) {
      throw new Error(
        [
          `step ${i + 1} of ${steps.length}: ${describeStep(step)} (limits ${JSON.stringify(limits)})`,
          ...steps.slice(0, i).map((s, j) => `  earlier step ${j + 1}: ${describeStep(s)}`),
          ...difference(observed, predicted),
        ].join("\n"),
      );
    }
    for (const line of observed) seen?.add(kindOf(line));
  }
  for (const [id, api] of game.apis) {
    expect(api.getPeers().sort().join(), `peers of ${id}`).toBe(model.peers.get(id)!.sort().join());
  }
}

const prototypeNames = () =>
  [Object.prototype, Array.prototype, Function.prototype]
    .map((proto) => Object.getOwnPropertyNames(proto).sort().join())
    .join(";");
const PROTOTYPE_NAMES = prototypeNames();

function fuzz(name: string, session: fc.Arbitrary<Step[]>, mustSee: string[]): void {
  it(
    `${name} (${RUNS} sessions)`,
    () => {
      const seen: Seen = new Set();
      const game = createGame();
      fc.assert(
        fc.property(sessionLimits, session, (limits, steps) => runSession(game, limits, steps, seen)),
        { numRuns: RUNS, ...SEED },
      );
      // Nothing from the network reached a prototype (the grammar sends `{"__proto__": {"polluted": true}}` and kin).
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(prototypeNames()).toBe(PROTOTYPE_NAMES);
      expect([...seen].sort()).toEqual(expect.arrayContaining(mustSee));
    },
    TIMEOUT,
  );
}

describe("fuzzing the packet path against the model", () => {
  it("the model describes the test game as the SDK sees it, and starts where the game starts", () => {
    const classes: Array<[NetNode, NodeClass]> = [
      [new Arena(), CLASSES.Arena],
      [new Pawn("p", 2), CLASSES.Pawn],
      [new Vault(), CLASSES.Vault],
      [new Lobby(), CLASSES.Lobby],
      [new LobbyV2(), CLASSES.LobbyV2],
      [new ClientSide(), CLASSES.ClientSide],
      [new Odd(), CLASSES.Odd],
      [new Spark("spark0"), CLASSES.Spark],
    ];
    for (const [node, cls] of classes) {
      const table = networkTableOf(node);
      expect([table.methods, table.members, table.digest]).toEqual([
        cls.methods.map((m) => m.name),
        cls.members.map((m) => m.name),
        digestOf(cls),
      ]);
    }
    expect(createGame().start(null)).toEqual(SETUP);
  });

  fuzz(
    "calls, relays and confirmations from the grammar, mutated or not, with honest calls between",
    grammarSession,
    [
      "1 run",
      "3 run",
      "4 run",
      "1 set",
      "3 set",
      "1 raw",
      "3 raw",
      "2 gets direct",
      "2 gets relayed",
      "2 gets direct clock pong",
      ...[
        "malformed",
        "forbidden",
        "unknown_target",
        "unknown_node",
        "unknown_method",
        "config_mismatch",
        "invalid_arguments",
        "rate_limited",
      ].map((reason) => `1 rejected ${reason}`),
      "1 stale",
      "3 rejected malformed",
      "4 rejected unknown_node",
      "4 rejected config_mismatch",
      "2 gets direct forgotten",
      "2 gets relayed forgotten",
      "2 gets direct forget",
    ],
  );

  fuzz("random bytes, sent as they are or relayed", randomSession, [
    "1 rejected malformed",
    "1 raw",
    "3 raw",
  ]);

  fuzz("forged system messages", systemSession, [
    "1 rejected forbidden",
    "1 rejected malformed",
    "1 rejected rate_limited",
  ]);
});
