import { describe, expect, it } from "vitest";
import {
  Color8,
  type MultiplayerAPI,
  NetNode,
  type Rejection,
  type RpcMode,
  type RpcSync,
  type StandardSchemaV1,
  type TransferMode,
  Vector2,
} from "../src/common.js";
import { networkTableOf } from "../src/rpc/network-table.js";
import { encodeArguments, registerType } from "../src/wire/codec.js";
import { COMMAND_MASK, Command, Extended, extendedHead } from "../src/wire/commands.js";
import { encodeCall } from "../src/wire/rpc-packet.js";
import { gameOf, until } from "./helpers.js";

/** Whether a packet (relayed or not) is a PATH_ANNOUNCE. */
const isPathAnnouncement = (bytes: Uint8Array) =>
  (bytes[0] === Command.SYS ? bytes[6] : bytes[0]) === extendedHead(Extended.PATH_ANNOUNCE);

type Call = { peer: number; method: string; sender: number; args: unknown[] };

const MODES: RpcMode[] = ["authority", "any_peer"];
const SYNCS: RpcSync[] = ["call_remote", "call_local"];
const TRANSFERS: TransferMode[] = ["reliable", "unreliable", "unreliable_ordered"];
const comboName = (mode: RpcMode, sync: RpcSync, transfer: TransferMode) => `m_${mode}_${sync}_${transfer}`;

/** One node class with a method per option combination, declared without decorators. */
class Board extends NetNode {
  readonly calls: Call[] = [];
  score = 0;
  secret = "not networked";

  constructor(readonly api: MultiplayerAPI) {
    super("board");
    for (const mode of MODES)
      for (const sync of SYNCS)
        for (const transfer of TRANSFERS) {
          const name = comboName(mode, sync, transfer);
          (this as unknown as Record<string, unknown>)[name] = function (this: Board, ...args: unknown[]) {
            this.record(name, args);
          };
          this.rpcConfig(name, { mode, sync, transfer });
        }
    this.rpcConfig("hostOnly", {});
    this.rpcConfig("say", ["any_peer"]);
    this.rpcConfig("move", { mode: "any_peer", transfer: "unreliable" });
    this.rpcConfig("ping", ["any_peer", "call_local"]);
    this.rpcConfig("slowEcho", ["any_peer"]);
    this.rpcConfig("named", { mode: "any_peer", args: [nameSchema] });
    this.rpcConfig("score", ["any_peer"]);
  }

  record(method: string, args: unknown[]) {
    this.calls.push({ peer: this.api.uniqueId, method, sender: this.api.remoteSenderId, args });
  }

  hostOnly(value: number) {
    this.record("hostOnly", [value]);
  }
  say(text: string, times = 1) {
    this.record("say", [text, times]);
  }
  move(position: Vector2) {
    this.record("move", [position]);
  }
  ping() {
    this.record("ping", []);
  }
  notAnRpc() {
    this.record("notAnRpc", []);
  }
  async slowEcho(delayMs: number) {
    const before = this.api.remoteSenderId;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    await Promise.resolve();
    this.calls.push({
      peer: this.api.uniqueId,
      method: "slowEcho",
      sender: this.api.remoteSenderId,
      args: [before],
    });
  }
  named(name: string) {
    this.record("named", [name]);
  }
}

/** A Standard Schema without any library: a non-empty string of at most 12 characters, trimmed. */
const nameSchema: StandardSchemaV1<string> = {
  "~standard": {
    version: 1,
    vendor: "test",
    validate: (value) =>
      typeof value === "string" && value.trim().length > 0 && value.length <= 12
        ? { value: value.trim() }
        : { issues: [{ message: "expected a name of 1-12 characters" }] },
  },
};

