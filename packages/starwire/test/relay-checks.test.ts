// A client's packets for other clients go through the host. The host forwards only what it would
// accept itself, and a relay to many costs the sender as much as it costs the host's uplink.
import { describe, expect, it } from "vitest";
import { type MultiplayerAPI, NetNode, type Rejection, type StandardSchemaV1 } from "../src/common.js";
import { encodeArguments } from "../src/wire/codec.js";
import { Command } from "../src/wire/commands.js";
import { encodeCall } from "../src/wire/rpc-packet.js";
import { encodeRelay } from "../src/wire/system-packet.js";
import { gameOf, until } from "./helpers.js";

const shortText: StandardSchemaV1<string> = {
  "~standard": {
    version: 1,
    vendor: "test",
    validate: (value) =>
      typeof value === "string" && value.length <= 8 ? { value } : { issues: [{ message: "text of 1-8" }] },
  },
};

class Arena extends NetNode<Arena> {
  readonly heard: Array<[sender: number, what: string]> = [];
  constructor(readonly api: MultiplayerAPI) {
    super("arena");
    this.rpcConfig("endRound", {});
    this.rpcConfig("say", { mode: "any_peer", args: [shortText] });
  }
  endRound(): void {
    this.heard.push([this.api.remoteSenderId, "endRound"]);
  }
  say(text: string): void {
    this.heard.push([this.api.remoteSenderId, text]);
  }
}

async function arenaGame(clients: number) {
  const { peers } = await gameOf(clients);
  const arenas = peers.map((p) => p.api.root.addChild(new Arena(p.api)));
  const rejected = peers.map((p) => {
    const list: Rejection[] = [];
    p.api.on("rejected", (r) => list.push(r));
    return list;
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
  return { peers, arenas, rejected, settle };
}

describe("the host checks a relayed call before forwarding it", () => {
  it("a forbidden or malformed call is rejected by the host and reaches no honest client", async () => {
    const { peers, arenas, rejected, settle } = await arenaGame(5);
    const hostile = arenas[1]!;
    const honest = arenas.slice(2);
    const call = (hostile.rpcId as (target: number, method: string, ...args: unknown[]) => void).bind(
      hostile,
    );
    hostile.rpc("endRound"); // authority-only: the host is the authority
    call(-peers[2]!.api.uniqueId, "endRound");
    call(0, "say", 42); // fails the schema
    call(peers[3]!.api.uniqueId, "say", "far too long for the schema");
    // Hand-made: a node that does not exist, a method index beyond the table, bytes that are no arguments.
    const raw = (packet: Uint8Array) => peers[1]!.peer.send(1, encodeRelay(0, packet), "reliable", 0);
    raw(
      encodeCall({
        command: Command.RPC,
        cacheId: 7,
        inline: { path: "/root/nowhere", digest: 0 },
        index: 0,
        args: encodeArguments([]),
      }),
    );
    raw(encodeCall({ command: Command.RPC, cacheId: 0, inline: null, index: 40, args: encodeArguments([]) }));
    raw(encodeCall({ command: Command.RPC, cacheId: 0, inline: null, index: 1, args: Uint8Array.of(0xc1) }));
    call(0, "say", "fair"); // what an honest call looks like, to know the others had their chance
    await until(() => honest.every((arena) => arena.heard.length === 1));
    await settle();
    for (const arena of [arenas[0]!, ...honest])
      expect(arena.heard).toEqual([[peers[1]!.api.uniqueId, "fair"]]);
    expect(rejected[0]!.map((r) => r.reason)).toEqual([
      "forbidden",
      "forbidden",
      "invalid_arguments",
      "invalid_arguments",
      "unknown_node",
      "unknown_method",
      "malformed",
    ]);
    for (const list of rejected.slice(2)) expect(list).toEqual([]);
  });

  it("a relay costs the sender's byte budget once per recipient", async () => {
    const { peers, rejected, settle } = await arenaGame(4);
    const host = peers[0]!.api;
    host.rateLimits = { ...host.rateLimits, bytesPerSecond: 100_000, byteBurst: 400_000 };
    const received = peers.slice(2).map((p) => {
      let count = 0;
      p.api.on("peerPacket", () => count++);
      return () => count;
    });
    const hostile = peers[1]!.api;
    // 150 kB to the 3 others is 450 kB of the host's uplink: more than the burst, so the
    // next one waits until the budget has recovered (4.5 s), where charging it once would not.
    hostile.sendBytes(new Uint8Array(150_000));
    await until(() => received.every((count) => count() === 1));
    hostile.sendBytes(new Uint8Array(10));
    await settle();
    expect(received.map((count) => count())).toEqual([1, 1, 1]);
    expect(rejected[0]!.map((r) => r.reason)).toEqual(["rate_limited"]);
  });
});
