// The node-path cap over real WebRTC (SECURITY.md, "Limits": 4096 node paths per sender, ids below
// 4096, WIRE.md "Path ids"): a client announcing more gets `malformed` rejections for the rest,
// what it announced within the cap keeps working, and the host goes on serving everyone.
import { expect, it } from "vitest";
import { hostOn, joinOn, startSignaling, until } from "./helpers.js";
import { varint } from "./raw-client.js";

const MAX_PATHS_PER_SENDER = 4096;
const OVER = 10;
const RPC = 0x00;
const INLINE = 0x08;
/** msgpack uint 16: the hello's argument, so each call says which cache id carried it. */
const uint16 = (value: number) => [0xcd, value >> 8, value & 0xff];

it("a sender naming ids from 4096 up gets malformed rejections; the host keeps working", async () => {
  const signaling = await startSignaling();
  const host = await hostOn(signaling.url);
  const honest = await joinOn(signaling.url, host.roomCode);
  const hostile = await joinOn(signaling.url, host.roomCode);
  // Only the path cap may refuse anything here: the rate limits are not under test.
  host.api.rateLimits = { ...host.api.rateLimits, messagesPerSecond: 1e6, messageBurst: 1e6 };
  try {
    await until(() => host.api.getPeers().length === 2, 10_000, "both clients in the game");
    const rejected: string[] = [];
    host.api.on("rejected", (r) => {
      if (r.from === hostile.id) rejected.push(`${r.reason}: ${r.message}`);
    });
    const hellos = () =>
      host.game.calls.filter(([m, from]) => m === "hello" && from === hostile.id).map(([, , v]) => v);

    // The hostile client's own first call announces /root/game inline under its cache id 0:
    // [RPC|INLINE][cacheId][pathLength][path][digest u16][index][arguments].
    let inline: Uint8Array | null = null;
    const send = hostile.peer.send.bind(hostile.peer);
    hostile.peer.send = (to, bytes, transfer, channel, key) => {
      if (to === 1 && bytes[0] === (RPC | INLINE)) inline ??= bytes.slice();
      send(to, bytes, transfer, channel, key);
    };
    hostile.game.rpcId(1, "hello", 0);
    await until(() => hellos().length === 1, 5000, "the first hello");
    expect(inline![1]).toBe(0);
    const pathLength = inline![2]!;
    // Everything from the path length to the method index: the same node and method every time.
    const announce = inline!.subarray(2, 3 + pathLength + 2 + 1);
    const call = (cacheId: number, value: number, withPath: boolean) =>
      withPath
        ? Uint8Array.of(RPC | INLINE, ...varint(cacheId), ...announce, ...uint16(value))
        : Uint8Array.of(RPC, ...varint(cacheId), announce.at(-1)!, ...uint16(value));

    // Ids 1…4095 fill the sender's share (id 0 is the first), the next ten are over it. All on the
    // reliable channel, in order.
    for (let id = 1; id < MAX_PATHS_PER_SENDER + OVER; id++)
      hostile.peer.send(1, call(id, id, true), "reliable", 0);
    // Within the cap: a cached call by an id learned above, and the same announcement again.
    hostile.peer.send(1, call(4095, 50_000, false), "reliable", 0);
    hostile.peer.send(1, call(7, 50_001, true), "reliable", 0);
    // Over it: a cached call by an id out of range is malformed too.
    hostile.peer.send(1, call(4096, 50_002, false), "reliable", 0);
    // And through the client's own API, as any game would call.
    hostile.game.rpcId(1, "hello", 60_000);
    await until(() => hellos().includes(60_000), 20_000, "the last hello");

    const accepted = Array.from({ length: MAX_PATHS_PER_SENDER }, (_, id) => id);
    expect(hellos()).toEqual([...accepted, 50_000, 50_001, 60_000]);
    const outOfRange = (id: number) => `malformed: node cache id ${id} out of range`;
    expect(rejected).toEqual([
      ...Array.from({ length: OVER }, (_, i) => outOfRange(MAX_PATHS_PER_SENDER + i)),
      outOfRange(MAX_PATHS_PER_SENDER),
    ]);

    // Everyone else is served as before.
    honest.game.rpcId(1, "hello", 1);
    host.game.rpc("shout", "still here");
    await until(
      () =>
        host.game.calls.some(([m, from]) => m === "hello" && from === honest.id) &&
        honest.game.calls.some(([m]) => m === "shout") &&
        hostile.game.calls.some(([m]) => m === "shout"),
      5000,
      "the honest hello and the host's shout",
    );
    expect(host.api.getPeers().sort()).toEqual([honest.id, hostile.id].sort());
  } finally {
    hostile.api.peer = null;
    honest.api.peer = null;
    host.api.peer = null;
    await signaling.close();
  }
}, 60_000);