async function game(clients = 2) {
  const { peers } = await gameOf(clients);
  const boards = peers.map((p) => p.api.root.addChild(new Board(p.api)));
  const rejections: Rejection[][] = peers.map((p) => {
    const list: Rejection[] = [];
    p.api.on("rejected", (r) => list.push(r));
    return list;
  });
  const sent: Array<{ from: number; to: number; bytes: Uint8Array; transfer: TransferMode }> = [];
  for (const p of peers) {
    const send = p.peer.send.bind(p.peer);
    p.peer.send = (to, bytes, transfer, channel) => {
      sent.push({ from: p.api.uniqueId, to, bytes, transfer });
      send(to, bytes, transfer, channel);
    };
  }
  const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
  return { peers, boards, rejections, sent, settle, ids: peers.map((p) => p.api.uniqueId) };
}

const ran = (board: Board, method: string) => board.calls.filter((c) => c.method === method);

describe("@rpc options: every mode × sync × transfer", () => {
  for (const mode of MODES)
    for (const sync of SYNCS)
      for (const transfer of TRANSFERS) {
        const name = comboName(mode, sync, transfer);
        it(name, async () => {
          const { boards, ids, rejections, sent, settle } = await game();
          const [hostBoard, aBoard, bBoard] = boards as [Board, Board, Board];
          const [, a] = ids as [number, number, number];

          // From the host (the authority): runs everywhere else, and on the host with call_local.
          (hostBoard as unknown as Record<string, () => void>)[name]!.call(hostBoard);
          hostBoard.rpc(name as never);
          await settle();
          expect(ran(aBoard, name).map((c) => c.sender)).toEqual([1]);
          expect(ran(bBoard, name).map((c) => c.sender)).toEqual([1]);
          // the direct call above ran once with sender 0; call_local adds one with the host's own id
          expect(ran(hostBoard, name).map((c) => c.sender)).toEqual(sync === "call_local" ? [0, 1] : [0]);
          const hostCalls = sent.filter((s) => s.from === 1 && (s.bytes[0]! & COMMAND_MASK) === Command.RPC);
          expect(hostCalls.map((s) => s.transfer)).toEqual([transfer, transfer]);

          // From a client: any_peer reaches host and the other client; authority is rejected by
          // the host, which forwards nothing it rejects.
          aBoard.rpc(name as never);
          await settle();
          const accepted = mode === "any_peer";
          expect(ran(hostBoard, name).filter((c) => c.sender === a)).toHaveLength(accepted ? 1 : 0);
          expect(ran(bBoard, name).filter((c) => c.sender === a)).toHaveLength(accepted ? 1 : 0);
          expect(ran(aBoard, name).filter((c) => c.sender === a)).toHaveLength(sync === "call_local" ? 1 : 0);
          expect(rejections[0]!.map((r) => r.reason)).toEqual(accepted ? [] : ["forbidden"]);
          expect(rejections[2]!).toEqual([]);
        });
      }
});

