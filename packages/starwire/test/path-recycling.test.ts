// Path ids are recycled (WIRE.md, "Path ids"): a node that leaves the tree releases its id, every
// peer that was taught it forgets it and says so, and only then is the id handed out again.
import { describe, expect, it } from "vitest";
import { type MultiplayerAPI, NetNode, type Rejection } from "../src/common.js";
import { networkTableOf } from "../src/rpc/network-table.js";
import { encodeArguments } from "../src/wire/codec.js";
import { Command } from "../src/wire/commands.js";
import { MAX_PATHS_PER_SENDER, PathCache } from "../src/wire/path-cache.js";
import { encodePathPacket } from "../src/wire/path-packet.js";
import { encodeCall, keyNamesNode, latestKey } from "../src/wire/rpc-packet.js";
import { encodeRelay } from "../src/wire/system-packet.js";
import { gameOf, hostGame, joinGame, MemoryNetwork, until } from "./helpers.js";

class Bullet extends NetNode {
  readonly hits: Array<[sender: number, n: number]> = [];
  constructor(
    name: string,
    readonly api: MultiplayerAPI,
  ) {
    super(name);
    this.rpcConfig("hit", ["any_peer"]);
    this.rpcConfig("drift", ["any_peer", "unreliable"]);
  }
  hit(n: number): void {
    this.hits.push([this.api.remoteSenderId, n]);
  }
  drift(n: number): void {
    this.hits.push([this.api.remoteSenderId, n]);
  }
}

/** Another class: its method 0 is not Bullet's, so a stale call read against it runs the wrong method. */
class Mine extends NetNode {
  readonly armed: Array<[sender: number, n: number]> = [];
  constructor(
    name: string,
    readonly api: MultiplayerAPI,
  ) {
    super(name);
    this.rpcConfig("arm", ["any_peer"]);
  }
  arm(n: number): void {
    this.armed.push([this.api.remoteSenderId, n]);
  }
}

/** Lets every queued delivery of the in-memory transport happen (it delivers in microtasks). */
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Collects rejections; the host's rate limits are lifted (these tests send thousands of packets at once). */
function rejectionsOf(apis: MultiplayerAPI[]): Rejection[] {
  const all: Rejection[] = [];
  for (const api of apis) {
    api.on("rejected", (r) => all.push(r));
    const far = { messagesPerSecond: 1e9, messageBurst: 1e9, bytesPerSecond: 1e12, byteBurst: 1e12 };
    if (api.isServer()) api.rateLimits = { ...far, policy: "drop" };
  }
  return all;
}

/** A raw call, as a hand-made sender would write it. */
const call = (cacheId: number, inline: string | null, digest = 0) =>
  encodeCall({
    command: Command.RPC,
    cacheId,
    inline: inline === null ? null : { path: inline, digest },
    index: 0,
    args: encodeArguments([1]),
  });

describe("PathCache ids", () => {
  it("are reused oldest-released first, only once every taught peer forgot them", () => {
    const cache = new PathCache();
    expect([cache.outgoingId("/root/a"), cache.outgoingId("/root/b"), cache.outgoingId("/root/c")]).toEqual([
      0, 1, 2,
    ]);
    cache.taught(2, 0);
    cache.taught(3, 0);
    expect(cache.release("/root/a")).toEqual([{ id: 0, peers: [2, 3] }]);
    expect(cache.release("/root/b")).toEqual([]); // nobody was taught 1: free at once
    expect(cache.outgoingId("/root/d")).toBe(1);
    expect(cache.forgotten(2, 0)).toBe(true);
    expect(cache.forgotten(2, 0)).toBe(false); // only once
    expect(cache.outgoingId("/root/e")).toBe(3); // 0 still waits for peer 3
    cache.forget(3); // peer 3 left: it will never answer
    expect(cache.outgoingId("/root/f")).toBe(0);
    expect(cache.stats).toMatchObject({ outgoing: 4, releasing: 0, idsAssigned: 4 }); // c, d, e, f
  });

  it("releases a node's subtree with it, and caps the ids in use, live or being forgotten", () => {
    const cache = new PathCache();
    cache.outgoingId("/root/a");
    cache.outgoingId("/root/a/b");
    cache.outgoingId("/root/ab");
    expect(cache.release("/root/a")).toEqual([]);
    expect(cache.stats.outgoing).toBe(1);
    for (let i = 1; i < MAX_PATHS_PER_SENDER; i++) cache.taught(2, cache.outgoingId(`/root/n${i}`));
    expect(() => cache.outgoingId("/root/one-too-many")).toThrow(RangeError);
    const id = cache.release("/root/n1")[0]!.id;
    expect(() => cache.outgoingId("/root/one-too-many")).toThrow(RangeError); // peer 2 has not forgotten
    cache.forgotten(2, id);
    expect(cache.outgoingId("/root/one-too-many")).toBe(id);
  });
});

