// A receiver acknowledges every tick it completed since its last network tick, not only the
// newest: when ticks arrive together (jitter, a busy receiver), acknowledging one of them would
// leave gaps that differ per receiver, and the sender shares a baseline (one encoding) only for a
// tick it knows every receiver of a group holds (replication/baseline-groups.ts).
import { describe, expect, it } from "vitest";
import { MultiplayerSynchronizer, NetNode, Vector2 } from "../src/common.js";
import { readSyncHeader } from "../src/replication/state-codec.js";
import { Extended, extendedHead } from "../src/wire/commands.js";
import { decodeSyncAck } from "../src/wire/sync-packet.js";
import { replicatedGame } from "./replication-helpers.js";

const SYNC = extendedHead(Extended.SYNC);
const SYNC_ACK = extendedHead(Extended.SYNC_ACK);

class Mover extends NetNode {
  position = new Vector2(0, 0);
  readonly sync = new MultiplayerSynchronizer("sync");
  constructor(name: string) {
    super(name);
    this.sync.replicationConfig = { position: { replicate: "always", precision: 0.01 } };
    this.addChild(this.sync);
  }
}

type Send = (to: number, bytes: Uint8Array, ...rest: unknown[]) => void;

describe("SYNC acknowledgements", () => {
  it("acknowledges both ticks when two arrive between the receiver's network ticks", async () => {
    const game = await replicatedGame(1);
    const movers = game.apis.map((api) => api.root.addChild(new Mover("m")));
    const hostPeer = game.host.peer as unknown as { send: Send };
    const hostSend = hostPeer.send.bind(hostPeer);
    // The host's odd ticks are held and sent just before the next even one: they arrive together.
    const held: Parameters<Send>[] = [];
    hostPeer.send = (to, bytes, ...rest) => {
      if (bytes[0] !== SYNC) return hostSend(to, bytes, ...rest);
      if (readSyncHeader(bytes)!.tick % 2 === 1) {
        held.push([to, bytes.slice(), ...rest]);
        return;
      }
      for (const packet of held.splice(0)) hostSend(...packet);
      hostSend(to, bytes, ...rest);
    };
    const clientPeer = game.joined[0]!.peer as unknown as { send: Send };
    const clientSend = clientPeer.send.bind(clientPeer);
    const acked: number[] = [];
    clientPeer.send = (to, bytes, ...rest) => {
      if (bytes[0] === SYNC_ACK) {
        const tick = decodeSyncAck(bytes);
        if (typeof tick === "number") acked.push(tick);
      }
      clientSend(to, bytes, ...rest);
    };
    for (let i = 0; i < 12; i++) {
      movers[0]!.position = new Vector2(i, 0);
      await game.tick();
    }
    expect(movers[1]!.position.x).toBeGreaterThanOrEqual(9); // the held odd tick may still be on its way
    expect(acked.some((tick) => tick % 2 === 1)).toBe(true);
    expect(acked.some((tick) => tick % 2 === 0)).toBe(true);
    expect(game.rejections).toEqual([]);
  });
});
