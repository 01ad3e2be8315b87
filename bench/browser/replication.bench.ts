// Scene replication through real synchronizers and real WebRTC (the world of the e2e specs,
// tests/e2e/harness/replication-world.ts: Entity = position Vector2 + rotation at precision 0.01,
// sent always; a hue on change):
//
//   host cost   Chromium host, Node clients, 256 entities moving every frame at 30 Hz: time inside
//               the host's poll() on each network tick (the game loop is the page's, autoPoll off),
//               as clients are added (8, 16, 32)
//   late join   ms from a late joiner's connectedToServer to its complete world (256 entities
//               spawned, then each synchronized once), Node and Chromium joiners, the world moving
//   wire bytes  Node host and client at 20 Hz: the SYNC bytes the host's synchronizers hand the
//               transport per entity per tick, all moving then all idle, beside the codec-level
//               figures of bench/replication-bytes.ts (summary.ts puts them side by side)
//
// Whatever the SDK sends is measured: SYNC's state encoding is the SDK's (the quantizing state
// codec, deltas against the tick each receiver acknowledged), so the bytes change with it.
import { loadavg } from "node:os";
import { type Browser, test } from "@playwright/test";
import { MultiplayerAPI, type MultiplayerPeer, WebRTCMultiplayerPeer } from "starwire/node";
import { Extended, extendedHead } from "../../packages/starwire/dist/wire/commands.js";
import {
  buildWorld,
  Entity,
  moveTo,
  populate,
  type World,
  type WorldState,
  worldDiff,
  worldState,
} from "../../tests/e2e/harness/replication-world.js";
import { writeResult } from "../lib/results.js";
import { round, summarize } from "../lib/stats.js";
import { chromiumVersion, openBenchTab, signalingUrl } from "./shared.js";

const ENTITIES = 256;
/** Clients at which the host cost is measured, added one after the other to the same game. */
const CLIENT_STEPS = (process.env.REPLICATION_BENCH_CLIENTS ?? "8,16,32").split(",").map(Number);
const SECONDS_PER_STEP = 4;
const LATE_JOINS = 5;

/** A Node peer with the world built, recording what would make a wait hopeless. */
interface NodePeer {
  api: MultiplayerAPI;
  world: World;
  failures: string[];
  peer: WebRTCMultiplayerPeer;
}

function nodePeer(): NodePeer {
  const api = new MultiplayerAPI();
  const world = buildWorld(api.root);
  const failures: string[] = [];
  api.on("connectionFailed", (reason, message) => failures.push(`connectionFailed ${reason} ${message}`));
  api.on("serverDisconnected", () => failures.push("serverDisconnected"));
  api.on("rejected", (r) => failures.push(`rejected ${r.reason}: ${r.message}`));
  const peer = new WebRTCMultiplayerPeer({ signalingUrl, bindAddress: "127.0.0.1", iceServers: [] });
  return { api, world, failures, peer };
}

async function joinNode(roomCode: string): Promise<NodePeer> {
  const node = nodePeer();
  node.api.peer = node.peer;
  await node.peer.createClient(roomCode);
  await node.api.whenConnected(); // or throws with the reason
  return node;
}