describe("newest-wins keys of calls", () => {
  it("name a node by the id and, for a relay, the peer in its header", () => {
    const direct = latestKey(call(7, null))!;
    const relayed = latestKey(encodeRelay(5, call(7, null)))!;
    const ids = new Set([7]);
    expect(keyNamesNode(direct, ids, null)).toBe(true);
    expect(keyNamesNode(relayed, ids, null)).toBe(false); // the host's own id 7 is not client 5's
    expect(keyNamesNode(relayed, ids, 5)).toBe(true);
    expect(keyNamesNode(relayed, ids, 6)).toBe(false);
    expect(keyNamesNode(direct, ids, 5)).toBe(false);
    expect([direct, relayed].every((key) => keyNamesNode(key, ids, "any"))).toBe(true);
    expect(keyNamesNode(latestKey(call(17, "/root/x"))!, ids, "any")).toBe(false);
    expect(keyNamesNode(direct, new Set([0]), "any")).toBe(false);
  });
});

describe("path id recycling in a game", () => {
  it("adds and removes 20,000 nodes with RPCs from the host and a client; caches stay bounded", async () => {
    const { peers } = await gameOf(2);
    const apis = peers.map((p) => p.api);
    const [host, a, b] = apis as [MultiplayerAPI, MultiplayerAPI, MultiplayerAPI];
    const rejections = rejectionsOf(apis);
    const batch = 100;
    let received = 0;
    for (let round = 0; round < 20_000 / batch; round++) {
      const bullets = apis.map((api) =>
        Array.from({ length: batch }, (_, i) => api.root.addChild(new Bullet(`b${round * batch + i}`, api))),
      );
      for (let i = 0; i < batch; i++) {
        bullets[0]![i]!.rpc("hit", i); // host → both clients, directly
        if (i % 2 === 0)
          bullets[1]![i]!.rpc("hit", i); // client a → host and b, relayed
        else bullets[1]![i]!.rpc("drift", i); // the same, unreliable: a PATH_ANNOUNCE teaches the id
      }
      await flush();
      for (let i = 0; i < batch; i++) {
        expect(bullets[2]![i]!.hits.map(([sender]) => sender).sort()).toEqual([1, a.uniqueId].sort());
        received += bullets[0]![i]!.hits.length + bullets[1]![i]!.hits.length + bullets[2]![i]!.hits.length;
      }
      for (const [p, api] of apis.entries()) for (const bullet of bullets[p]!) api.root.removeChild(bullet);
      await flush();
    }
    expect(received).toBe(20_000 * 4);
    expect(rejections).toEqual([]);
    for (const api of [host, a]) {
      // Each sender's ids: never more than one batch live, every released one forgotten by all.
      expect(api.debugStats().pathCache).toMatchObject({ outgoing: 0, releasing: 0 });
      expect(api.debugStats().pathCache.idsAssigned).toBeLessThanOrEqual(batch);
    }
    for (const api of apis) expect(api.debugStats().pathCache.incomingEntries).toBeLessThanOrEqual(2 * batch);
    expect(b.debugStats().pathCache.idsAssigned).toBe(0);
  });

  it("a late joiner learns ids the others already recycled, and is never told to forget what it was not taught", async () => {
    const { network, host, joined } = await gameOf(1);
    const rejections = rejectionsOf([host.api, joined[0]!.api]);
    for (let i = 0; i < 3; i++) {
      const bullet = host.api.root.addChild(new Bullet(`early${i}`, host.api));
      joined[0]!.api.root.addChild(new Bullet(`early${i}`, joined[0]!.api));
      bullet.rpc("hit", i);
      await flush();
      if (i < 2) host.api.root.removeChild(bullet); // id 0 recycled twice; "early2" keeps it
      await flush();
    }
    const late = await joinGame(network, host.roomCode);
    const lateRejections = rejectionsOf([late.api]);
    await until(() => late.api.getPeers().length === 2);
    const mine = late.api.root.addChild(new Bullet("early2", late.api));
    const hostsEarly2 = host.api.root.getNode("early2") as Bullet;
    hostsEarly2.rpc("hit", 7);
    await flush();
    expect(mine.hits).toEqual([[1, 7]]);
    host.api.root.removeChild(hostsEarly2); // taught to both clients now
    await flush();
    expect(host.api.debugStats().pathCache).toMatchObject({ outgoing: 0, releasing: 0 });
    expect(late.api.debugStats().pathCache.incomingEntries).toBe(1); // the one it forgot
    expect([...rejections, ...lateRejections]).toEqual([]);
  });

  it("a client-to-client call through the host names the new node after its id was recycled", async () => {
    const { peers } = await gameOf(2);
    const [, a, b] = peers.map((p) => p.api) as [MultiplayerAPI, MultiplayerAPI, MultiplayerAPI];
    const rejections = rejectionsOf(peers.map((p) => p.api));
    const onB = [b.root.addChild(new Bullet("one", b)), b.root.addChild(new Bullet("two", b))];
    for (const api of peers.map((p) => p.api)) if (api !== b) api.root.addChild(new Bullet("one", api));
    const one = a.root.getNode("one") as Bullet;
    one.rpcId(b.uniqueId, "hit", 1);
    await flush();
    one.rpcId(b.uniqueId, "drift", 2); // cached by now, over the unreliable channel
    await flush();
    a.root.removeChild(one);
    await flush();
    for (const api of peers.map((p) => p.api)) if (api !== b) api.root.addChild(new Bullet("two", api));
    const two = a.root.getNode("two") as Bullet;
    two.rpcId(b.uniqueId, "drift", 3);
    await flush();
    two.rpcId(b.uniqueId, "drift", 4);
    await flush();
    expect(a.debugStats().pathCache).toMatchObject({ idsAssigned: 1, outgoing: 1, releasing: 0 });
    expect(onB[0]!.hits).toEqual([
      [a.uniqueId, 1],
      [a.uniqueId, 2],
    ]);
    expect(onB[1]!.hits).toEqual([
      [a.uniqueId, 3],
      [a.uniqueId, 4],
    ]);
    expect(rejections).toEqual([]);
  });
});

