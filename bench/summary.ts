// Reads bench/results/*.json and writes SUMMARY.md (also printed) and the SVG charts.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RESULTS_DIR } from "./lib/results.js";
import { histogram } from "./lib/stats.js";

// biome-ignore lint/suspicious/noExplicitAny: result files are read back as loose JSON
type Json = Record<string, any>;

function read(name: string): Json | null {
  const file = join(RESULTS_DIR, `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Json) : null;
}

const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
const lines: string[] = [];
const out = (line = "") => lines.push(line);

const machine = (read("rpc-round-trip") ?? read("codec-node") ?? read("bytes-per-rpc"))?.machine;
out("# Starwire benchmark summary");
out();
if (machine) {
  out(
    `${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ${machine.chromium ?? "no Chromium"}, ${machine.date}.`,
  );
  out(
    "Ratios are SDK / raw, measured side by side in the same run; absolute numbers vary with machine load.",
  );
}
const loads = [
  "bytes-per-rpc",
  "codec-node",
  "signaling-load",
  "signaling-redis",
  "codec-chromium",
  "reconnect",
  "host-scaling",
  "rpc-round-trip",
  "throughput",
  "connect-time",
  "replication-host-cost",
  "replication-host-micro",
  "replication-late-join",
  "replication-wire",
]
  .map((name) => [name, read(name)?.machine?.loadAverage] as const)
  .filter(([, load]) => typeof load === "number");
if (loads.length > 0) {
  out(
    `The machine is shared; its 1-minute load average as each result was written: ${loads.map(([name, load]) => `${name} ${load}`).join(", ")}.`,
  );
}
const started = Number(process.env.BENCH_STARTED);
if (started) {
  const seconds = Math.round(Date.now() / 1000 - started);
  out();
  out(`This run of \`npm run bench\` took ${Math.floor(seconds / 60)} min ${seconds % 60} s.`);
}

const rtt = read("rpc-round-trip");
if (rtt) {
  out();
  out(`## 1. RPC round trip, client → host → client (ms, ${rtt.clockResolution} clock)`);
  out();
  out(
    "SDK and raw round trips alternate (SDK first on even iterations, raw first on odd); medians are the mean of the two middle values, p95/p99 by nearest rank. Lost: no answer within 1 s.",
  );
  out();
  out(
    "| channel | SDK median | raw median | ratio | SDK p95 | raw p95 | SDK p99 | raw p99 | ratio p99 | lost SDK / raw | targets (≤ 1.10 median, ≤ 1.25 p99) |",
  );
  out("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const lane of ["reliable", "unreliable"]) {
    const l = rtt[lane];
    out(
      `| ${lane} | ${l.sdk.median} | ${l.raw.median} | ${l.ratio.median} | ${l.sdk.p95} | ${l.raw.p95} | ${l.sdk.p99} | ${l.raw.p99} | ${l.ratio.p99} | ${l.lost.sdk} / ${l.lost.raw} of ${rtt.roundTrips ?? l.sdk.count + l.lost.sdk} | ${verdict(l.ratio.median <= 1.1)} / ${verdict(l.ratio.p99 <= 1.25)} |`,
    );
  }
  writeFileSync(join(RESULTS_DIR, "rpc-round-trip.svg"), histogramChart(rtt.reliable.samples));
  out();
  out("![round-trip distribution](rpc-round-trip.svg)");
}

const throughput = read("throughput");
if (throughput) {
  const { ratio, pairs } = throughput;
  const counted = (pairs as Json[]).filter((pair) => !pair.warmup);
  out();
  out(
    `## 2. Throughput, ${throughput.messages.toLocaleString("en")} small reliable messages client → host (${counted.length} pairs)`,
  );
  out();
  out(
    "Each pair is one SDK run and one raw run back to back, alternating which goes first; the ratio is SDK / raw within the pair. No pair is excluded; pair 0 is a warm-up, shown but not counted.",
  );
  out();
  out("| pair | first | SDK msgs/s | raw msgs/s | ratio |");
  out("|---|---|---|---|---|");
  (pairs as Json[]).forEach((pair, i) => {
    out(
      `| ${i}${pair.warmup ? " (warm-up)" : ""} | ${pair.first} | ${pair.sdk.toLocaleString("en")} | ${pair.raw.toLocaleString("en")} | ${pair.ratio} |`,
    );
  });
  out();
  out("| | median | quartiles | range | target ≥ 0.8 (median) |");
  out("|---|---|---|---|---|");
  out(
    `| ratio | ${ratio.median} | ${ratio.q1} – ${ratio.q3} | ${ratio.min} – ${ratio.max} | ${verdict(ratio.median >= 0.8)} |`,
  );
  if (throughput.ratioBySideFirst) {
    for (const side of ["sdk", "raw"]) {
      const v = throughput.ratioBySideFirst[side];
      out(
        `| ratio, ${side === "sdk" ? "SDK" : "raw"} first | ${v.median} | ${v.q1} – ${v.q3} | ${v.min} – ${v.max} | |`,
      );
    }
  }
  for (const side of ["sdk", "raw"]) {
    const v = throughput[side];
    out(
      `| ${side === "sdk" ? "SDK" : "raw"} msgs/s | ${v.median.toLocaleString("en")} | ${v.q1.toLocaleString("en")} – ${v.q3.toLocaleString("en")} | ${v.min.toLocaleString("en")} – ${v.max.toLocaleString("en")} | |`,
    );
  }
}

const connect = read("connect-time");
if (connect) {
  out();
  out(`## 3. Connect time (ms, ${connect.sdk.count} of each, order alternating)`);
  out();
  out("| SDK median | raw simple-peer median | ratio | target ≤ 1.2 |");
  out("|---|---|---|---|");
  out(
    `| ${connect.sdk.median} | ${connect.raw.median} | ${connect.ratio.median} | ${verdict(connect.ratio.median <= 1.2)} |`,
  );
}

const bytes = read("bytes-per-rpc");
if (bytes) {
  out();
  out("## 4. Bytes on the wire per RPC (path cache confirmed)");
  out();
  out(
    "Starwire: measured from the SDK's encoder. Godot 4: computed by `bench/lib/godot-wire.ts` from Godot's rules (`SceneRPCInterface::_send_rpc`, `MultiplayerAPI::encode_and_compress_variant`, `encode_variant`). Relay: a client-to-client call minus the same call to the host, on each leg.",
  );
  out();
  out("| arguments | Starwire | Godot 4 | Starwire relay adds (→ host, → client) |");
  out("|---|---|---|---|");
  for (const row of bytes.results)
    out(
      `| ${row.arguments} | ${row.starwire} | ${row.godot ?? "—"} | ${row.relay ? `${row.relay.clientToHost}, ${row.relay.hostToClient}` : "—"} |`,
    );
  if (typeof bytes.relayOverhead === "object") {
    out();
    out(
      `Relay overhead: Starwire ${bytes.relayOverhead.starwire} bytes per leg (measured), Godot 4 ${bytes.relayOverhead.godot} (SceneMultiplayer::send_command / _process_sys).`,
    );
  }
}

const replication = read("replication-bytes");
if (replication) {
  out();
  out("## 4b. Scene replication: bytes per entity per tick");
  out();
  out(
    `${replication.setup}. Starwire: measured from the SYNC encoder (quantized deltas against the acknowledged tick, idle entities left out). Godot 4: ${replication.godotSource}. Plain msgpack: ${replication.msgpackSource}. Targets: moving ${replication.targets.moving}, idle ${replication.targets.idle}.`,
  );
  out();
  out("| scenario | Starwire | Godot 4 | plain msgpack | Starwire full state |");
  out("|---|---|---|---|---|");
  for (const row of replication.rows)
    out(`| ${row.scenario} | ${row.starwire} | ${row.godot} | ${row.msgpack} | ${row.starwireFullState} |`);
}

const wire = read("replication-wire");
if (wire) {
  out();
  out("## 4c. Scene replication through real synchronizers (on the wire)");
  out();
  out(
    `${wire.setup}. Measured: ${wire.unit}; the encoding is ${wire.encoding}. Beside it the codec-level figures of 4b (the state codec alone, same transform and precision). Targets: moving ${wire.targets.moving}, idle ${wire.targets.idle}.`,
  );
  out();
  out(
    "| scenario | synchronizers on the wire | state codec (4b) | Godot 4 (4b) | plain msgpack (4b) | target |",
  );
  out("|---|---|---|---|---|---|");
  const codecRow = (moving: boolean) =>
    (replication?.rows as Json[] | undefined)?.find((r) => r.movingShare === (moving ? 1 : 0));
  for (const row of wire.rows as Json[]) {
    const moving = row.scenario === "all moving";
    const codec = codecRow(moving);
    const target = moving ? 6 : 1;
    const met = moving ? row.syncBytesPerEntityPerTick <= target : row.syncBytesPerEntityPerTick < target;
    out(
      `| ${row.scenario} | ${row.syncBytesPerEntityPerTick} | ${codec?.starwire ?? "—"} | ${codec?.godot ?? "—"} | ${codec?.msgpack ?? "—"} | ${moving ? "≤" : "<"} ${target}: ${verdict(met)} |`,
    );
  }
}

const hostCost = read("replication-host-cost");
if (hostCost) {
  out();
  out("## 4d. Scene replication: host cost per network tick (Chromium host, Node clients)");
  out();
  out(`${hostCost.setup}. ${hostCost.machineNote}.`);
  if (hostCost.stoppedAt)
    out(`Stopped adding clients at ${hostCost.stoppedAt.clients}: ${hostCost.stoppedAt.reason}.`);
  out();
  out(
    "| clients | ticks | poll() ms p50 | p95 | max | of which transport send() p50 | p95 | bytes sent per tick | packets per tick | machine load | target p95 ≤ 2 ms at 32 |",
  );
  out("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of hostCost.rows as Json[])
    out(
      `| ${r.clients} | ${r.ticks} | ${r.pollMs.p50} | ${r.pollMs.p95} | ${r.pollMs.max} | ${r.transportSendMs?.p50 ?? "—"} | ${r.transportSendMs?.p95 ?? "—"} | ${r.bytesPerTick} | ${r.packetsPerTick} | ${r.loadAverage ?? "—"} | ${r.clients === hostCost.target.clients ? verdict(r.pollMs.p95 <= hostCost.target.p95Ms) : ""} |`,
    );
}

const hostMicro = read("replication-host-micro");
if (hostMicro) {
  out();
  out("## 4d'. Scene replication: the host's own cost per network tick (Node, in-memory transport)");
  out();
  out(`${hostMicro.unit}. ${hostMicro.setup}.`);
  out();
  out(
    "| clients | ticks | poll() ms p50 | p95 | max | encoding the state once, p50 | bytes sent per tick | packets per tick |",
  );
  out("|---|---|---|---|---|---|---|---|");
  for (const r of hostMicro.rows as Json[])
    out(
      `| ${r.clients} | ${r.ticks} | ${r.pollMs.p50} | ${r.pollMs.p95} | ${r.pollMs.max} | ${r.encodeOnceMs.p50} | ${r.bytesPerTick} | ${r.packetsPerTick} |`,
    );
  out();
  out(
    `Ratios (p50): ${hostMicro.target.clients} clients / 1 client ${hostMicro.ratios.clientsOverOne}; poll() at ${hostMicro.target.clients} clients / encoding the state once ${hostMicro.ratios.pollOverEncodeOnce}.`,
  );
}

const lateJoin = read("replication-late-join");
if (lateJoin) {
  out();
  out("## 4e. Scene replication: late joiner, connectedToServer to the complete world");
  out();
  out(`${lateJoin.setup}. ${lateJoin.unit}.`);
  out();
  out("| joiner | all spawned, median ms | max | all synchronized, median ms | max |");
  out("|---|---|---|---|---|");
  for (const r of lateJoin.rows as Json[])
    out(
      `| ${r.joiner} | ${r.spawnedMs.median} | ${r.spawnedMs.max} | ${r.synchronizedMs.median} | ${r.synchronizedMs.max} |`,
    );
}

const codecNode = read("codec-node");
const codecChromium = read("codec-chromium");
if (codecNode || codecChromium) {
  out();
  out("## 5. Codec: encode + decode operations per second (bytes per payload)");
  out();
  out(
    "Each codec runs twice per payload, in a rotating order and then its reverse; the mean is shown. @msgpack/msgpack reuses one Encoder and one Decoder.",
  );
  out();
  out("| payload | codec | Node | Chromium | bytes |");
  out("|---|---|---|---|---|");
  const rows = (codecNode ?? codecChromium)!.rows as Json[];
  for (const row of rows) {
    const other = (codecChromium?.rows as Json[] | undefined)?.find(
      (r) => r.payload === row.payload && r.codec === row.codec,
    );
    out(
      `| ${row.payload} | ${row.codec} | ${codecNode ? row.opsPerSecond.toLocaleString("en") : "—"} | ${other ? other.opsPerSecond.toLocaleString("en") : "—"} | ${row.bytes} |`,
    );
  }
}

const scaling = read("host-scaling");
if (scaling) {
  out();
  out("## 6. Host scaling: Chromium host, N Node clients, state of N entities at 30 Hz (unreliable)");
  out();
  out(
    "State age: host send call → client handler, the host's clock calibrated to the client's (min-RTT ping-pong before and after; ± is the calibration's error bound). Browser CPU: every Chromium process (browser, renderers, GPU, utility), 100 % = one core; main thread: the host tab's renderer main thread only; Node: the one process running all clients.",
  );
  out();
  out(
    "| clients | host ms/tick p50 | p95 | state age p50 ms | p95 ms | states received / sent | browser CPU % | host main thread % | Node clients CPU % | host heap MB |",
  );
  out("|---|---|---|---|---|---|---|---|---|---|");
  for (const r of scaling.rows) {
    const bound = r.clock ? ` ± ${r.clock.errorBoundMs}` : "";
    out(
      `| ${r.clients} | ${r.tickMs.p50} | ${r.tickMs.p95} | ${r.stateAgeMs.p50}${bound} | ${r.stateAgeMs.p95}${bound} | ${r.statesReceived} / ${r.statesSent} | ${r.browserCpuPercent ?? "—"} | ${r.hostMainThreadBusyPercent ?? r.hostCpuPercent} | ${r.nodeClientsCpuPercent ?? "—"} | ${r.hostHeapMb} |`,
    );
  }
  writeFileSync(join(RESULTS_DIR, "host-scaling.svg"), scalingChart(scaling.rows));
  out();
  out("![host scaling](host-scaling.svg)");
}

const signaling = read("signaling-load");
if (signaling) {
  out();
  out("## 7. Signaling server on one core");
  out();
  const { idle } = signaling;
  out(
    `Idle: ${idle.socketsHeld} sockets held (${idle.failed} failed), ${idle.kbPerIdleSocket} KB of server memory each.`,
  );
  out();
  if (signaling.churnMethod) out(`Churn: ${signaling.churnMethod}.`);
  out();
  out(
    "| generator processes (cores, nice) | creates/s | joins/s | join p50 ms | p99 ms | errors | server CPU % | generators CPU % | other processes CPU % | server CPU ms per join | limited by |",
  );
  out("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const run of (signaling.churnRuns as Json[] | undefined) ?? [signaling.churn]) {
    out(
      `| ${run.generatorProcesses ?? 1} (${run.generatorCores ?? "1"}, ${run.generatorNice ?? 0}) | ${run.createsPerSecond} | ${run.joinsPerSecond} | ${run.joinLatencyMs.p50} | ${run.joinLatencyMs.p99} | ${run.errors} | ${run.serverCpuPercent} | ${run.generatorCpuPercent ?? "—"} | ${run.otherCpuPercent ?? "—"} | ${run.serverCpuMsPerJoin ?? "—"} | ${run.limitedBy ?? "—"} |`,
    );
  }
}

const sharedSignaling = read("signaling-redis");
if (sharedSignaling) {
  out();
  out("### Signaling with rooms in Redis");
  out();
  out(`${sharedSignaling.method}; ${sharedSignaling.unit}.`);
  out();
  out(
    "| setup | joins/s | join p50 ms | p99 ms | errors | servers CPU % | redis CPU % | generators CPU % | other processes CPU % | server CPU µs per cycle | limited by | Redis round trips (EVALSHA) per cycle | stream entries (XADD) per cycle |",
  );
  out("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  const setups: [string, Json][] = [
    ["one process, rooms in memory", sharedSignaling.inMemory],
    ["one process, rooms in Redis", sharedSignaling.oneWithRedis],
    ["two processes, one Redis (clients on the other process)", sharedSignaling.twoWithRedis],
  ];
  for (const [name, run] of setups) {
    out(
      `| ${name} | ${run.joinsPerSecond} | ${run.joinLatencyMs.p50} | ${run.joinLatencyMs.p99} | ${run.errors} | ${run.serverCpuPercent.join(" + ")} | ${run.redisCpuPercent} | ${run.generatorCpuPercent} | ${run.otherCpuPercent ?? "—"} | ${run.serverCpuUsPerCycle ?? "—"} | ${run.limitedBy ?? "—"} | ${run.evalshaPerCycle} | ${run.xaddPerCycle} |`,
    );
  }
  out();
  out(
    `Redis / memory joins per second: ${sharedSignaling.redisOverMemoryJoinsRatio} (target ≥ 0.7). One cycle is four room store steps (create, join, the client's drop, the host's leave), one round trip each. Idle sockets with the adapter on: ${sharedSignaling.idleWithAdapter.held} held, ${sharedSignaling.idleWithAdapter.kbPerIdleSocket} KB each.`,
  );
}

const reconnect = read("reconnect");
if (reconnect) {
  out();
  out("## 8. Reconnect: first RPC after a total cut, and join success");
  out();
  out("| platform | cut | runs (ms from link restored to first RPC delivered) | median ms | target ≤ 1000 |");
  out("|---|---|---|---|---|");
  for (const r of reconnect.rows) {
    out(
      `| ${r.platform} | ${r.cutMs / 1000} s | ${r.runs.join(", ")} | ${r.medianMs} | ${verdict(r.medianMs <= 1000)} |`,
    );
  }
  const { attempted, connected } = reconnect.joins;
  out();
  out(
    `Joins in this benchmark: ${connected} of ${attempted} connected (${verdict(connected === attempted)}).`,
  );
}

const relay = read("turn-relay");
if (relay) {
  out();
  out(
    "## TURN relay versus direct (Chromium host, Node client, on loopback; relay-only at both ends through coturn)",
  );
  out();
  out("| | direct median | relay median | ratio | direct p99 | relay p99 |");
  out("|---|---|---|---|---|---|");
  const { rpcRoundTrip: rtt, connect: join } = relay;
  out(
    `| reliable RPC round trip, ms | ${rtt.direct.median} | ${rtt.relay.median} | ${rtt.ratio.median} | ${rtt.direct.p99} | ${rtt.relay.p99} |`,
  );
  out(
    `| connect (createClient → connectedToServer), ms | ${join.direct.median} | ${join.relay.median} | ${join.ratio.median} | ${join.direct.max} (max) | ${join.relay.max} (max) |`,
  );
  out();
  out(
    "Timed in the Node client. Loopback has no network delay: this is the relay hop itself (coturn forwarding each way) and the allocations a join adds. The host is Chromium because a relaying Node host can deadlock (README, Relay-only in Node).",
  );
}

const interpolation = read("interpolation");
if (interpolation) {
  const sim = interpolation.simulated;
  out();
  out("## Snapshot interpolation (simulated link and clock)");
  out();
  out(
    `An object at constant speed, sent at the rate shown over a seeded link (${sim.latencyMs} ms latency, ± jitter uniform, independent loss), shown at ${sim.fps} fps; ${sim.seeds} seeds × ${sim.seconds} s per row, the first ${sim.warmUpMs / 1000} s not measured. Added delay: how far behind the host the shown position is, minus the latency. Beside it the lobby demo's former scheme: arrival timestamps, a fixed 100 ms delay. Swinging: the same links carry an object swinging ±100 units every 2 s; frames extrapolated past the newest state, corrections (blends back after a state arrived late) and the distance from the host's value at the shown time (interpolating a curve leaves ≤ 0.3 units at 20 Hz).`,
  );
  out();
  out(
    "| link | stalls (runs with any) | added delay median / p95, ms | in send intervals | backward steps | max Δspeed per frame | swinging: extrapolated frames %, corrections, error p99 / max | fixed 100 ms: stalls, backward steps, max Δspeed |",
  );
  out("|---|---|---|---|---|---|---|---|");
  for (const row of interpolation.results) {
    const s = row.starwire;
    const w = row.starwireSwinging;
    const f = row.fixedDelay100;
    const swinging = w
      ? `${w.extrapolatedFramesPercent}, ${w.corrections}, ${w.errorUnits.p99} / ${w.errorUnits.max}`
      : "";
    out(
      `| ${row.hz} Hz, ${row.name} | ${s.stalls} (${s.runsWithStalls}) | ${s.addedDelayMs.median} / ${s.addedDelayMs.p95} | ${s.addedDelayIntervals.median} / ${s.addedDelayIntervals.p95} | ${s.backwardSteps} | ${s.maxVelocityChange} | ${swinging} | ${f.stalls}, ${f.backwardSteps}, ${f.maxVelocityChange} |`,
    );
  }
  out();
  out(
    `Targets: 0 stalls at 20 Hz, 20 ms jitter, 5 % loss (${verdict(interpolation.targets.noStallsUnderJitterAndLoss)}) at a median added delay under 2.5 send intervals (${verdict(interpolation.targets.targetDelayUnder2_5Intervals)}); added delay ≤ 2.5 send intervals on a clean link (${verdict(interpolation.targets.cleanDelayWithin2_5Intervals)}).`,
  );
}

const summary = `${lines.join("\n")}\n`;
writeFileSync(join(RESULTS_DIR, "SUMMARY.md"), summary);
console.log(`\n${summary}`);

function histogramChart(samples: { sdk: number[]; raw: number[] }): string {
  const width = 640;
  const height = 260;
  const margin = 40;
  const all = [...samples.sdk, ...samples.raw];
  const shared = histogram(all, 50);
  const bucket = (values: number[]) => {
    const counts = new Array<number>(shared.counts.length).fill(0);
    for (const v of values) {
      const i = Math.floor((v - shared.from) / shared.width);
      if (i >= 0 && i < counts.length) counts[i]!++;
    }
    return counts;
  };
  const series = [
    { name: "Starwire RPC", color: "#6b4cf5", counts: bucket(samples.sdk) },
    { name: "raw data channel", color: "#f5a000", counts: bucket(samples.raw) },
  ];
  const max = Math.max(...series.flatMap((s) => s.counts));
  const x = (i: number) => margin + (i / shared.counts.length) * (width - 2 * margin);
  const y = (count: number) => height - margin - (count / max) * (height - 2 * margin);
  const paths = series.map(
    (s) =>
      `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.counts.map((c, i) => `${x(i + 0.5).toFixed(1)},${y(c).toFixed(1)}`).join(" ")}"/>`,
  );
  const legend = series.map(
    (s, i) => `<text x="${width - 200}" y="${30 + i * 18}" fill="${s.color}" font-size="13">${s.name}</text>`,
  );
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => {
    const value = shared.from + t * shared.width * shared.counts.length;
    return `<text x="${x(t * shared.counts.length).toFixed(1)}" y="${height - 18}" font-size="11" text-anchor="middle">${value.toFixed(2)}</text>`;
  });
  return svg("Distribution of reliable round trips, Starwire RPC and raw data channel", width, height, [
    `<text x="${margin}" y="20" font-size="14">Reliable round trip, client → host → client (ms)</text>`,
    `<line x1="${margin}" y1="${height - margin}" x2="${width - margin}" y2="${height - margin}" stroke="#888"/>`,
    ...paths,
    ...legend,
    ...ticks,
  ]);
}

function scalingChart(rows: Json[]): string {
  const width = 640;
  const height = 260;
  const margin = 44;
  const maxClients = Math.max(...rows.map((r) => r.clients));
  const series = [
    { name: "state age p95 (ms)", color: "#6b4cf5", value: (r: Json) => r.stateAgeMs.p95 },
    { name: "host ms per tick p95", color: "#f5a000", value: (r: Json) => r.tickMs.p95 },
  ];
  const max = Math.max(...rows.flatMap((r) => series.map((s) => s.value(r)))) * 1.15;
  const x = (clients: number) => margin + (clients / maxClients) * (width - 2 * margin);
  const y = (value: number) => height - margin - (value / max) * (height - 2 * margin);
  const lines = series.map(
    (s) =>
      `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${rows.map((r) => `${x(r.clients).toFixed(1)},${y(s.value(r)).toFixed(1)}`).join(" ")}"/>` +
      rows
        .map(
          (r) =>
            `<circle cx="${x(r.clients).toFixed(1)}" cy="${y(s.value(r)).toFixed(1)}" r="3" fill="${s.color}"/>`,
        )
        .join(""),
  );
  const legend = series.map(
    (s, i) => `<text x="${margin + 10}" y="${36 + i * 18}" fill="${s.color}" font-size="13">${s.name}</text>`,
  );
  const ticks = rows.map(
    (r) =>
      `<text x="${x(r.clients).toFixed(1)}" y="${height - 22}" font-size="11" text-anchor="middle">${r.clients}</text>`,
  );
  return svg("Host scaling: state age and tick time against the number of clients", width, height, [
    `<text x="${margin}" y="20" font-size="14">Host scaling: clients (x) against milliseconds (y, max ${max.toFixed(1)})</text>`,
    `<line x1="${margin}" y1="${height - margin}" x2="${width - margin}" y2="${height - margin}" stroke="#888"/>`,
    ...lines,
    ...legend,
    ...ticks,
  ]);
}

function svg(title: string, width: number, height: number, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" font-family="system-ui, sans-serif"><title>${title}</title><rect width="100%" height="100%" fill="white"/>${parts.join("")}</svg>\n`;
}
