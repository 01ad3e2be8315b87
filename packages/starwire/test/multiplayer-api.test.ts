import { describe, expect, it } from "vitest";
import { ConnectionError, MemoryMultiplayerPeer, MultiplayerAPI, type Rejection } from "../src/common.js";
import { Command } from "../src/wire/commands.js";
import { encodePeerNotice, encodeRelay } from "../src/wire/system-packet.js";
import { hostGame, joinGame, MemoryNetwork, recordEvents, until } from "./helpers.js";

const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

describe("MultiplayerAPI without a peer", () => {
  it("is an offline server, as Godot's default peer", () => {
    const api = new MultiplayerAPI();
    expect(api.isServer()).toBe(true);
    expect(api.uniqueId).toBe(1);
    expect(api.connectionStatus).toBe("connected");
    expect(api.getPeers()).toEqual([]);
  });
});

describe('event order (Godot\'s, README "Connections")', () => {
  it("host + 3 clients joining one after another", async () => {
    const network = new MemoryNetwork();
    const host = await hostGame(network);
    const a = await joinGame(network, host.roomCode);
    await until(() => host.api.getPeers().length === 1);
    const b = await joinGame(network, host.roomCode);
    await until(() => a.api.getPeers().length === 2 && b.api.getPeers().length === 2);
    const c = await joinGame(network, host.roomCode.toLowerCase());
    await until(
      () => c.api.getPeers().length === 3 && a.api.getPeers().length === 3 && b.api.getPeers().length === 3,
    );

    expect(host.log).toEqual([`peerConnected ${a.id}`, `peerConnected ${b.id}`, `peerConnected ${c.id}`]);
    expect(a.log).toEqual([
      "connectedToServer",
      "peerConnected 1",
      `peerConnected ${b.id}`,
      `peerConnected ${c.id}`,
    ]);
    expect(b.log).toEqual([
      "connectedToServer",
      "peerConnected 1",
      `peerConnected ${a.id}`,
      `peerConnected ${c.id}`,
    ]);
    expect(c.log).toEqual([
      "connectedToServer",
      "peerConnected 1",
      `peerConnected ${a.id}`,
      `peerConnected ${b.id}`,
    ]);
    expect(sorted(host.api.getPeers())).toEqual(sorted([a.id, b.id, c.id]));
    expect(sorted(c.api.getPeers())).toEqual(sorted([1, a.id, b.id]));
    for (const client of [a, b, c]) {
      expect(client.api.isServer()).toBe(false);
      expect(client.api.uniqueId).toBeGreaterThanOrEqual(2);
      expect(client.api.uniqueId).toBeLessThanOrEqual(2 ** 31 - 1);
    }
    expect(new Set([a.id, b.id, c.id]).size).toBe(3);

    // A client leaves: the host and the others are told; the host first tells, then fires.
    b.api.peer = null;
    await until(
      () =>
        host.api.getPeers().length === 2 && a.api.getPeers().length === 2 && c.api.getPeers().length === 2,
    );
    expect(host.log.at(-1)).toBe(`peerDisconnected ${b.id}`);
    expect(a.log.at(-1)).toBe(`peerDisconnected ${b.id}`);
    expect(c.log.at(-1)).toBe(`peerDisconnected ${b.id}`);
    expect(b.log).not.toContain("serverDisconnected");

    // The host leaves: each client gets peerDisconnected(1) then serverDisconnected and forgets the rest.
    host.api.peer = null;
    await until(() => a.log.includes("serverDisconnected") && c.log.includes("serverDisconnected"));
    for (const client of [a, c]) {
      expect(client.log.slice(-2)).toEqual(["peerDisconnected 1", "serverDisconnected"]);
      expect(client.api.getPeers()).toEqual([]);
      expect(client.api.connectionStatus).toBe("disconnected");
    }
  });

  it("host kicks a client with disconnectPeer", async () => {
    const network = new MemoryNetwork();
    const host = await hostGame(network);
    const a = await joinGame(network, host.roomCode);
    const b = await joinGame(network, host.roomCode);
    await until(() => a.api.getPeers().length === 2);
    host.api.peer.disconnectPeer(a.id);
    await until(() => a.log.includes("serverDisconnected") && b.api.getPeers().length === 1);
    expect(host.log.at(-1)).toBe(`peerDisconnected ${a.id}`);
    expect(b.log.at(-1)).toBe(`peerDisconnected ${a.id}`);
    expect(host.api.getPeers()).toEqual([b.id]);
  });

  it("keeps events that happen before the peer is assigned, in order", async () => {
    const network = new MemoryNetwork();
    const host = await hostGame(network);
    const early = await joinGame(network, host.roomCode);
    const peer = new MemoryMultiplayerPeer(network);
    await peer.createClient(host.roomCode);
    await until(() => peer.connectionStatus === "connected");
    await until(() => early.api.getPeers().length === 2);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const late = new MultiplayerAPI();
    const log = recordEvents(late);
    late.peer = peer;
    expect(log).toEqual(["connectedToServer", "peerConnected 1", `peerConnected ${early.id}`]);
  });
});