describe("path id recycling behind a congested unreliable queue", () => {
  type Game = Awaited<ReturnType<typeof gameOf>>;
  /** Who calls whom, and which links between them are congested (`[from, to]` peer ids). */
  interface Scene {
    sender(game: Game): MultiplayerAPI;
    /** The calls' target: 0 for everyone, or one peer. */
    target(game: Game): number;
    congested(game: Game): Array<[from: Game["host"]["peer"], to: number]>;
  }

  /**
   * Every peer has "one" (a Bullet) and "two" (a Mine). The sender calls "one" (its id is taught
   * and confirmed), the links go congested, the sender calls "one" again (the call waits, by id
   * alone), removes "one" (its id is forgotten everywhere; reliable packets still pass), then
   * calls "two" reliably: "two" gets the released id and teaches it again. Then the links drain.
   */
  async function staleCall(scene: Scene) {
    const game = await gameOf(2);
    const apis = game.peers.map((p) => p.api);
    const rejections = rejectionsOf(apis);
    for (const api of apis) {
      api.root.addChild(new Bullet("one", api));
      api.root.addChild(new Mine("two", api));
    }
    const from = scene.sender(game);
    const target = scene.target(game);
    const one = from.root.getNode("one") as Bullet;
    one.rpcId(target, "drift", 1);
    await flush();
    const links = scene.congested(game);
    for (const [peer, to] of links) game.network.congest(peer, to);
    one.rpcId(target, "drift", 2);
    await flush();
    from.root.removeChild(one);
    await flush();
    (from.root.getNode("two") as Mine).rpcId(target, "arm", 3);
    await flush();
    expect(from.debugStats().pathCache).toMatchObject({ idsAssigned: 1, releasing: 0 }); // "two" took "one"'s id
    for (const [peer, to] of links) game.network.drain(peer, to);
    await flush();
    // Every receiver: the call before the congestion, and the new node's own call, nothing else.
    const receivers = apis.filter((api) => api !== from && (target === 0 || api.uniqueId === target));
    for (const api of receivers) {
      expect((api.root.getNode("one") as Bullet).hits).toEqual([[from.uniqueId, 1]]);
      expect((api.root.getNode("two") as Mine).armed).toEqual([[from.uniqueId, 3]]);
    }
    expect(rejections).toEqual([]);
  }

  it("a host's call waiting when its node left never reaches the node its id names next", async () => {
    await staleCall({
      sender: ({ host }) => host.api,
      target: () => 0,
      congested: ({ host, joined }) => joined.map((client) => [host.peer, client.id]),
    });
  });

  it("a client's call waiting when its node left never reaches the node its id names next", async () => {
    await staleCall({
      sender: ({ joined }) => joined[0]!.api,
      target: () => 0, // the host, and the other client through it
      congested: ({ joined }) => [[joined[0]!.peer, 1]],
    });
  });

  it("a client's call waiting in the host's relay queue when its node left never reaches the next node", async () => {
    await staleCall({
      sender: ({ joined }) => joined[0]!.api,
      target: ({ joined }) => joined[1]!.id,
      congested: ({ host, joined }) => [[host.peer, joined[1]!.id]],
    });
  });
});

