// Bytes per entity per tick of scene replication's SYNC packets for 200 moving 2D transforms
// (position Vector2 + rotation, precision 0.01) at 20 Hz, beside Godot 4's encoding of the same
// state (computed by lib/godot-sync.ts from Godot's wire format, cited there) and a plain msgpack
// snapshot of the same values. Deterministic: a seeded world, no clock; the bytes are counted from
// the real encoder, and every packet is decoded back and checked by a receiver's history, whose
// acknowledgements reach the sender `lag` ticks later (what picks the delta baseline).

import { encode as msgpackEncode } from "@msgpack/msgpack";
import { Vector2 } from "starwire";
// The codec MultiplayerSynchronizer sends SYNC with, and the histories that pick its baselines.
import * as codec from "starwire/state-codec";
import { godotSyncTickBytes, godotTransform2D } from "./lib/godot-sync.js";
import { writeResult } from "./lib/results.js";

const ENTITIES = 200;
const HZ = 20;
const TICKS = 200; // 10 s
const WARMUP = 10; // the first ticks carry absolute states: counted apart, as "full state"
const ARENA = 2000;
const SPECS = [
  { precision: 0.01, name: "position" },
  { precision: 0.01, name: "rotation" },
];

interface Entity {
  x: number;
  y: number;
  vx: number;
  vy: number;
  rotation: number;
  spin: number;
  moving: boolean;
}

/** xorshift32: the same world on every run. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function world(movingShare: number): Entity[] {
  const random = prng(0x5eed);
  return Array.from({ length: ENTITIES }, (_, i) => {
    const speed = 60 + random() * 180; // px/s: walking to running
    const angle = random() * 2 * Math.PI;
    return {
      x: random() * ARENA,
      y: random() * ARENA,
      vx: Math.cos(angle) * speed,
      vy: Math.sin(angle) * speed,
      rotation: random() * 2 * Math.PI - Math.PI,
      spin: (random() - 0.5) * 6, // up to ±3 rad/s
      moving: i < ENTITIES * movingShare,
    };
  });
}

function step(entities: Entity[]): void {
  const dt = 1 / HZ;
  for (const e of entities) {
    if (!e.moving) continue;
    e.x += e.vx * dt;
    e.y += e.vy * dt;
    if (e.x < 0 || e.x > ARENA) e.vx = -e.vx;
    if (e.y < 0 || e.y > ARENA) e.vy = -e.vy;
    e.rotation += e.spin * dt;
  }
}

interface Row {
  scenario: string;
  movingShare: number;
  baselineLag: number;
  starwire: number;
  starwireFullState: number;
  godot: number;
  msgpack: number;
  maxPacketBytes: number;
}

function run(scenario: string, movingShare: number, lag: number): Row {
  const entities = world(movingShare);
  const sent = new codec.SentStates();
  const received = new codec.ReceivedStates();
  const acks: Array<{ at: number; tick: number }> = [];
  const specs = new Map(entities.map((_, id) => [id, SPECS]));
  let starwire = 0;
  let full = 0;
  let godot = 0;
  let msgpack = 0;
  let maxPacketBytes = 0;
  for (let tick = 1; tick <= TICKS; tick++) {
    step(entities);
    for (const ack of acks.filter((a) => a.at === tick)) sent.acknowledge(2, ack.tick);
    const states = new Map(
      entities.map((e, id) => [id, codec.captureState(SPECS, [new Vector2(e.x, e.y), e.rotation])]),
    );
    const baseline = sent.baseline([2], tick);
    const packets = codec.encodeSync({
      tick,
      baselineTick: baseline?.tick ?? null,
      entries: [...states].map(([id, state]) => ({
        id,
        specs: SPECS,
        state,
        baseline: baseline?.states.get(id) ?? null,
      })),
    });
    sent.record(tick, [2], states);
    for (const packet of packets) {
      const result = codec.decodeSync(packet, {
        specs: (id) => specs.get(id),
        baseline: (t) => received.baseline(t),
      });
      if (!result.ok) throw new Error(`tick ${tick}: ${result.reason} ${result.message}`);
      if (received.apply(result.sync)) acks.push({ at: tick + lag, tick });
    }
    const held = received.baseline(tick);
    for (const [id, state] of states)
      if (!held || !codec.sameState(held.get(id)!, state)) throw new Error(`tick ${tick}: receiver differs`);
    const bytes = packets.reduce((sum, p) => sum + p.length, 0);
    if (tick === 1) full = bytes;
    if (tick <= WARMUP) continue;
    starwire += bytes;
    maxPacketBytes = Math.max(maxPacketBytes, ...packets.map((p) => p.length));
    godot += godotSyncTickBytes(entities.map((e) => godotTransform2D(e.x, e.y, e.rotation)));
    msgpack += msgpackEncode([tick, entities.map((e, id) => [id, e.x, e.y, e.rotation])]).length;
  }
  const perEntity = (total: number, ticks = TICKS - WARMUP) => Number((total / ticks / ENTITIES).toFixed(3));
  return {
    scenario,
    movingShare,
    baselineLag: lag,
    starwire: perEntity(starwire),
    starwireFullState: perEntity(full, 1),
    godot: perEntity(godot),
    msgpack: perEntity(msgpack),
    maxPacketBytes,
  };
}

const rows = [
  run("all moving, acknowledged 1 tick back", 1, 1),
  run("all moving, baseline 3 ticks back (~100 ms RTT)", 1, 3),
  run("a quarter moving, baseline 3 ticks back", 0.25, 3),
  run("all idle, baseline 3 ticks back", 0, 3),
];
writeResult("replication-bytes", {
  unit: "bytes per entity per tick (packet headers included, amortized over the tick's packets)",
  setup: `${ENTITIES} entities, position Vector2 + rotation at precision ${SPECS[0]!.precision}, ${HZ} Hz, ${TICKS} ticks (the first ${WARMUP} not counted), speeds 60–240 px/s, spins up to ±3 rad/s, one receiver group`,
  godotSource:
    "computed by bench/lib/godot-sync.ts from Godot 4's SceneReplicationInterface::_send_sync (modules/multiplayer/scene_replication_interface.cpp): every synchronizer every interval, [net id u32][size u32] + encode_and_compress_variants, 3-byte packet header, 1350-byte sync MTU",
  msgpackSource: "@msgpack/msgpack of [tick, [[id, x, y, rotation] for each entity]] every tick",
  targets: { moving: "≤ 6", idle: "< 1" },
  rows,
});
console.log("\nScene replication: bytes per entity per tick (200 entities, 2D transform at 0.01, 20 Hz)\n");
console.log(
  "| scenario | Starwire | Godot 4 (computed) | plain msgpack | Starwire full state (first tick) |",
);
console.log("|---|---|---|---|---|");
for (const r of rows)
  console.log(`| ${r.scenario} | ${r.starwire} | ${r.godot} | ${r.msgpack} | ${r.starwireFullState} |`);
