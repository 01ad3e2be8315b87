// A player whose link drops stays in the game: what every peer sees (MultiplayerAPI over the
// in-memory network's interrupt/restore), and the transport parts that make it exact.
import { describe, expect, it } from "vitest";
import { decodeLinkFrame, encodeLinkFrame, LinkFrameKind } from "../src/transport/webrtc/link-frames.js";
import { ResendLog } from "../src/transport/webrtc/resend-log.js";
import { hostGame, joinGame, MemoryNetwork, until } from "./helpers.js";

describe("a reconnecting peer", () => {
  it("is announced to everyone, keeps its place, and gets every reliable message sent meanwhile", async () => {
    const network = new MemoryNetwork();
    const host = await hostGame(network);
    const a = await joinGame(network, host.roomCode);
    const b = await joinGame(network, host.roomCode);
    await until(() => a.api.getPeers().length === 2 && b.api.getPeers().length === 2);
    const inboxA: string[] = [];
    a.api.on("peerPacket", (from, data) => inboxA.push(`${from}:${new TextDecoder().decode(data)}`));
    const text = (s: string) => new TextEncoder().encode(s);

    network.interrupt(a.peer);
    await until(() => b.log.includes(`peerReconnecting ${a.id}`));
    expect(host.log.at(-1)).toBe(`peerReconnecting ${a.id}`);
    expect(a.log.at(-1)).toBe("peerReconnecting 1");
    // Still in the game everywhere.
    expect(host.api.getPeers()).toContain(a.id);
    expect(b.api.getPeers()).toContain(a.id);

    for (let i = 0; i < 3; i++) {
      host.api.sendBytes(text(`host ${i}`), a.id);
      b.api.sendBytes(text(`b ${i}`), a.id);
      host.api.sendBytes(text(`lost ${i}`), a.id, { transfer: "unreliable" });
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(inboxA).toEqual([]);

    network.restore(a.peer);
    await until(() => inboxA.length === 6);
    expect(inboxA).toEqual(["1:host 0", "1:host 1", "1:host 2", `${b.id}:b 0`, `${b.id}:b 1`, `${b.id}:b 2`]);
    expect(b.log.at(-1)).toBe(`peerReconnected ${a.id}`);
    expect(host.log.at(-1)).toBe(`peerReconnected ${a.id}`);
    expect(a.log.at(-1)).toBe("peerReconnected 1");
    for (const p of [host, a, b])
      expect(p.log.some((line) => line.startsWith("peerDisconnected"))).toBe(false);
  });

  it("a notice from a client, or about an unknown peer, changes nothing", async () => {
    const network = new MemoryNetwork();
    const host = await hostGame(network);
    const a = await joinGame(network, host.roomCode);
    const rejected: string[] = [];
    host.api.on("rejected", (r) => rejected.push(r.reason));
    // [SYS][PEER_RECONNECTING][id]: only the host announces peers.
    a.peer.send(1, Uint8Array.of(4, 4, 0x39, 0x30, 0, 0), "reliable", 0);
    await until(() => rejected.length === 1);
    expect(rejected).toEqual(["forbidden"]);
    const before = a.log.length;
    host.peer.send(a.id, Uint8Array.of(4, 5, 0x39, 0x30, 0, 0), "reliable", 0);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(a.log.length).toBe(before);
  });
});

describe("ResendLog", () => {
  const bytes = (n: number) => new Uint8Array(n);

  it("keeps messages until acknowledged and gives back exactly the unacknowledged ones", () => {
    const log = new ResendLog(100);
    for (const n of [1, 2, 3, 4]) expect(log.append(Uint8Array.of(n))).toBe(true);
    expect(log.sent).toBe(4);
    expect(log.acknowledge(2)).toBe(true);
    expect(log.unacknowledged().map((m) => m[0])).toEqual([3, 4]);
    expect(log.bytes).toBe(2);
    expect(log.acknowledge(2)).toBe(true); // the same acknowledgement again (a late heartbeat)
    expect(log.acknowledge(4)).toBe(true);
    expect(log.unacknowledged()).toEqual([]);
    expect(log.bytes).toBe(0);
  });

  it("refuses acknowledgements that go backwards or beyond what was sent", () => {
    const log = new ResendLog(100);
    log.append(bytes(1));
    log.append(bytes(1));
    expect(log.acknowledge(3)).toBe(false);
    expect(log.acknowledge(2)).toBe(true);
    expect(log.acknowledge(1)).toBe(false);
  });

  it("refuses past its byte limit, keeping nothing of the refused message", () => {
    const log = new ResendLog(10);
    expect(log.append(bytes(6))).toBe(true);
    expect(log.append(bytes(5))).toBe(false);
    expect(log.bytes).toBe(6);
    expect(log.sent).toBe(1);
  });

  it("stays compact over a long session", () => {
    const log = new ResendLog(1 << 20);
    for (let i = 1; i <= 100_000; i++) {
      log.append(bytes(1));
      if (i % 10 === 0) log.acknowledge(i);
    }
    expect(log.sent).toBe(100_000);
    expect(log.bytes).toBe(0);
  });
});

describe("link frames", () => {
  it("decode what they encode", () => {
    const hello = encodeLinkFrame({ kind: LinkFrameKind.HELLO, counts: [0, 300] });
    expect(decodeLinkFrame(hello, 2)).toEqual({ kind: LinkFrameKind.HELLO, counts: [0, 300] });
    expect(decodeLinkFrame(encodeLinkFrame({ kind: LinkFrameKind.BYE }), 2)).toEqual({ kind: 2 });
  });

  it.each([
    ["unknown kind", Uint8Array.of(6, 9, 0)],
    ["missing counts", Uint8Array.of(6, 0, 1)],
    ["truncated varint", Uint8Array.of(6, 1, 0x80)],
    ["trailing bytes", Uint8Array.of(6, 0, 1, 2, 3)],
    ["BYE with a payload", Uint8Array.of(6, 2, 0)],
    ["no kind at all", Uint8Array.of(6)],
  ])("refuse %s with a reason", (_name, frame) => {
    expect(typeof decodeLinkFrame(frame, 2)).toBe("string");
  });
});