describe("hostile path packets", () => {
  async function hostileGame() {
    const { host, joined } = await gameOf(1);
    const client = joined[0]!;
    const rejections = rejectionsOf([host.api]);
    const arena = host.api.root.addChild(new Bullet("arena", host.api));
    const pit = host.api.root.addChild(new Bullet("pit", host.api));
    client.api.root.addChild(new Bullet("arena", client.api));
    const digest = networkTableOf(arena).digest;
    const sent: Uint8Array[] = [];
    const send = client.peer.send.bind(client.peer);
    client.peer.send = (to, bytes, transfer, channel) => {
      sent.push(bytes);
      send(to, bytes, transfer, channel);
    };
    const hostile = (bytes: Uint8Array, transfer: "reliable" | "unreliable" = "reliable") =>
      client.peer.send(1, bytes, transfer, 0);
    return { host, client, rejections, arena, pit, digest, hostile, sent };
  }

  it("forgets of ids never taught are answered and change nothing; confirmations of ids never released are rejected", async () => {
    const { rejections, hostile, host, client } = await hostileGame();
    const answers: Uint8Array[] = [];
    const send = host.peer.send.bind(host.peer);
    host.peer.send = (to, bytes, transfer, channel) => {
      if (to === client.id) answers.push(bytes);
      send(to, bytes, transfer, channel);
    };
    hostile(encodePathPacket({ kind: "forget", id: 5 }));
    hostile(encodePathPacket({ kind: "forgotten", id: 0 }));
    hostile(encodeRelay(0, encodePathPacket({ kind: "forget", id: 9 })));
    await flush();
    // A forget of an id this side never got is no proof of hostility (the host's rate limits may
    // have dropped the packet that taught it): answered, so the sender can reuse the id.
    expect(rejections.map((r) => [r.reason, r.message])).toEqual([
      ["malformed", `path id 0 was not released to peer ${client.id}`],
    ]);
    expect(answers.map((bytes) => [...bytes])).toEqual([
      [...encodePathPacket({ kind: "forgotten", id: 5 })],
      [...encodePathPacket({ kind: "forgotten", id: 9 })],
    ]);
    expect(host.api.debugStats().pathCache.incomingEntries).toBe(0);
  });

  it("an id taught again for another path before it was forgotten is rejected; the first binding holds", async () => {
    const { rejections, hostile, arena, pit, digest, client } = await hostileGame();
    hostile(call(0, "/root/arena", digest));
    hostile(call(0, "/root/pit", digest));
    hostile(encodePathPacket({ kind: "announce", id: 0, path: "/root/pit", digest }));
    hostile(call(0, null));
    await flush();
    expect(rejections.map((r) => [r.reason, r.node])).toEqual([
      ["malformed", "/root/pit"],
      ["malformed", "/root/pit"],
    ]);
    const c = client.id;
    expect(arena.hits).toEqual([
      [c, 1],
      [c, 1],
    ]);
    expect(pit.hits).toEqual([]);
    // Forgotten, it may be taught again. Until then a late packet (sent before the forget, arriving
    // after it) still names what the id named.
    hostile(encodePathPacket({ kind: "forget", id: 0 }));
    hostile(call(0, null), "unreliable");
    hostile(call(0, "/root/pit", digest));
    hostile(call(0, null));
    await flush();
    expect(rejections).toHaveLength(2);
    expect(arena.hits).toHaveLength(3);
    expect(pit.hits).toEqual([
      [c, 1],
      [c, 1],
    ]);
  });

  it("ids from 4096 up, and path packets not sent reliably on channel 0, are rejected", async () => {
    const { rejections, hostile, host, digest } = await hostileGame();
    for (let id = 0; id < MAX_PATHS_PER_SENDER + 10; id++) {
      hostile(encodePathPacket({ kind: "announce", id, path: "/root/arena", digest }));
    }
    hostile(call(MAX_PATHS_PER_SENDER, "/root/arena", digest));
    hostile(encodePathPacket({ kind: "announce", id: 1, path: "/root/arena", digest }), "unreliable");
    await flush();
    expect(rejections.map((r) => r.message)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `path id ${MAX_PATHS_PER_SENDER + i} out of range`),
      `node cache id ${MAX_PATHS_PER_SENDER} out of range`,
      "announce packet not sent reliably on channel 0",
    ]);
    expect(host.api.debugStats().pathCache.incomingEntries).toBe(MAX_PATHS_PER_SENDER);
  });
});