describe("targets, relay and the sender id", () => {
  it("rpcId to one peer, to everyone but one, and client to client through the host", async () => {
    const { boards, ids, settle } = await game();
    const [hostBoard, aBoard, bBoard] = boards as [Board, Board, Board];
    const [, a, b] = ids as [number, number, number];

    aBoard.rpcId(b, "say", "psst");
    aBoard.rpcId(-b, "say", "not b");
    bBoard.rpcId(1, "say", "to host", 2);
    hostBoard.rpcId(-a, "say", "all but a");
    await settle();
    // b hears from two senders; the relayed packet and the host's own may arrive in either order
    expect(ran(bBoard, "say").sort((x, y) => x.sender - y.sender)).toEqual(
      [
        { peer: b, method: "say", sender: a, args: ["psst", 1] },
        { peer: b, method: "say", sender: 1, args: ["all but a", 1] },
      ].sort((x, y) => x.sender - y.sender),
    );
    expect(ran(hostBoard, "say")).toEqual([
      { peer: 1, method: "say", sender: a, args: ["not b", 1] },
      { peer: 1, method: "say", sender: b, args: ["to host", 2] },
    ]);
    expect(ran(aBoard, "say")).toEqual([]);
  });

  it("a client's broadcast is one packet to the host", async () => {
    const { boards, ids, sent, settle } = await game(3);
    const a = ids[1]!;
    sent.length = 0;
    boards[1]!.rpc("say", "hello all");
    await settle();
    // Besides the call, one PATH_ANNOUNCE teaches the node's id (a relayed call cannot teach it).
    const calls = sent.filter((s) => s.from === a && !isPathAnnouncement(s.bytes));
    expect(calls.map((s) => s.to)).toEqual([1]);
    expect(sent.filter((s) => s.from === a && isPathAnnouncement(s.bytes)).map((s) => s.to)).toEqual([1]);
    expect(boards.filter((board) => ran(board, "say").length === 1)).toHaveLength(3);
  });

  it("call_local runs locally once, with the caller's own id", async () => {
    const { boards, ids, settle } = await game();
    const a = ids[1]!;
    boards[1]!.rpc("ping");
    await settle();
    expect(ran(boards[1]!, "ping")).toEqual([{ peer: a, method: "ping", sender: a, args: [] }]);
    expect(ran(boards[0]!, "ping")).toHaveLength(1);
    boards[1]!.rpcId(a, "ping");
    expect(ran(boards[1]!, "ping")).toHaveLength(2);
    expect(() => boards[1]!.rpcId(a, "say", "self")).toThrow(/call_local/);
  });

  it("remoteSenderId is 0 outside handlers and survives await in async handlers", async () => {
    const { peers, boards, ids, settle } = await game();
    const [, a, b] = ids as [number, number, number];
    expect(peers[0]!.api.remoteSenderId).toBe(0);
    boards[1]!.rpcId(1, "slowEcho", 20);
    boards[2]!.rpcId(1, "slowEcho", 5);
    await until(() => ran(boards[0]!, "slowEcho").length === 2);
    await settle();
    expect(ran(boards[0]!, "slowEcho").map((c) => [c.sender, c.args[0]])).toEqual([
      [b, b],
      [a, a],
    ]);
    expect(peers[0]!.api.remoteSenderId).toBe(0);
  });

  it("unreliable RPCs and rpcUnreliable use the unreliable channel; arguments round-trip", async () => {
    const { boards, sent, settle } = await game(1);
    boards[0]!.rpc("move", new Vector2(1.5, -2));
    boards[0]!.rpcUnreliable("say", "fast");
    await settle();
    // An unreliable call cannot teach the node's id: one reliable PATH_ANNOUNCE does, before it.
    expect(sent.filter((s) => s.from === 1).map((s) => [s.transfer, isPathAnnouncement(s.bytes)])).toEqual([
      ["reliable", true],
      ["unreliable", false],
      ["unreliable", false],
    ]);
    expect(ran(boards[1]!, "move")[0]!.args).toEqual([new Vector2(1.5, -2)]);
    expect(ran(boards[1]!, "say")[0]!.args).toEqual(["fast", 1]);
  });
});

describe("authority", () => {
  it("follows setMultiplayerAuthority on every peer", async () => {
    const { boards, ids, rejections, settle } = await game();
    const a = ids[1]!;
    for (const board of boards) board.setMultiplayerAuthority(a);
    expect(boards[1]!.isMultiplayerAuthority()).toBe(true);
    expect(boards[0]!.isMultiplayerAuthority()).toBe(false);
    boards[1]!.rpc("hostOnly", 7);
    boards[0]!.rpc("hostOnly", 8);
    await settle();
    expect(ran(boards[0]!, "hostOnly").map((c) => c.args)).toEqual([[7]]);
    expect(ran(boards[2]!, "hostOnly").map((c) => c.args)).toEqual([[7]]);
    expect(ran(boards[1]!, "hostOnly")).toEqual([]);
    expect(rejections[1]!.map((r) => [r.reason, r.from, r.node, r.method])).toEqual([
      ["forbidden", 1, "/root/board", "hostOnly"],
    ]);
  });

  it("recursive authority reaches children; the default is the host", () => {
    const parent = new NetNode("parent");
    const child = parent.addChild(new NetNode("child"));
    expect(child.getMultiplayerAuthority()).toBe(1);
    parent.setMultiplayerAuthority(5);
    expect(child.getMultiplayerAuthority()).toBe(5);
    parent.setMultiplayerAuthority(6, false);
    expect(child.getMultiplayerAuthority()).toBe(5);
  });
});

