// The simulated link the interpolator tests run on: a host sends a value at `hz`, a seeded link
// delays (latency ± jitter), drops and reorders the states, a 60 fps receiver samples them.
// Simulated time only, no wall clock.
import { Interpolator } from "../src/replication/interpolation.js";
import { lerpNumber } from "../src/replication/lerp.js";
import { seededRandom } from "../src/transport/webrtc/conditioner.js";

export const FRAME = 1000 / 60;
export const LATENCY = 40;
/** Units per ms: the shown position divided by it is the host time being shown. */
export const SPEED = 0.1;

export interface Link {
  hz?: number;
  seconds?: number;
  /** Each state's delay varies by up to this much either way (ms), as the network conditioner does. */
  jitter?: number;
  lossPercent?: number;
  seed?: number;
  /** Host times (ms) during which every state is lost: [from, to). */
  outage?: [number, number];
  /** Host times (ms) during which the sender sends nothing: [from, to). */
  silence?: [number, number];
  /** Host times (ms) whose states arrive this much later than the link alone would bring them: [from, to, ms]. */
  late?: [number, number, number];
  /** The sender's interval (ms) after the state sent at host time t (default: 1000 / hz). */
  nextAfter?: (t: number) => number;
  /** The sent value at host time t (default: constant speed). */
  motion?: (t: number) => number;
}

export interface Frame {
  now: number;
  shown: number;
  delay: number;
  target: number;
  timeScale: number;
}

/** Sends `motion` at `hz` over a seeded link to an interpolator sampled at 60 fps. */
export function run(
  link: Link,
  interpolator = new Interpolator({ interval: 1000 / (link.hz ?? 20), lerp: lerpNumber }),
) {
  const {
    hz = 20,
    seconds = 60,
    jitter = 0,
    lossPercent = 0,
    seed = 1,
    motion = (t: number) => t * SPEED,
  } = link;
  const random = seededRandom(seed);
  const arrivals: Array<{ time: number; arrival: number }> = [];
  const { late, nextAfter = () => 1000 / hz } = link;
  for (let time = 0; time < seconds * 1000; time += nextAfter(time)) {
    const lost = random() * 100 < lossPercent;
    const delay = Math.max(0, LATENCY + (random() * 2 - 1) * jitter);
    if (lost || within(time, link.outage) || within(time, link.silence)) continue;
    const extra = late !== undefined && within(time, [late[0], late[1]]) ? late[2] : 0;
    arrivals.push({ time, arrival: time + delay + extra });
  }
  arrivals.sort((a, b) => a.arrival - b.arrival); // what arrives first is pushed first: reordering
  const reordered = arrivals.filter((state, i) => i > 0 && state.time < arrivals[i - 1]!.time).length;
  const frames: Frame[] = [];
  let next = 0;
  for (let now = 0; now < seconds * 1000; now += FRAME) {
    while (next < arrivals.length && arrivals[next]!.arrival <= now) {
      const { time, arrival } = arrivals[next++]!;
      interpolator.push(time, motion(time), arrival);
    }
    const shown = interpolator.sample(now);
    if (shown === undefined) continue;
    const { delay, targetDelay, timeScale } = interpolator.stats;
    frames.push({ now, shown, delay, target: targetDelay, timeScale });
  }
  return { frames, stats: interpolator.stats, reordered };
}

const within = (time: number, range?: [number, number]) =>
  range !== undefined && time >= range[0] && time < range[1];

/** Frames from `from` ms on. */
export const after = (frames: Frame[], from: number) => frames.filter((frame) => frame.now >= from);

/** Per-frame steps of the shown value. */
export function steps(frames: Frame[]): number[] {
  return frames.slice(1).map((frame, i) => frame.shown - frames[i]!.shown);
}
