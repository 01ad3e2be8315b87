// Snapshot interpolation under jitter and loss, simulated: a host sends the position of an object
// moving at constant speed, a seeded link delays (latency ± jitter, uniform, never below 0, as the
// network conditioner does) and drops them, a 60 fps receiver shows them. Simulated time only, no
// wall clock: the same seeds give the same table on any machine.
//
// Measured per frame, after a 2 s warm-up: the added delay (how far behind the host the shown
// position is, minus the link's latency: what interpolation costs), stalls (playback past the
// newest state beyond the extrapolation bound), backward steps and the largest change of shown
// velocity between two frames (smoothness). Beside it, the lobby demo's hand-made scheme: states
// timed by their arrival, shown at a fixed 100 ms delay, no extrapolation. What extrapolation
// costs when the motion is not straight: the same link carries an object swinging ±100 units
// every 2 s (up to 0.31 units/ms), and the error is the shown value's distance from the host's
// value at the shown time (zero while interpolating; a wrong guess past the newest state, and
// the blend back from it, are what leave the path).
// Targets: at 20 Hz, 20 ms jitter and 5 % loss, 0 stalls at a median added delay under 2.5
// intervals; on a clean link added delay ≤ 2.5 intervals.
import { Interpolator } from "starwire";
import { writeResult } from "./lib/results.js";
import { round, summarize } from "./lib/stats.js";

const SECONDS = 120;
const WARM_UP_MS = 2000;
const FPS = 60;
const LATENCY_MS = 40;
const SEEDS = 20;
/** Units per ms: 100 units per second. The shown position divided by it is the shown host time. */
const SPEED = 0.1;

interface Scenario {
  name: string;
  hz: number;
  jitter: number;
  lossPercent: number;
  /** Messages handled at the next frame (as a game loop polling the network), not when they arrive. */
  atFrames?: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: "clean link", hz: 20, jitter: 0, lossPercent: 0 },
  { name: "20 ms jitter", hz: 20, jitter: 20, lossPercent: 0 },
  { name: "5 % loss", hz: 20, jitter: 0, lossPercent: 5 },
  { name: "20 ms jitter, 5 % loss (target)", hz: 20, jitter: 20, lossPercent: 5 },
  { name: "20 ms jitter, 5 % loss, handled at frames", hz: 20, jitter: 20, lossPercent: 5, atFrames: true },
  { name: "40 ms jitter, 10 % loss", hz: 20, jitter: 40, lossPercent: 10 },
  { name: "clean link", hz: 30, jitter: 0, lossPercent: 0 },
  { name: "20 ms jitter, 5 % loss", hz: 30, jitter: 20, lossPercent: 5 },
];

/** What the receiver runs: the SDK's interpolator, or the demo's fixed-delay scheme. */
interface Player {
  push(time: number, value: number, arrival: number): void;
  sample(now: number): number | undefined;
  readonly stalls: number;
}

function starwire(interval: number): Player {
  const interpolator = new Interpolator<number>({ interval, lerp: (a, b, t) => a + (b - a) * t });
  return {
    push: (time, value, arrival) => interpolator.push(time, value, arrival),
    sample: (now) => interpolator.sample(now),
    get stalls() {
      return interpolator.stats.stalls;
    },
  };
}

/** apps/lobby-demo's snapshots before issue 15: arrival timestamps, a fixed 100 ms delay, hold when dry. */
function fixedDelay(): Player {
  const states: Array<{ at: number; value: number }> = [];
  let stalls = 0;
  let stalled = false;
  return {
    push: (_time, value, arrival) => states.push({ at: arrival, value }),
    sample(now) {
      const render = now - 100;
      while (states.length > 2 && states[1]!.at <= render) states.shift();
      const last = states.at(-1);
      if (last === undefined) return undefined;
      if (render > last.at) {
        if (!stalled) stalls++;
        stalled = true;
        return last.value;
      }
      stalled = false;
      const [a, b] = states as [{ at: number; value: number }, { at: number; value: number } | undefined];
      if (b === undefined || render <= a.at) return a.value;
      return a.value + ((b.value - a.value) * (render - a.at)) / (b.at - a.at);
    },
    get stalls() {
      return stalls;
    },
  };
}