/** Polls `condition` (no event says "these worlds are equal"), failing at once when a peer broke. */
async function until(peers: NodePeer[], condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const failures = peers.flatMap((p) => p.failures);
    if (failures.length > 0) throw new Error(`${what}: ${failures.join("; ")}`);
    if (condition()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sameWorld = (expected: WorldState, peer: NodePeer) =>
  worldDiff(expected, worldState(peer.world)).length === 0;

async function chromiumHost(browser: Browser, maxPlayers: number) {
  const host = await openBenchTab(browser);
  await host.evaluate(() => window.bench.replication.setup());
  const roomCode = await host.evaluate((n) => window.bench.host(n), maxPlayers);
  await host.evaluate((n) => window.bench.replication.populate(n), ENTITIES);
  return { host, roomCode };
}

test("host cost per network tick: Chromium host, Node clients, 256 entities at 30 Hz", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const { host, roomCode } = await chromiumHost(browser, 64);
  const clients: NodePeer[] = [];
  const rows = [];
  let stoppedAt: { clients: number; reason: string } | null = null;
  try {
    for (const target of CLIENT_STEPS) {
      try {
        while (clients.length < target) clients.push(await joinNode(roomCode));
        // Measured once every client holds the whole world (256 spawns each).
        await until(
          clients,
          () => clients.every((c) => c.world.entities.children.length === ENTITIES),
          "worlds",
        );
      } catch (error) {
        stoppedAt = { clients: clients.length, reason: (error as Error).message };
        break;
      }
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const times = await host.evaluate((s) => window.bench.replication.run(s), SECONDS_PER_STEP);
      const wall = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      // The measurement counts only if the clients kept up: every one reaches the host's world.
      const expected = await host.evaluate(() => window.bench.replication.state());
      await until(
        clients,
        () => clients.every((c) => sameWorld(expected, c)),
        "clients reach the host's world",
      );
      const poll = summarize(times.pollMs);
      const send = summarize(times.sendMs);
      // The SDK's own work in the tick: poll without the transport's send() calls.
      const own = summarize(times.pollMs.map((ms, i) => ms - times.sendMs[i]!));
      const probe = summarize(times.probeMs);
      rows.push({
        clients: clients.length,
        entities: ENTITIES,
        ticks: times.pollMs.length,
        idlePolls: times.idlePolls,
        pollMs: { p50: round(poll.median, 4), p95: round(poll.p95, 4), max: round(poll.max, 4) },
        transportSendMs: { p50: round(send.median, 4), p95: round(send.p95, 4) },
        withoutSendMs: { p50: round(own.median, 4), p95: round(own.p95, 4) },
        // Fixed JavaScript work timed after each poll (page/replication.ts, TickTimes.probeMs):
        // over its quiet time, how much the tab's thread was kept off the CPU by contention.
        probeMs: {
          quiet: round(times.probeQuietMs, 4),
          p50: round(probe.median, 4),
          p95: round(probe.p95, 4),
          p95OverQuiet: round(probe.p95 / times.probeQuietMs, 2),
        },
        syncEncodesPerTick: {
          mean: round(times.syncEncodes.reduce((a, b) => a + b, 0) / times.syncEncodes.length, 2),
          max: Math.max(...times.syncEncodes),
        },
        bytesPerTick: Math.round(times.bytes / times.pollMs.length),
        packetsPerTick: round(times.packets / times.pollMs.length, 1),
        nodeClientsCpuPercent: round(((cpu.user + cpu.system) / 1e6 / wall) * 100, 1),
        // The machine is shared: its 1-minute load as the step ended says how far to trust it.
        loadAverage: round(loadavg()[0]!, 2),
      });
    }
  } finally {
    for (const client of clients) client.api.peer = null;
    await host.context().close();
  }
  writeResult(
    "replication-host-cost",
    {
      unit: "ms inside the Chromium host's multiplayer.poll() on each network tick (30 Hz), Node clients",
      setup: `${ENTITIES} entities (position Vector2 + rotation at 0.01 always, hue on change), all moving every frame; the page's game loop wakes at each tick's start, moves the world (not timed), times poll() and, within it, the transport's send() calls; ${SECONDS_PER_STEP} s per client count, clients added to the same game; after each step every client must hold the host's world`,
      target: { p95Ms: 2, clients: 32 },
      machineNote:
        "Every Node client runs in the one Playwright worker process (nodeClientsCpuPercent), on the same 2 shared cores as Chromium: pollMs counts time the host tab was kept off the CPU too; probeMs (fixed work, no SDK code, same ticks) shows how much; syncEncodesPerTick counts the SYNC groups the host encoded (one per distinct baseline: clients that cannot keep up acknowledge different ticks)",
      stoppedAt,
      rows,
    },
    chromiumVersion(browser),
  );
  console.log(
    "\nScene replication host cost (Chromium host, 256 entities, 30 Hz; target p95 ≤ 2 ms at 32 clients)",
  );
  console.log(
    "| clients | ticks | poll ms p50 | p95 | max | of which transport send() p50 | p95 | without send() p50 | p95 | probe p50 | p95 | p95/quiet | SYNC encodes/tick mean | max | bytes/tick | packets/tick | Node clients CPU % | load |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows)
    console.log(
      `| ${r.clients} | ${r.ticks} | ${r.pollMs.p50} | ${r.pollMs.p95} | ${r.pollMs.max} | ${r.transportSendMs.p50} | ${r.transportSendMs.p95} | ${r.withoutSendMs.p50} | ${r.withoutSendMs.p95} | ${r.probeMs.p50} | ${r.probeMs.p95} | ${r.probeMs.p95OverQuiet} | ${r.syncEncodesPerTick.mean} | ${r.syncEncodesPerTick.max} | ${r.bytesPerTick} | ${r.packetsPerTick} | ${r.nodeClientsCpuPercent} | ${r.loadAverage} |`,
    );
  if (rows.length > 0) console.log(`probe quiet time (before any client): ${rows[0]!.probeMs.quiet} ms`);
  if (stoppedAt) console.log(`stopped at ${stoppedAt.clients} clients: ${stoppedAt.reason}`);
});

test("late joiner: connectedToServer to the complete world (256 entities)", async ({ browser }) => {
  test.setTimeout(120_000);
  const { host, roomCode } = await chromiumHost(browser, 16);
  const early = await joinNode(roomCode); // the game already has a player
  const node: Array<{ spawnedMs: number; synchronizedMs: number }> = [];
  const chromium: Array<{ spawnedMs: number; synchronizedMs: number }> = [];
  try {
    await host.evaluate(() => window.bench.replication.startMoving(1000 / 30));
    for (let run = 0; run < LATE_JOINS; run++) {
      // A Node joiner: its clock starts at connectedToServer.
      const late = nodePeer();
      const times = { connected: 0, spawned: 0, synchronized: 0 };
      const synchronized = new Set<string>();
      late.api.once("connectedToServer", () => {
        times.connected = performance.now();
      });
      late.world.spawner.on("spawned", (entity) => {
        if (!(entity instanceof Entity)) return;
        if (late.world.entities.children.length === ENTITIES) times.spawned = performance.now();
        entity.sync.once("synchronized", () => {
          synchronized.add(entity.name);
          if (synchronized.size === ENTITIES) times.synchronized = performance.now();
        });
      });
      late.api.peer = late.peer;
      await late.peer.createClient(roomCode);
      await late.api.whenConnected();
      await until([late], () => times.synchronized > 0 && times.spawned > 0, "Node late joiner's world");
      node.push({
        spawnedMs: times.spawned - times.connected,
        synchronizedMs: times.synchronized - times.connected,
      });
      late.api.peer = null;

      // A Chromium joiner, timed in its own tab.
      const tab = await openBenchTab(browser);
      await tab.evaluate(() => window.bench.replication.setup());
      chromium.push(
        await tab.evaluate(
          async ({ code, n }) => {
            const complete = window.bench.replication.lateJoinTimes(n);
            await window.bench.join(code); // throws with the reason on failure
            return complete;
          },
          { code: roomCode, n: ENTITIES },
        ),
      );
      await tab.context().close();
    }
    if (early.failures.length > 0) throw new Error(early.failures.join("; "));
  } finally {
    early.api.peer = null;
    await host.context().close();
  }
  const summary = (runs: typeof node) => {
    const spawned = summarize(runs.map((r) => r.spawnedMs));
    const synced = summarize(runs.map((r) => r.synchronizedMs));
    return {
      spawnedMs: { median: round(spawned.median, 1), max: round(spawned.max, 1) },
      synchronizedMs: { median: round(synced.median, 1), max: round(synced.max, 1) },
      runs: runs.map((r) => [round(r.spawnedMs, 1), round(r.synchronizedMs, 1)]),
    };
  };
  const rows = [
    { joiner: "Node", ...summary(node) },
    { joiner: "Chromium", ...summary(chromium) },
  ];
  writeResult(
    "replication-late-join",
    {
      unit: "ms on the late joiner's clock from its connectedToServer",
      setup: `Chromium host, ${ENTITIES} entities moving at 30 Hz (default tickRate), one Node client already in; ${LATE_JOINS} late joiners of each kind, one at a time; spawned = all ${ENTITIES} in the tree with their spawn state, synchronized = each one's synchronizer applied a SYNC too`,
      rows,
    },
    chromiumVersion(browser),
  );
  console.log(`\nLate joiner: connectedToServer → complete world (${ENTITIES} entities), ms`);
  console.log("| joiner | all spawned median | max | all synchronized median | max |");
  console.log("|---|---|---|---|---|");
  for (const r of rows)
    console.log(
      `| ${r.joiner} | ${r.spawnedMs.median} | ${r.spawnedMs.max} | ${r.synchronizedMs.median} | ${r.synchronizedMs.max} |`,
    );
});

const SYNC = extendedHead(Extended.SYNC);
const DELTA = extendedHead(Extended.DELTA);
const SYNC_ACK = extendedHead(Extended.SYNC_ACK);
const WIRE_ENTITIES = 200;
const WIRE_HZ = 20;
const WIRE_TICKS = 100;

/** Bytes a peer hands its transport, by first byte. */
function countSends(peer: MultiplayerPeer) {
  const byHead = new Map<number, { bytes: number; packets: number }>();
  const send = peer.send.bind(peer);
  peer.send = (to, data, ...rest) => {
    const entry = byHead.get(data[0]!) ?? { bytes: 0, packets: 0 };
    entry.bytes += data.length;
    entry.packets++;
    byHead.set(data[0]!, entry);
    send(to, data, ...rest);
  };
  return {
    take(head: number) {
      const entry = byHead.get(head) ?? { bytes: 0, packets: 0 };
      return { ...entry };
    },
    reset: () => byHead.clear(),
  };
}

test("bytes per entity per tick on the wire through real synchronizers (20 Hz, precision 0.01)", async () => {
  test.setTimeout(120_000);
  const host = nodePeer();
  const { roomCode } = await host.peer.createServer({ maxPlayers: 4 });
  host.api.peer = host.peer;
  const client = nodePeer();
  for (const api of [host.api, client.api]) api.tickRate = WIRE_HZ;
  const rows = [];
  try {
    client.api.peer = client.peer;
    await client.peer.createClient(roomCode);
    await client.api.whenConnected();
    populate(host.world, WIRE_ENTITIES);
    await until([host, client], () => sameWorld(worldState(host.world), client), "the client's world");
    host.api.autoPoll = false;
    const hostSends = countSends(host.api.peer);
    const clientSends = countSends(client.api.peer);
    let frame = 0;
    /** The host's game loop for `ticks` network ticks: wake at the tick, move (or not), poll. */
    const play = async (ticks: number, moving: boolean) => {
      let last = host.api.clock.tick;
      const deadline = performance.now() + (ticks * 3000) / WIRE_HZ;
      for (let done = 0; done < ticks; ) {
        if (performance.now() > deadline) throw new Error(`${ticks} ticks took over three times their time`);
        const now = host.api.clock.now();
        const next = ((Math.floor((now * WIRE_HZ) / 1000) + 1) * 1000) / WIRE_HZ;
        await new Promise((resolve) => setTimeout(resolve, next - now + 0.5));
        // A tick is due when the tick number moved on (a timer may wake a hair early: no tick then).
        const tick = host.api.clock.tick;
        if (tick > last) {
          last = tick;
          done++;
          if (moving) moveTo(host.world, ++frame);
        }
        host.api.poll();
      }
    };
    for (const moving of [true, false]) {
      await play(WIRE_TICKS / 5, moving); // settle: acknowledgements and baselines of this phase
      hostSends.reset();
      clientSends.reset();
      await play(WIRE_TICKS, moving);
      const sync = hostSends.take(SYNC);
      const delta = hostSends.take(DELTA);
      const ack = clientSends.take(SYNC_ACK);
      rows.push({
        scenario: moving ? "all moving" : "all idle",
        syncBytesPerEntityPerTick: round(sync.bytes / WIRE_TICKS / WIRE_ENTITIES, 3),
        syncPacketsPerTick: round(sync.packets / WIRE_TICKS, 2),
        deltaBytesPerTick: round(delta.bytes / WIRE_TICKS, 2),
        ackBytesPerTick: round(ack.bytes / WIRE_TICKS, 2),
      });
    }
    await until(
      [host, client],
      () => sameWorld(worldState(host.world), client),
      "the client's world at the end",
    );
  } finally {
    client.api.peer = null;
    host.api.peer = null;
  }
  writeResult("replication-wire", {
    unit: "bytes of SYNC packets the host hands its transport to one client, per entity per tick (headers included)",
    setup: `Node host and one Node client over WebRTC on loopback, ${WIRE_ENTITIES} entities (position Vector2 + rotation at precision 0.01 always, a hue on change), ${WIRE_HZ} Hz, ${WIRE_TICKS} ticks per scenario after ${WIRE_TICKS / 5} to settle; the host's game loop moves every entity each tick (or none)`,
    encoding:
      "what the SDK's synchronizers send: the quantizing state codec (deltas against the acknowledged tick, idle entities left out), headers and the header-only packet of an idle tick included",
    targets: { moving: "≤ 6", idle: "< 1" },
    rows,
  });
  console.log(
    `\nScene replication on the wire: SYNC bytes per entity per tick (${WIRE_ENTITIES} entities, 0.01, ${WIRE_HZ} Hz; targets ≤ 6 moving, < 1 idle)`,
  );
  console.log(
    "| scenario | SYNC B/entity/tick | SYNC packets/tick | DELTA B/tick | SYNC_ACK B/tick (client) |",
  );
  console.log("|---|---|---|---|---|");
  for (const r of rows)
    console.log(
      `| ${r.scenario} | ${r.syncBytesPerEntityPerTick} | ${r.syncPacketsPerTick} | ${r.deltaBytesPerTick} | ${r.ackBytesPerTick} |`,
    );
});