describe("rset", () => {
  it("sets declared members remotely and refuses undeclared ones", async () => {
    const { boards, ids, rejections, settle } = await game();
    boards[1]!.rset("score", 42);
    await settle();
    expect(boards.map((b) => b.score)).toEqual([42, 0, 42]);
    boards[0]!.rsetId(ids[1]!, "score", 7);
    await settle();
    expect(boards.map((b) => b.score)).toEqual([42, 7, 42]);
    expect(() => boards[0]!.rset("secret", "x")).toThrow(/not a @networked member/);

    // A forged rset of member #1 (there is only "score"), with the node's true digest, is rejected.
    const forged = encodeCall({
      command: Command.RSET,
      cacheId: 99,
      inline: { path: "/root/board", digest: networkTableOf(boards[0]!).digest },
      index: 1,
      args: encodeArguments(["x"]),
    });
    boards[1]!.api.peer.send(1, forged, "reliable", 0);
    await settle();
    expect(rejections[0]!.at(-1)).toMatchObject({ reason: "unknown_method", node: "/root/board" });
    expect(boards[0]!.secret).toBe("not networked");
  });
});

describe("path cache", () => {
  it("sends the path once, then a 3-byte packet for a no-argument call", async () => {
    const { boards, sent, settle } = await game(1);
    boards[0]!.rpc("ping");
    await settle();
    boards[0]!.rpc("ping");
    await settle();
    const calls = sent
      .filter((s) => s.from === 1 && (s.bytes[0]! & COMMAND_MASK) === Command.RPC)
      .map((s) => s.bytes);
    const confirmations = sent.filter((s) => s.from !== 1 && s.bytes[0] === Command.CONFIRM_PATH);
    expect(calls[0]![0]).toBe(Command.RPC | 0x08);
    expect(new TextDecoder().decode(calls[0]!)).toContain("/root/board");
    expect(confirmations).toHaveLength(1);
    expect(calls[1]).toHaveLength(3);
  });

  it("forgets a departed peer's paths", async () => {
    const { peers, boards, settle } = await game(1);
    boards[1]!.rpc("say", "hi");
    await settle();
    const stats = () => peers[0]!.api.debugStats().pathCache;
    expect(stats().incomingPeers).toBe(1);
    peers[1]!.api.peer = null;
    await until(() => peers[0]!.api.getPeers().length === 0);
    expect(stats()).toMatchObject({ incomingPeers: 0, confirmedPeers: 0, incomingEntries: 0 });
  });
});

