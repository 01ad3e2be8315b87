// The host's own cost of scene replication per network tick, isolated: one Node process, the
// in-memory transport, no browser and no real clients competing for the CPU (the Chromium
// benchmark, bench/browser/replication.bench.ts, measures the same thing end to end). A host with
// CLIENTS clients and ENTITIES entities (position Vector2 + rotation at precision 0.01 "always", a
// score "on_change"), all moving every frame; the host's game loop has autoPoll off and calls
// poll() once per tick of a simulated 30 Hz clock (performance.now() is moved to each tick's
// start, so ticks run back to back without waiting). Between ticks, and untimed, the packets are
// delivered and every client polls (its acknowledgements pick the host's delta baselines).
//
// Timed: the host's poll() on each network tick. Beside it, in the same run, two baselines that
// explain it: the same world with 1 client (what adding peers costs) and the state codec alone
// encoding the same 256 states once per tick (the floor: what "encode once per group" leaves).

import { loadavg } from "node:os";
import {
  MemoryMultiplayerPeer,
  MemoryNetwork,
  MultiplayerAPI,
  MultiplayerSpawner,
  MultiplayerSynchronizer,
  NetNode,
  Vector2,
} from "starwire";
import * as codec from "starwire/state-codec";
import { writeResult } from "./lib/results.js";
import { round, summarize } from "./lib/stats.js";

const CLIENTS = 32;
const ENTITIES = 256;
const HZ = 30;
const WARMUP_TICKS = 30;
const TICKS = 300;
const PRECISION = 0.01;
const ARENA = 2000;

// Simulated time: every clock in this process reads performance.now(); the loop moves it on to
// the next tick's start (it never goes backwards, so clocks stay monotonic).
const realNow = performance.now.bind(performance);
let skipped = 0;
performance.now = () => realNow() + skipped;
const advanceTo = (ms: number) => {
  const now = performance.now();
  if (ms > now) skipped += ms - now;
};

class Entity extends NetNode {
  position = new Vector2(0, 0);
  rotation = 0;
  score = 0;
  readonly sync = new MultiplayerSynchronizer("sync");
  constructor(name: string) {
    super(name);
    this.sync.replicationConfig = {
      position: { replicate: "always", spawn: true, precision: PRECISION },
      rotation: { replicate: "always", spawn: true, precision: PRECISION },
      score: { replicate: "on_change", spawn: true },
    };
    this.addChild(this.sync);
  }
}

/** /root/world/{entities, spawner}, built on every peer before it connects. */
function buildWorld(root: NetNode): NetNode {
  const world = root.addChild(new NetNode("world"));
  const entities = world.addChild(new NetNode("entities"));
  const spawner = new MultiplayerSpawner("spawner");
  spawner.spawnPath = "../entities";
  spawner.addSpawnable("Entity", Entity);
  world.addChild(spawner);
  return entities;
}

/** A deterministic bounce and spin; a score that changes now and then (the on_change property). */
function place(entity: Entity, index: number, frame: number): void {
  const speed = 2 + (index % 7);
  const angle = (index * 2.399963) % (2 * Math.PI);
  const bounce = (start: number, velocity: number) => {
    const span = 2 * ARENA;
    const at = (((start + velocity * frame) % span) + span) % span;
    return at <= ARENA ? at : span - at;
  };
  entity.position = new Vector2(
    bounce((index * 97) % ARENA, Math.cos(angle) * speed),
    bounce((index * 389) % ARENA, Math.sin(angle) * speed),
  );
  entity.rotation = ((index * 0.7 + frame * 0.05) % (2 * Math.PI)) - Math.PI;
  entity.score = Math.floor((frame + index) / 90);
}

/**
 * The host's poll, timed (a named function: profiles of this benchmark look under it): wall time,
 * and the process's CPU time over the same call. The machine is shared: on a busy one the wall
 * time also counts the time the OS gave other processes, the CPU time does not (it counts only
 * this process, whose other threads — GC helpers — are mostly idle during a poll).
 */
function timedPoll(host: MultiplayerAPI): { wall: number; cpu: number } {
  const cpuStart = process.cpuUsage();
  const start = realNow();
  host.poll();
  const wall = realNow() - start;
  const cpu = process.cpuUsage(cpuStart);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

const loadAverage = () => round(loadavg()[0]!, 2);

const settle = () => new Promise((resolve) => setImmediate(resolve));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000 && !condition(); i++) await settle();
  if (!condition()) throw new Error(`timed out: ${what}`);
}

interface Run {
  clients: number;
  pollMs: number[];
  /** CPU time of the same polls (see timedPoll). */
  pollCpuMs: number[];
  /** The machine's 1-minute load average at the start and the end of the run. */
  load: [number, number];
  /** The state codec alone: capture + encode the same states once, per tick (1-client run only needs it once). */
  encodeMs: number[];
  bytesPerTick: number;
  packetsPerTick: number;
}