describe("connection failures", () => {
  it("unknown room, full room and a refusing room fail with a reason", async () => {
    const network = new MemoryNetwork();
    const host = await hostGame(network, 1);
    await joinGame(network, host.roomCode);

    const attempt = async (code: string) => {
      const api = new MultiplayerAPI();
      const failures: string[] = [];
      api.on("connectionFailed", (reason) => failures.push(reason));
      const peer = new MemoryMultiplayerPeer(network);
      api.peer = peer;
      const error = await peer.createClient(code).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect(failures).toEqual([(error as ConnectionError).reason]);
      expect(api.connectionStatus).toBe("disconnected");
      return failures[0];
    };
    expect(await attempt("ZZZZZZ")).toBe("no_such_room");
    expect(await attempt(host.roomCode)).toBe("room_full");

    const open = await hostGame(network, 8);
    open.api.refuseNewConnections = true;
    expect(await attempt(open.roomCode)).toBe("room_refusing");
    open.api.refuseNewConnections = false;
    await joinGame(network, open.roomCode);
  });

  it("whenConnected resolves on connectedToServer and rejects with the failure's reason", async () => {
    const network = new MemoryNetwork();
    const host = await hostGame(network);
    await expect(host.api.whenConnected()).resolves.toBeUndefined();

    const client = new MultiplayerAPI();
    const peer = new MemoryMultiplayerPeer(network);
    client.peer = peer;
    const joined = client.whenConnected();
    await peer.createClient(host.roomCode);
    await expect(joined).resolves.toBeUndefined();
    await expect(client.whenConnected()).resolves.toBeUndefined();

    const stranded = new MultiplayerAPI();
    const strandedPeer = new MemoryMultiplayerPeer(network);
    stranded.peer = strandedPeer;
    const failed = stranded.whenConnected();
    await strandedPeer.createClient("ZZZZZZ").catch(() => {});
    await expect(failed).rejects.toMatchObject({ name: "ConnectionError", reason: "no_such_room" });
    expect(stranded.listenerCount("connectedToServer")).toBe(0);
  });

  it("a client still connecting when the host leaves fails with host_left", async () => {
    const network = new MemoryNetwork();
    const host = await hostGame(network);
    const api = new MultiplayerAPI();
    const log = recordEvents(api);
    const peer = new MemoryMultiplayerPeer(network);
    api.peer = peer;
    await peer.createClient(host.roomCode);
    host.api.peer = null;
    await until(() => log.length > 0);
    expect(log).toEqual(["connectionFailed host_left"]);
  });
});

