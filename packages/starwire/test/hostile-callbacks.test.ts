// Game callbacks run on what strangers send: when they throw, that input (or that peer) is
// refused, and nothing escapes to take the host down.
import { describe, expect, it, vi } from "vitest";
import {
  MemoryMultiplayerPeer,
  MultiplayerAPI,
  NetNode,
  type Rejection,
  type StandardSchemaV1,
} from "../src/common.js";
import { hostGame, joinGame, MemoryNetwork, until } from "./helpers.js";

const text = (s: string) => new TextEncoder().encode(s);

describe("a throwing authCallback", () => {
  it("fails that peer's authentication, drops it, and leaves the host serving others", async () => {
    const network = new MemoryNetwork();
    const host = new MultiplayerAPI();
    const failed: number[] = [];
    const connected: number[] = [];
    host.on("peerAuthenticationFailed", (id) => failed.push(id));
    host.on("peerConnected", (id) => connected.push(id));
    host.authCallback = (peer, data) => {
      const claim = JSON.parse(new TextDecoder().decode(data)) as { name: string };
      if (claim.name) host.completeAuth(peer);
    };
    const hostPeer = new MemoryMultiplayerPeer(network);
    const { roomCode } = await hostPeer.createServer({ maxPlayers: 4 });
    host.peer = hostPeer;

    const join = async (auth: string) => {
      const client = new MultiplayerAPI();
      client.authCallback = () => {};
      client.on("peerAuthenticating", (peer) => {
        client.sendAuth(peer, text(auth));
        client.completeAuth(peer);
      });
      const peer = new MemoryMultiplayerPeer(network);
      client.peer = peer;
      await peer.createClient(roomCode);
      return { client, id: peer.uniqueId };
    };
    const hostile = await join("{not json");
    await until(() => failed.includes(hostile.id));
    expect(host.getPeers()).not.toContain(hostile.id);
    expect(host.debugStats()).toMatchObject({ authenticating: 0 });

    const honest = await join('{"name":"ann"}');
    await until(() => connected.includes(honest.id));
    expect(host.getPeers()).toEqual([honest.id]);
  });
});

describe("a throwing schema", () => {
  it("rejects the call as invalid_arguments and runs nothing", async () => {
    const network = new MemoryNetwork();
    const host = await hostGame(network);
    const client = await joinGame(network, host.roomCode);
    const throwing: StandardSchemaV1<string> = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate: (value) => {
          if (typeof value !== "string") throw new TypeError("not a string at all");
          return { value };
        },
      },
    };
    class Chat extends NetNode<Chat> {
      readonly said: string[] = [];
      constructor() {
        super("chat");
        this.rpcConfig("say", { mode: "any_peer", args: [throwing] });
      }
      say(line: string): void {
        this.said.push(line);
      }
    }
    const hostChat = host.api.root.addChild(new Chat());
    const clientChat = client.api.root.addChild(new Chat());
    const rejected: Rejection[] = [];
    host.api.on("rejected", (r) => rejected.push(r));
    (clientChat.rpcId as (id: number, method: string, ...args: unknown[]) => void)(1, "say", 42);
    clientChat.rpcId(1, "say", "hello");
    await until(() => hostChat.said.length === 1);
    expect(hostChat.said).toEqual(["hello"]);
    expect(rejected).toMatchObject([
      {
        reason: "invalid_arguments",
        message: expect.stringContaining("the schema threw: not a string at all"),
      },
    ]);
  });
});

describe("a throwing handler", () => {
  it("is logged, and the next call runs", async () => {
    const network = new MemoryNetwork();
    const host = await hostGame(network);
    const client = await joinGame(network, host.roomCode);
    class Chat extends NetNode<Chat> {
      readonly said: string[] = [];
      constructor() {
        super("chat");
        this.rpcConfig("say", ["any_peer"]);
        this.rpcConfig("sayLater", ["any_peer"]);
      }
      say(line: string): void {
        if (line === "boom") throw new Error("handler bug");
        this.said.push(line);
      }
      async sayLater(line: string): Promise<void> {
        await Promise.resolve();
        if (line === "boom") throw new Error("async handler bug");
        this.said.push(line);
      }
    }
    const hostChat = host.api.root.addChild(new Chat());
    const clientChat = client.api.root.addChild(new Chat());
    const logged: unknown[][] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((...args) => logged.push(args));
    try {
      clientChat.rpcId(1, "say", "boom");
      clientChat.rpcId(1, "sayLater", "boom");
      clientChat.rpcId(1, "say", "after");
      clientChat.rpcId(1, "sayLater", "after later");
      await until(() => hostChat.said.length === 2 && logged.length === 2);
    } finally {
      spy.mockRestore();
    }
    expect(hostChat.said).toEqual(["after", "after later"]);
    expect(logged.map((args) => `${args[0]} ${(args[1] as Error).message}`)).toEqual([
      "starwire: /root/chat.say threw handler bug",
      "starwire: /root/chat.sayLater threw async handler bug",
    ]);
  });
});

describe("a peer that leaves while authenticating", () => {
  it("leaves no rejection counter behind", async () => {
    const network = new MemoryNetwork();
    const host = new MultiplayerAPI();
    host.authCallback = () => {};
    const hostPeer = new MemoryMultiplayerPeer(network);
    const { roomCode } = await hostPeer.createServer({ maxPlayers: 4 });
    host.peer = hostPeer;
    const rejected: Rejection[] = [];
    host.on("rejected", (r) => rejected.push(r));
    const client = new MultiplayerAPI();
    client.authCallback = () => {};
    const peer = new MemoryMultiplayerPeer(network);
    client.peer = peer;
    await peer.createClient(roomCode);
    await until(() => host.debugStats().authenticating === 1);
    peer.send(1, Uint8Array.of(3, 1, 2), "reliable", 0); // not an auth message: refused
    await until(() => rejected.length === 1);
    expect(host.debugStats().rejectionCounters).toBe(1);
    client.peer = null;
    await until(() => host.debugStats().authenticating === 0);
    expect(host.debugStats().rejectionCounters).toBe(0);
  });
});