describe("hardening: dropped and reported, never executed", () => {
  async function attack(packets: (board: string) => Uint8Array[]) {
    const g = await game(1);
    // A legitimate call first so the host has the attacker's cache id 0 for /root/board.
    g.boards[1]!.rpc("say", "legit");
    await g.settle();
    const before = g.boards[0]!.calls.length;
    for (const packet of packets("/root/board")) g.peers[1]!.peer.send(1, packet, "reliable", 0);
    await g.settle();
    return { ...g, executed: g.boards[0]!.calls.slice(before), hostRejections: g.rejections[0]! };
  }
  const call = (index: number, args: Uint8Array, cacheId = 0) =>
    encodeCall({ command: Command.RPC, cacheId, inline: null, index, args });
  const methodIndex = (name: string) => networkTableOf(new Board({} as MultiplayerAPI)).methods.indexOf(name);

  it("rejects every malformed or forbidden call with a reason, counted per peer", async () => {
    const say = methodIndex("say");
    expect(say).toBeGreaterThanOrEqual(0);
    const { executed, hostRejections, peers, ids } = await attack(() => [
      call(999, new Uint8Array()), // a method index past the @rpc table: toString, constructor, notAnRpc…
      call(say, new Uint8Array(), 77), // unknown cache id
      encodeCall({
        command: Command.RPC,
        cacheId: 5,
        inline: { path: "/root/nope", digest: 0 },
        index: 0,
        args: new Uint8Array(),
      }),
      call(methodIndex("hostOnly"), encodeArguments([1])), // authority method from a client
      call(say, Uint8Array.of(0xc1)), // arguments that do not decode
      call(say, Uint8Array.of(0x92, 0x01)), // truncated msgpack
      call(say, encodeArguments([JSON.parse('{"__proto__": {"polluted": true}}')])), // prototype key
      call(say, new Uint8Array()), // too few arguments
      call(say, encodeArguments(["a", 1, "extra"])), // too many arguments
      Uint8Array.of(Command.RPC), // truncated header
      Uint8Array.of(Command.RPC | 0x08, 0x00, 0x7f), // inline path cut short
      Uint8Array.of(0xf0), // unknown flags
      call(methodIndex("named"), encodeArguments(["   "])), // fails the schema
      encodeCall({ command: Command.RSET, cacheId: 0, inline: null, index: 1, args: encodeArguments(["x"]) }), // undeclared member
    ]);
    expect(executed).toEqual([]);
    expect(hostRejections.map((r) => r.reason)).toEqual([
      "unknown_method",
      "unknown_node",
      "unknown_node",
      "forbidden",
      "malformed",
      "malformed",
      "malformed",
      "invalid_arguments",
      "invalid_arguments",
      "malformed",
      "malformed",
      "malformed",
      "invalid_arguments",
      "unknown_method",
    ]);
    expect(hostRejections.every((r) => r.from === ids[1])).toBe(true);
    expect(peers[0]!.api.rejectionCount(ids[1]!)).toBe(14);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a peer whose node declares different RPCs is told apart by the digest", async () => {
    const { executed, hostRejections } = await attack(() => [
      encodeCall({
        command: Command.RPC,
        cacheId: 3,
        inline: { path: "/root/board", digest: 0xbeef },
        index: 0,
        args: new Uint8Array(),
      }),
    ]);
    expect(executed).toEqual([]);
    expect(hostRejections.map((r) => r.reason)).toEqual(["config_mismatch"]);
  });

  it("validates arguments with a Standard Schema and passes the validated value", async () => {
    const { boards, settle } = await game(1);
    boards[1]!.rpcId(1, "named", "  Ada ");
    await settle();
    expect(ran(boards[0]!, "named").map((c) => c.args)).toEqual([["Ada"]]);
  });

  it("a throwing handler is reported and does not stop later calls", async () => {
    const { boards, settle } = await game(1);
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      boards[0]!.say = (text: string) => {
        throw new Error(`game bug: ${text}`);
      };
      boards[1]!.rpcId(1, "say", "boom");
      boards[1]!.rpcId(1, "ping");
      await settle();
    } finally {
      console.error = original;
    }
    expect(errors).toHaveLength(1);
    expect(ran(boards[0]!, "ping")).toHaveLength(1);
  });

  it("Color8 and nested data survive the trip", async () => {
    const { boards, settle } = await game(1);
    const info = { name: "Ada", color: Color8(255, 0, 255), tags: ["a"], bytes: Uint8Array.of(1, 2) };
    boards[1]!.rpcId(1, "say", info as never);
    await settle();
    expect(ran(boards[0]!, "say")[0]!.args[0]).toEqual(info);
  });
});

describe("registerType", () => {
  class Item {
    constructor(
      readonly id: number,
      readonly count: number,
    ) {}
  }

  it("sends the game's own classes as msgpack extensions", async () => {
    registerType({
      type: 16,
      class: Item,
      encode: (item) => [item.id, item.count],
      decode: ([id, count]: number[]) => new Item(id!, count!),
    });
    const { boards, settle } = await game(1);
    boards[1]!.rpcId(1, "say", new Item(7, 3) as never);
    await settle();
    const [received] = ran(boards[0]!, "say")[0]!.args;
    expect(received).toBeInstanceOf(Item);
    expect(received).toEqual(new Item(7, 3));
  });

  it("refuses type codes Starwire keeps for itself or taken by another class", () => {
    const codec = { class: Item, encode: () => 0, decode: () => new Item(0, 0) };
    expect(() => registerType({ ...codec, type: 3 })).toThrow(RangeError);
    expect(() => registerType({ ...codec, type: 128 })).toThrow(RangeError);
    expect(() => registerType({ ...codec, type: 16, class: class Other {} as never })).toThrow(
      /already registered/,
    );
  });
});
