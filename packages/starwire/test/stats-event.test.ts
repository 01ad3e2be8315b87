// MultiplayerAPI's side of connection statistics: getStats and the `stats` event pass on what the
// transport measures, only for peers in the game, and ask the transport only while someone listens.
import { describe, expect, it } from "vitest";
import { type ConnectionStats, MemoryNetwork, MultiplayerAPI } from "../src/common.js";
import { StarPeer } from "../src/transport/star-peer.js";
import { hostGame, joinGame, until } from "./helpers.js";

const statsOf = (peerId: number): ConnectionStats => ({
  peerId,
  reconnecting: false,
  rttMs: 12,
  iceRttMs: null,
  jitterMs: 1,
  sent: { bytesPerSecond: 10, messagesPerSecond: 1, unreliableLoss: 0, droppedPerSecond: 0 },
  received: { bytesPerSecond: 10, messagesPerSecond: 1, unreliableLoss: null },
  path: { type: "host", local: "host", remote: "host", relayProtocol: null },
  reconnects: 0,
});

/** A host transport that measures: the test says when its figures are updated. */
class MeasuringHost extends StarPeer {
  asked: number[] = [];
  constructor() {
    super();
    this.setState("connected", 1);
  }
  getStats(id: number): ConnectionStats | null {
    this.asked.push(id);
    return statsOf(id);
  }
  join(id: number): void {
    this.reportPeerConnected(id);
  }
  updated(id: number): void {
    this.reportStatsUpdated(id);
  }
  send(): void {}
  discardWaiting(): void {}
  disconnectPeer(): void {}
  close(): void {}
  protected refuseNewConnectionsChanged(): void {}
}

describe("connection statistics in MultiplayerAPI", () => {
  it("passes on the transport's figures for peers in the game, and only while someone listens", () => {
    const peer = new MeasuringHost();
    peer.updated(5); // before any handler: not kept for later
    const api = new MultiplayerAPI();
    api.peer = peer;
    peer.join(5);
    expect(api.getStats(5)).toEqual(statsOf(5));
    expect(api.getStats(9)).toBeNull(); // not in the game
    peer.asked = [];
    peer.updated(5);
    expect(peer.asked).toEqual([]); // nobody listens: nothing is asked
    const events: Array<[number, ConnectionStats]> = [];
    const off = api.on("stats", (id, stats) => events.push([id, stats]));
    peer.updated(5);
    peer.updated(9);
    expect(events).toEqual([[5, statsOf(5)]]);
    off();
    peer.updated(5);
    expect(events).toHaveLength(1);
  });

  it("the in-memory and offline peers have none", async () => {
    expect(new MultiplayerAPI().getStats(1)).toBeNull();
    const network = new MemoryNetwork();
    const host = await hostGame(network);
    const client = await joinGame(network, host.roomCode);
    await until(() => host.api.getPeers().includes(client.id));
    expect(host.api.getStats(client.id)).toBeNull();
    expect(client.api.getStats(1)).toBeNull();
  });
});
