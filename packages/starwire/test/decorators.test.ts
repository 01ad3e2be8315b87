// Runs the same node class compiled by tsc with standard decorators and with experimentalDecorators.

import { MemoryMultiplayerPeer, MemoryNetwork, MultiplayerAPI } from "starwire";
import { describe, expect, it } from "vitest";
import { Chat as LegacyChat } from "./decorators/dist/legacy/nodes.js";
import { Chat as StandardChat } from "./decorators/dist/standard/nodes.js";

async function twoPeers<T extends LegacyChat | StandardChat>(make: () => T) {
  const network = new MemoryNetwork();
  const host = new MultiplayerAPI();
  const hostPeer = new MemoryMultiplayerPeer(network);
  const { roomCode } = await hostPeer.createServer({ maxPlayers: 2 });
  host.peer = hostPeer;
  const client = new MultiplayerAPI();
  const clientPeer = new MemoryMultiplayerPeer(network);
  await clientPeer.createClient(roomCode);
  client.peer = clientPeer;
  await new Promise<void>((resolve) => host.once("peerConnected", () => resolve()));
  const hostChat = host.root.addChild(make());
  const clientChat = client.root.addChild(make());
  const rejected: string[] = [];
  host.on("rejected", (r) => rejected.push(`${r.reason} ${r.method ?? ""}`.trim()));
  const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
  return { host, client, hostChat, clientChat, rejected, settle, clientId: client.uniqueId };
}

describe.each([
  ["TC39 standard decorators", () => new StandardChat()],
  ["experimentalDecorators", () => new LegacyChat()],
])("@rpc and @networked as %s", (_flavour, make) => {
  it("declares methods with their options and members for rset", async () => {
    const { hostChat, clientChat, rejected, settle, clientId } = await twoPeers(make);
    clientChat.rpc("say", "hi"); // any_peer, call_local
    clientChat.rpc("announce", "not mine"); // authority: rejected on the host
    hostChat.rpc("announce", "welcome");
    clientChat.rset("topic", "games");
    clientChat.rset("hostTopic", "hijack");
    await settle();
    expect(hostChat.heard).toEqual([`${clientId}:say:hi`]);
    expect(clientChat.heard).toEqual([`${clientId}:say:hi`, "1:announce:welcome"]);
    expect(hostChat.topic).toBe("games");
    expect(hostChat.hostTopic).toBe("none");
    expect(rejected).toEqual(["forbidden announce", "forbidden hostTopic"]);
    expect(() => clientChat.rpc("notAnRpc" as never)).toThrow(/not an @rpc method/);
  });

  it("keeps the channel and transfer mode of the options object", async () => {
    const { host, hostChat, clientChat, settle, clientId } = await twoPeers(make);
    const sent: Array<[string, number]> = [];
    const send = clientChat.multiplayer.peer.send.bind(clientChat.multiplayer.peer);
    clientChat.multiplayer.peer.send = (to, bytes, transfer, channel) => {
      sent.push([transfer, channel]);
      send(to, bytes, transfer, channel);
    };
    clientChat.rpc("move", 3, 4);
    await settle();
    // A PATH_ANNOUNCE first (reliable, channel 0): an unreliable call cannot teach the node's id.
    expect(sent).toEqual([
      ["reliable", 0],
      ["unreliable_ordered", 1],
    ]);
    expect(hostChat.heard).toEqual([`${clientId}:move:3,4`]);
    expect(host.getPeers()).toEqual([clientId]);
  });
});