/** mulberry32, as the network conditioner seeds its choices. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Units: ±100, one swing every 2 s. */
const swing = (t: number) => 100 * Math.sin((2 * Math.PI * t) / 2000);

interface Run {
  stalls: number;
  addedDelays: number[];
  backwardSteps: number;
  maxVelocityChange: number;
}

function simulate(scenario: Scenario, seed: number, player: Player): Run {
  const random = seededRandom(seed);
  const interval = 1000 / scenario.hz;
  const frame = 1000 / FPS;
  const arrivals: Array<{ time: number; arrival: number }> = [];
  for (let time = 0; time < SECONDS * 1000; time += interval) {
    if (random() * 100 < scenario.lossPercent) continue;
    const delay = Math.max(0, LATENCY_MS + (random() * 2 - 1) * scenario.jitter);
    arrivals.push({ time, arrival: time + delay });
  }
  arrivals.sort((a, b) => a.arrival - b.arrival); // the unreliable channel may reorder
  const run: Run = { stalls: 0, addedDelays: [], backwardSteps: 0, maxVelocityChange: 0 };
  let next = 0;
  let previous: number | undefined;
  let previousVelocity: number | undefined;
  for (let now = 0; now < SECONDS * 1000; now += frame) {
    while (next < arrivals.length && arrivals[next]!.arrival <= now) {
      const { time, arrival } = arrivals[next++]!;
      player.push(time, time * SPEED, scenario.atFrames ? now : arrival);
    }
    const shown = player.sample(now);
    if (shown === undefined || now < WARM_UP_MS) {
      previous = shown;
      previousVelocity = undefined;
      continue;
    }
    run.addedDelays.push(now - shown / SPEED - LATENCY_MS);
    if (previous !== undefined) {
      if (shown < previous) run.backwardSteps++;
      const velocity = (shown - previous) / frame;
      if (previousVelocity !== undefined) {
        run.maxVelocityChange = Math.max(
          run.maxVelocityChange,
          Math.abs(velocity - previousVelocity) / SPEED,
        );
      }
      previousVelocity = velocity;
    }
    previous = shown;
  }
  run.stalls = player.stalls;
  return run;
}

/** The link's states, as `simulate` draws them. */
function arrivalsOf(scenario: Scenario, seed: number) {
  const random = seededRandom(seed);
  const interval = 1000 / scenario.hz;
  const arrivals: Array<{ time: number; arrival: number }> = [];
  for (let time = 0; time < SECONDS * 1000; time += interval) {
    if (random() * 100 < scenario.lossPercent) continue;
    const delay = Math.max(0, LATENCY_MS + (random() * 2 - 1) * scenario.jitter);
    arrivals.push({ time, arrival: time + delay });
  }
  return arrivals.sort((a, b) => a.arrival - b.arrival);
}

/** The swinging object through the SDK's interpolator: per-frame distances from the host's path, and the counters. */
function swingRun(scenario: Scenario, seed: number) {
  const interval = 1000 / scenario.hz;
  const interpolator = new Interpolator<number>({ interval, lerp: (a, b, t) => a + (b - a) * t });
  const arrivals = arrivalsOf(scenario, seed);
  const errors: number[] = [];
  let next = 0;
  let frames = 0;
  for (let now = 0; now < SECONDS * 1000; now += 1000 / FPS) {
    while (next < arrivals.length && arrivals[next]!.arrival <= now) {
      const { time, arrival } = arrivals[next++]!;
      interpolator.push(time, swing(time), scenario.atFrames ? now : arrival);
    }
    const shown = interpolator.sample(now);
    if (shown === undefined || now < WARM_UP_MS) continue;
    frames++;
    errors.push(Math.abs(shown - swing(now - interpolator.stats.delay)));
  }
  const { extrapolated, corrections } = interpolator.stats;
  return { errors, frames, extrapolated, corrections };
}