describe("a sender's own removals", () => {
  it("tell every taught peer, once, and nobody else", async () => {
    const network = new MemoryNetwork();
    const host = await hostGame(network);
    const one = await joinGame(network, host.roomCode);
    const two = await joinGame(network, host.roomCode);
    await until(() => one.api.getPeers().length === 2 && two.api.getPeers().length === 2);
    const forgets: number[] = [];
    const send = host.peer.send.bind(host.peer);
    host.peer.send = (to, bytes, transfer, channel) => {
      if (bytes[0] === encodePathPacket({ kind: "forget", id: 0 })[0]) forgets.push(to);
      send(to, bytes, transfer, channel);
    };
    const bullet = host.api.root.addChild(new Bullet("solo", host.api));
    for (const p of [one, two]) p.api.root.addChild(new Bullet("solo", p.api));
    bullet.rpcId(one.id, "hit", 1);
    await flush();
    host.api.root.removeChild(bullet);
    await flush();
    expect(forgets).toEqual([one.id]);
    expect(host.api.debugStats().pathCache).toMatchObject({ outgoing: 0, releasing: 0 });
  });

  it("a call that could not be sent taught nobody: its node's removal tells nobody", async () => {
    const { host, joined } = await gameOf(1);
    const bullet = host.api.root.addChild(new Bullet("big", host.api));
    joined[0]!.api.root.addChild(new Bullet("big", joined[0]!.api));
    host.api.maxMessageBytes = 32;
    const sent: number[] = [];
    const send = host.peer.send.bind(host.peer);
    host.peer.send = (to, bytes, transfer, channel) => {
      sent.push(bytes[0]!);
      send(to, bytes, transfer, channel);
    };
    expect(() => bullet.rpc("hit", "x".repeat(64) as unknown as number)).toThrow(RangeError);
    expect(host.api.debugStats().pathCache).toMatchObject({ outgoing: 1, releasing: 0 });
    host.api.root.removeChild(bullet);
    await flush();
    expect(host.api.debugStats().pathCache).toMatchObject({ outgoing: 0, releasing: 0 });
    expect(sent).toEqual([]);
  });

  it("a client's announcement relayed to a peer that just left still teaches the host", async () => {
    const { host, joined } = await gameOf(1);
    const rejections = rejectionsOf([host.api]);
    const client = joined[0]!;
    const node = host.api.root.addChild(new Bullet("x", host.api));
    const digest = networkTableOf(node).digest;
    const replies: number[] = [];
    host.peer.send = ((send) => (to, bytes, transfer, channel) => {
      if (to === client.id) replies.push(bytes[0]!);
      send(to, bytes, transfer, channel);
    })(host.peer.send.bind(host.peer));
    client.peer.send(
      1,
      encodeRelay(999, encodePathPacket({ kind: "announce", id: 0, path: "/root/x", digest })),
      "reliable",
      0,
    );
    client.peer.send(1, encodePathPacket({ kind: "forget", id: 0 }), "reliable", 0);
    await flush();
    expect(rejections.map((r) => r.reason)).toEqual(["unknown_target"]);
    expect(replies).toEqual([Command.CONFIRM_PATH, encodePathPacket({ kind: "forgotten", id: 0 })[0]]);
  });
});