async function run(clients: number): Promise<Run> {
  const network = new MemoryNetwork();
  const host = new MultiplayerAPI();
  host.autoPoll = false;
  const hostPeer = new MemoryMultiplayerPeer(network);
  const { roomCode } = await hostPeer.createServer({ maxPlayers: clients });
  host.peer = hostPeer;
  const hostEntities = buildWorld(host.root);
  const joined: MultiplayerAPI[] = [];
  for (let i = 0; i < clients; i++) {
    const api = new MultiplayerAPI();
    api.autoPoll = false;
    buildWorld(api.root);
    const peer = new MemoryMultiplayerPeer(network);
    await peer.createClient(roomCode);
    api.peer = peer;
    await until(() => api.connectionStatus === "connected", "client connected");
    joined.push(api);
  }
  await until(() => host.getPeers().length === clients, "host sees every client");
  const entities: Entity[] = [];
  for (let i = 0; i < ENTITIES; i++) {
    const entity = new Entity(`e${i}`);
    place(entity, i, 0);
    entities.push(hostEntities.addChild(entity));
  }
  // Count what the host hands the transport.
  let bytes = 0;
  let packets = 0;
  const send = hostPeer.send.bind(hostPeer);
  hostPeer.send = (to, data, ...rest) => {
    bytes += data.length;
    packets++;
    send(to, data, ...rest);
  };

  const specs = [
    { precision: PRECISION, name: "position" },
    { precision: PRECISION, name: "rotation" },
  ];
  let previous: Map<number, codec.EntityState> | null = null;
  const result: Run = {
    clients,
    pollMs: [],
    pollCpuMs: [],
    load: [loadAverage(), 0],
    encodeMs: [],
    bytesPerTick: 0,
    packetsPerTick: 0,
  };
  for (let frame = 1; frame <= WARMUP_TICKS + TICKS; frame++) {
    // To the next tick's start on the host's clock, then one frame of the game (not timed).
    const now = host.clock.now();
    advanceTo(performance.now() + ((Math.floor((now * HZ) / 1000) + 1) * 1000) / HZ - now);
    for (const [i, entity] of entities.entries()) place(entity, i, frame);
    const sentBefore = packets;
    const bytesBefore = bytes;
    const elapsed = timedPoll(host);
    if (packets === sentBefore) throw new Error(`frame ${frame}: the host sent nothing on a tick`);
    // The floor: the same states captured and encoded once, as one group of receivers would get them.
    const encodeStart = realNow();
    const states = new Map<number, codec.EntityState>();
    for (const [i, e] of entities.entries())
      states.set(i, codec.captureState(specs, [e.position, e.rotation]));
    const baseline = previous;
    codec.encodeSync({
      tick: frame,
      baselineTick: baseline ? frame - 1 : null,
      entries: [...states].map(([id, state]) => ({ id, specs, state, baseline: baseline?.get(id) ?? null })),
    });
    const encodeElapsed = realNow() - encodeStart;
    previous = states;
    // Delivery and the clients' polls (acks, clock pings), untimed.
    await settle();
    for (const api of joined) api.poll();
    await settle();
    if (frame > WARMUP_TICKS) {
      result.pollMs.push(elapsed.wall);
      result.pollCpuMs.push(elapsed.cpu);
      result.encodeMs.push(encodeElapsed);
      result.bytesPerTick += bytes - bytesBefore;
      result.packetsPerTick += packets - sentBefore;
    }
  }
  result.load[1] = loadAverage();
  result.bytesPerTick = Math.round(result.bytesPerTick / TICKS);
  result.packetsPerTick = Math.round(result.packetsPerTick / TICKS);
  for (const api of joined) api.peer.close();
  host.peer.close();
  await settle();
  return result;
}

const one = await run(1);
const many = await run(CLIENTS);
const ms = (samples: number[]) => {
  const s = summarize(samples);
  return { p50: round(s.median), p95: round(s.p95), max: round(s.max) };
};
const rows = [one, many].map((r) => ({
  clients: r.clients,
  ticks: r.pollMs.length,
  pollMs: ms(r.pollMs),
  pollCpuMs: ms(r.pollCpuMs),
  loadAverage: r.load,
  encodeOnceMs: ms(r.encodeMs),
  bytesPerTick: r.bytesPerTick,
  packetsPerTick: r.packetsPerTick,
}));
const ratios = {
  /** 32 clients over 1 client (p50): what each added peer costs the host. */
  clientsOverOne: round(rows[1]!.pollMs.p50 / rows[0]!.pollMs.p50, 2),
  /** Host poll at 32 clients over encoding the state once (p50): how far from the floor. */
  pollOverEncodeOnce: round(rows[1]!.pollMs.p50 / rows[1]!.encodeOnceMs.p50, 2),
};
writeResult("replication-host-micro", {
  unit: "ms inside the host's poll() on each network tick (Node, in-memory transport, simulated 30 Hz clock)",
  setup: `${ENTITIES} entities (position Vector2 + rotation at ${PRECISION} always, score on change), all moving every frame; a host with 1 then ${CLIENTS} clients in one Node process on the in-memory transport, autoPoll off, ${WARMUP_TICKS} warm-up ticks then ${TICKS} timed; packets delivered and clients polled between ticks, untimed`,
  target: { clients: CLIENTS, p95Ms: 2 },
  rows,
  ratios,
});
console.log(`Host cost per network tick, ${ENTITIES} entities, in-memory transport (ms)`);
console.table(
  rows.map((r) => ({
    clients: r.clients,
    "poll p50": r.pollMs.p50,
    "poll p95": r.pollMs.p95,
    "poll max": r.pollMs.max,
    "cpu p50": r.pollCpuMs.p50,
    "cpu p95": r.pollCpuMs.p95,
    load: r.loadAverage.join(" → "),
    "encode once p50": r.encodeOnceMs.p50,
    "bytes/tick": r.bytesPerTick,
    "packets/tick": r.packetsPerTick,
  })),
);
console.log(
  `ratios: ${CLIENTS} clients / 1 client ${ratios.clientsOverOne}, poll / encode once ${ratios.pollOverEncodeOnce}`,
);