function measureSwing(scenario: Scenario) {
  const runs = Array.from({ length: SEEDS }, (_, seed) => swingRun(scenario, seed + 1));
  const errors = summarize(runs.flatMap((run) => run.errors));
  const frames = runs.reduce((sum, run) => sum + run.frames, 0);
  return {
    /** Frames shown past the newest state (extrapolated), percent. */
    extrapolatedFramesPercent: round(
      (100 * runs.reduce((sum, run) => sum + run.extrapolated, 0)) / frames,
      2,
    ),
    corrections: runs.reduce((sum, run) => sum + run.corrections, 0),
    errorUnits: { p99: round(errors.p99, 2), max: round(errors.max, 2) },
  };
}

function measure(scenario: Scenario, make: (interval: number) => Player) {
  const interval = 1000 / scenario.hz;
  const runs = Array.from({ length: SEEDS }, (_, seed) => simulate(scenario, seed + 1, make(interval)));
  const delays = summarize(runs.flatMap((run) => run.addedDelays));
  return {
    stalls: runs.reduce((sum, run) => sum + run.stalls, 0),
    runsWithStalls: runs.filter((run) => run.stalls > 0).length,
    addedDelayMs: { median: round(delays.median, 1), p95: round(delays.p95, 1), max: round(delays.max, 1) },
    addedDelayIntervals: { median: round(delays.median / interval, 2), p95: round(delays.p95 / interval, 2) },
    backwardSteps: runs.reduce((sum, run) => sum + run.backwardSteps, 0),
    /** The largest change of shown speed between two frames, as a fraction of the true speed. */
    maxVelocityChange: round(Math.max(...runs.map((run) => run.maxVelocityChange)), 3),
  };
}

const results = SCENARIOS.map((scenario) => ({
  ...scenario,
  starwire: measure(scenario, starwire),
  starwireSwinging: measureSwing(scenario),
  fixedDelay100: measure(scenario, fixedDelay),
}));

const target = results.find((row) => row.name.endsWith("(target)"))!;
const clean = results.find((row) => row.name === "clean link" && row.hz === 20)!;
const targets = {
  noStallsUnderJitterAndLoss: target.starwire.stalls === 0,
  targetDelayUnder2_5Intervals: target.starwire.addedDelayIntervals.median < 2.5,
  cleanDelayWithin2_5Intervals: clean.starwire.addedDelayIntervals.p95 <= 2.5,
};

console.log(
  `Snapshot interpolation, simulated: ${SEEDS} seeds × ${SECONDS} s, ${FPS} fps, ${LATENCY_MS} ms latency`,
);
console.log(
  "| link | stalls (runs) | added delay median / p95, ms (intervals) | backward steps | max Δv/frame | swinging: extrapolated frames %, corrections, error p99 / max | fixed 100 ms: stalls, backward steps, max Δv |",
);
console.log("|---|---|---|---|---|---|---|");
for (const row of results) {
  const s = row.starwire;
  const w = row.starwireSwinging;
  const f = row.fixedDelay100;
  console.log(
    `| ${row.hz} Hz, ${row.name} | ${s.stalls} (${s.runsWithStalls}) | ${s.addedDelayMs.median} / ${s.addedDelayMs.p95} (${s.addedDelayIntervals.median} / ${s.addedDelayIntervals.p95}) | ${s.backwardSteps} | ${s.maxVelocityChange} | ${w.extrapolatedFramesPercent}, ${w.corrections}, ${w.errorUnits.p99} / ${w.errorUnits.max} | ${f.stalls}, ${f.backwardSteps}, ${f.maxVelocityChange} |`,
  );
}
console.log(`targets: ${JSON.stringify(targets)}`);

writeResult("interpolation", {
  simulated: { seconds: SECONDS, seeds: SEEDS, fps: FPS, latencyMs: LATENCY_MS, warmUpMs: WARM_UP_MS },
  results,
  targets,
});