describe("a client over the host's rate limit (policy drop)", () => {
  /** Host, a, b, each with a node "n"; no refill: once a spent its burst of 4, the host drops what a sends. */
  async function limitedGame() {
    const { host, joined } = await gameOf(2);
    const [a, b] = [joined[0]!, joined[1]!];
    const apis = [host.api, a.api, b.api];
    const nodes = apis.map((api) => api.root.addChild(new Bullet("n", api)));
    const rejections: Rejection[] = [];
    for (const api of apis) api.on("rejected", (r) => rejections.push(r));
    const limits = { messagesPerSecond: 0, messageBurst: 4, bytesPerSecond: 0, byteBurst: 1e6 };
    const overLimit = () => {
      host.api.rateLimits = { ...limits, policy: "drop" };
      for (let i = 0; i < 4; i++) a.api.sendBytes(Uint8Array.of(i), 1);
    };
    return { host: host.api, a: a.api, b: b.api, nodes, rejections, overLimit };
  }

  it("an id whose teaching the host dropped is still released: the forgets pass, and peers that never got it answer", async () => {
    const { host, a, nodes, rejections, overLimit } = await limitedGame();
    overLimit();
    nodes[1]!.rpc("drift", 1); // unreliable, to everyone: a PATH_ANNOUNCE teaches the id first
    await flush();
    expect(rejections.map((r) => r.reason)).toEqual(["rate_limited", "rate_limited"]); // both dropped
    expect(nodes[0]!.hits).toEqual([]);
    expect(host.debugStats().pathCache.incomingEntries).toBe(0);
    a.root.removeChild(nodes[1]!);
    await flush();
    // The host and b were told to forget an id they never got, and said they did: a may reuse it.
    expect(a.debugStats().pathCache).toMatchObject({ outgoing: 0, releasing: 0 });
    expect(rejections).toHaveLength(2);
  });

  it("a client's answer to the host's forget passes, so the host's id is freed", async () => {
    const { host, a, nodes, rejections, overLimit } = await limitedGame();
    nodes[0]!.rpc("hit", 1); // host → a and b: teaches them the host's id
    await flush();
    expect(nodes[1]!.hits).toEqual([[1, 1]]);
    overLimit();
    host.root.removeChild(nodes[0]!);
    await flush();
    expect(host.debugStats().pathCache).toMatchObject({ outgoing: 0, releasing: 0 });
    expect(rejections).toEqual([]);
    expect(a.debugStats().pathCache.incomingEntries).toBe(1); // forgotten, its path kept for late packets
  });

  it("releases over the limit go through into a debt of one burst at most, then are dropped", async () => {
    const { host, a, rejections, overLimit } = await limitedGame();
    overLimit();
    const a2 = a.getPeers().find((id) => id !== 1)!;
    for (let i = 0; i < 10; i++) a.sendBytes(Uint8Array.of(i), 1); // dropped: not releases
    for (let i = 0; i < 10; i++) {
      // Forgotten answers to releases that never happened: rejected when they get through.
      const packet = encodePathPacket({ kind: "forgotten", id: i });
      a.peer.send(1, i % 2 ? encodeRelay(a2, packet) : packet, "reliable", 0);
    }
    await flush();
    const reasons = rejections.map((r) => r.reason);
    expect(reasons.slice(0, 10)).toEqual(Array(10).fill("rate_limited"));
    // 4 got through (rejected by the host, or relayed and rejected by b), 6 were dropped.
    expect(reasons.slice(10).filter((reason) => reason === "rate_limited")).toHaveLength(6);
    expect(reasons.slice(10).filter((reason) => reason === "malformed")).toHaveLength(4);
    expect(host.getPeers()).toContain(a.uniqueId);
  });
});