describe("sendBytes: targets and relay through the host", () => {
  async function fourPeers() {
    const network = new MemoryNetwork();
    const host = await hostGame(network);
    const a = await joinGame(network, host.roomCode);
    const b = await joinGame(network, host.roomCode);
    const c = await joinGame(network, host.roomCode);
    await until(() => [a, b, c].every((p) => p.api.getPeers().length === 3));
    const inbox = new Map<number, string[]>();
    for (const p of [host, a, b, c]) {
      const lines: string[] = [];
      inbox.set(p.api.uniqueId, lines);
      p.api.on("peerPacket", (from, data) => lines.push(`${from}:${new TextDecoder().decode(data)}`));
    }
    const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
    return { host, a, b, c, inbox, settle };
  }
  const text = (s: string) => new TextEncoder().encode(s);

  it("a client's broadcast reaches everyone else with the true sender, as one packet to the host", async () => {
    const { host, a, b, c, inbox, settle } = await fourPeers();
    const sent: number[] = [];
    const send = a.peer.send.bind(a.peer);
    a.peer.send = (to, data, transfer, channel) => {
      sent.push(to);
      send(to, data, transfer, channel);
    };
    a.api.sendBytes(text("hi"));
    await settle();
    expect(sent).toEqual([1]);
    expect(inbox.get(1)).toEqual([`${a.id}:hi`]);
    expect(inbox.get(b.id)).toEqual([`${a.id}:hi`]);
    expect(inbox.get(c.id)).toEqual([`${a.id}:hi`]);
    expect(inbox.get(a.id)).toEqual([]);
    expect(host.api.getPeers().length).toBe(3);
  });

  it("client to client, all-but-one, and host targets", async () => {
    const { host, a, b, c, inbox, settle } = await fourPeers();
    a.api.sendBytes(text("direct"), b.id);
    a.api.sendBytes(text("not-c"), -c.id);
    a.api.sendBytes(text("not-host"), -1);
    a.api.sendBytes(text("host"), 1);
    host.api.sendBytes(text("from-host"), -b.id, { transfer: "unreliable" });
    await settle();
    expect(inbox.get(1)).toEqual([`${a.id}:not-c`, `${a.id}:host`]);
    expect(inbox.get(b.id)).toEqual([`${a.id}:direct`, `${a.id}:not-c`, `${a.id}:not-host`]);
    // different senders: the host's own packet may overtake the relayed one
    expect(inbox.get(c.id)?.sort()).toEqual(["1:from-host", `${a.id}:not-host`].sort());
    expect(inbox.get(a.id)).toEqual(["1:from-host"]);
  });

  it("a client cannot forge a sender: the host stamps the relay with the true id", async () => {
    const { a, b, inbox, settle } = await fourPeers();
    // a pretends the packet comes from c by sending a host-style relay (source = c)
    const forged = encodeRelay(b.id, Uint8Array.of(Command.RAW, 0x78));
    a.peer.send(1, encodeRelay(b.id, forged), "reliable", 0);
    a.peer.send(1, encodeRelay(b.id, Uint8Array.of(Command.RAW, 0x79)), "reliable", 0);
    await settle();
    expect(inbox.get(b.id)).toEqual([`${a.id}:y`]);
  });

  it("rejects malformed and forbidden packets without acting on them", async () => {
    const { host, a, b, inbox, settle } = await fourPeers();
    const rejected: Rejection[] = [];
    host.api.on("rejected", (r) => rejected.push(r));
    const bad = [
      new Uint8Array(0),
      Uint8Array.of(Command.SYS),
      Uint8Array.of(Command.SYS, 9, 0, 0, 0, 0),
      encodePeerNotice("addPeer", 12345),
      encodePeerNotice("delPeer", b.id),
      encodeRelay(999, Uint8Array.of(Command.RAW, 1)),
      Uint8Array.of(0x07, 1, 2),
    ];
    for (const packet of bad) a.peer.send(1, packet, "reliable", 0);
    await settle();
    expect(rejected.map((r) => r.from)).toEqual(bad.map(() => a.id));
    expect(rejected.map((r) => r.reason)).toEqual([
      "malformed",
      "malformed",
      "malformed",
      "forbidden",
      "forbidden",
      "unknown_target",
      "malformed",
    ]);
    expect(host.api.getPeers()).toContain(b.id);
    expect(inbox.get(b.id)).toEqual([]);
  });

  it("refuses to send to itself and warns about unknown peers", async () => {
    const { a } = await fourPeers();
    expect(() => a.api.sendBytes(text("x"), a.id)).toThrow(RangeError);
    expect(() => a.api.sendBytes(text("x"), 1.5)).toThrow(RangeError);
  });
});
