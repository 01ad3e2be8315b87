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
  /**
   * The contention probe: ms a fixed piece of plain JavaScript work (no SDK code) took right
   * after each timed poll, and what it took on this tab before any client joined (`setup`). The
   * poll's time grows with the host's own work per client; the probe's grows only when the
   * tab's thread does not get the CPU (the machine's other processes: the Node clients, the
   * browser's network thread). Their ratios to their quiet times tell the two apart.
   */
  probeMs: number[];
  probeQuietMs: number;
  /**
   * Distinct SYNC packets each tick encoded (one per group of receivers: more than one when the
   * clients acknowledged different ticks, e.g. clients too slow to keep up).
   */
  syncEncodes: number[];
}

/** SYNC's first byte (state-codec.ts's SYNC_HEAD). */
const SYNC_HEAD = 0x17;

/** The probe's work: a deterministic loop that the JIT cannot drop (its result is returned). */
function probeWork(rounds: number): number {
  let x = 0x9e3779b9;
  for (let i = 0; i < rounds; i++) x = (Math.imul(x ^ (x >>> 15), 0x85ebca6b) + i) | 0;
  return x;
}

/** Rounds of probeWork taking about `ms` on this tab now, and their median time. */
function calibrateProbe(ms: number): { rounds: number; quietMs: number } {
  let rounds = 1000;
  for (let i = 0; i < 20; i++) {
    // The fastest of a few (one run can be slow for reasons of its own: compiling, a GC).
    let took = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 5; run++) {
      const start = performance.now();
      probeWork(rounds);
      took = Math.min(took, performance.now() - start);
    }
    if (took >= ms) break;
    rounds *= took < ms / 4 ? 4 : 2;
  }
  const samples: number[] = [];
  for (let i = 0; i < 31; i++) {
    const start = performance.now();
    probeWork(rounds);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { rounds, quietMs: samples[15]! };
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
  let probe: { rounds: number; quietMs: number } | null = null;
  let probeSink = 0;
  const built = () => {
    if (!world) throw new Error("setup() first");
    return world;
  };
  /** Counts what the SDK hands the transport (the peer is the host's; wrapped once). */
  const sent = { bytes: 0, packets: 0, ms: 0, syncs: new Set<Uint8Array>() };
  const count = (peer: MultiplayerPeer): (() => void) => {
    const send = peer.send.bind(peer);
    peer.send = (to, data, ...rest) => {
      sent.bytes += data.length;
      sent.packets++;
      if (data[0] === SYNC_HEAD) sent.syncs.add(data);
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
      // Before any client joins: the probe's quiet time on this machine, this tab.
      probe ??= calibrateProbe(0.2);
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
      const { rounds, quietMs } = probe ?? calibrateProbe(0.2);
      const times: TickTimes = {
        pollMs: [],
        sendMs: [],
        idlePolls: 0,
        bytes: 0,
        packets: 0,
        frames: 0,
        probeMs: [],
        probeQuietMs: quietMs,
        syncEncodes: [],
      };
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
        sent.syncs.clear();
        const start = performance.now();
        api.poll();
        const elapsed = performance.now() - start;
        if (sent.packets > packets) {
          times.pollMs.push(elapsed);
          times.sendMs.push(sent.ms - sendMs);
          times.syncEncodes.push(sent.syncs.size);
          const probeStart = performance.now();
          probeSink ^= probeWork(rounds);
          times.probeMs.push(performance.now() - probeStart);
        } else times.idlePolls++;
      }
      times.bytes = sent.bytes - before.bytes;
      times.packets = sent.packets - before.packets;
      // Back to the automatic scheduler, so late joiners keep getting states between runs.
      uncount();
      api.autoPoll = true;
      // Kept observable, so that the probe's loop is never optimized away.
      (globalThis as { probeSink?: number }).probeSink = probeSink;
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
