// The page's side of replication.bench.ts: the replicated world of the e2e specs on the host tab,
// a game loop that times the host's poll() on each network tick, and a late joiner's clock.
import type { MultiplayerAPI, MultiplayerPeer } from "starwire";
import {
  buildWorld,
  Entity,
  moveTo,
  populate,
  type World,
  type WorldState,
  worldState,
} from "../../../tests/e2e/harness/replication-world.js";

/** What one measured game loop saw on the host. */
export interface TickTimes {
  /** ms inside poll() on each poll that sent (a network tick). */
  pollMs: number[];
  /** Of which inside the transport's send() (the data channels), same ticks. */
  sendMs: number[];
  /** Polls that sent nothing (between ticks: the loop wakes up early or twice). */
  idlePolls: number;
  /** Bytes and packets handed to the transport during the loop. */
  bytes: number;
  packets: number;
  /** Frames the game moved the world by. */
  frames: number;
}

/** Late join, on the joiner's clock (ms from `connectedToServer`). */
export interface LateJoin {
  /** Every entity spawned, with its spawn state. */
  spawnedMs: number;
  /** Every entity's synchronizer applied at least one SYNC as well. */
  synchronizedMs: number;
}

export function replicationBench(api: MultiplayerAPI) {
  let world: World | null = null;
  let frame = 0;
  let moving: ReturnType<typeof setInterval> | null = null;
  const built = () => {
    if (!world) throw new Error("setup() first");
    return world;
  };
  /** Counts what the SDK hands the transport (the peer is the host's; wrapped once). */
  const sent = { bytes: 0, packets: 0, ms: 0 };
  const count = (peer: MultiplayerPeer): (() => void) => {
    const send = peer.send.bind(peer);
    peer.send = (to, data, ...rest) => {
      sent.bytes += data.length;
      sent.packets++;
      const start = performance.now();
      send(to, data, ...rest);
      sent.ms += performance.now() - start;
    };
    return () => {
      delete (peer as Partial<MultiplayerPeer>).send; // the prototype's again
    };
  };

  return {
    setup(): void {
      world ??= buildWorld(api.root);
    },
    populate(count: number): void {
      populate(built(), count, frame);
    },
    state: (): WorldState => worldState(built()),
    /** A game that moves the world one frame every `ms`, the automatic scheduler sending (late-join runs). */
    startMoving(ms: number): void {
      const w = built();
      moving ??= setInterval(() => moveTo(w, ++frame), ms);
    },
    stopMoving(): void {
      if (moving !== null) clearInterval(moving);
      moving = null;
    },

    /**
     * The host's game loop for `seconds`: `autoPoll` off, woken at each tick's start (as the
     * automatic scheduler would be), moves the world one frame (not timed), then times `poll()`.
     */
    async run(seconds: number): Promise<TickTimes> {
      const w = built();
      api.autoPoll = false;
      const uncount = count(api.peer);
      const times: TickTimes = { pollMs: [], sendMs: [], idlePolls: 0, bytes: 0, packets: 0, frames: 0 };
      const before = { ...sent };
      const end = performance.now() + seconds * 1000;
      while (performance.now() < end) {
        const now = api.clock.now();
        const next = ((Math.floor((now * api.tickRate) / 1000) + 1) * 1000) / api.tickRate;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - now)));
        moveTo(w, ++frame);
        times.frames++;
        const packets = sent.packets;
        const sendMs = sent.ms;
        const start = performance.now();
        api.poll();
        const elapsed = performance.now() - start;
        if (sent.packets > packets) {
          times.pollMs.push(elapsed);
          times.sendMs.push(sent.ms - sendMs);
        } else times.idlePolls++;
      }
      times.bytes = sent.bytes - before.bytes;
      times.packets = sent.packets - before.packets;
      // Back to the automatic scheduler, so late joiners keep getting states between runs.
      uncount();
      api.autoPoll = true;
      return times;
    },

    /** A joiner with the world built: resolves with its times once every entity is spawned and synchronized. */
    lateJoinTimes(expected: number): Promise<LateJoin> {
      const w = built();
      return new Promise((resolve, reject) => {
        let connectedAt = 0;
        let spawnedMs = 0;
        const synchronized = new Set<string>();
        api.once("connectedToServer", () => {
          connectedAt = performance.now();
        });
        api.once("connectionFailed", (reason, message) => reject(new Error(`${reason}: ${message}`)));
        api.on("rejected", (r) => reject(new Error(`rejected ${r.reason}: ${r.message}`)));
        const done = () => {
          if (spawnedMs > 0 && synchronized.size === expected)
            resolve({ spawnedMs, synchronizedMs: performance.now() - connectedAt });
        };
        w.spawner.on("spawned", (node) => {
          if (!(node instanceof Entity)) return;
          node.sync.once("synchronized", () => {
            synchronized.add(node.name);
            done();
          });
          if (w.entities.children.length === expected) {
            spawnedMs = performance.now() - connectedAt;
            done();
          }
        });
      });
    },
  };
}
