// Snapshot interpolation: states of one node arrive stamped with the host time they describe, and
// are shown a little in the past, between two received states, so motion is smooth although
// packets arrive at uneven times or not at all. Pure: every time is passed in (no timers, no
// Date.now), so tests and benchmarks drive it with a simulated clock.
//
// The interval is the sender's, learned from the stamps (send-interval.ts): the `interval`
// option is only the guess until two states arrived, so a receiver configured unlike its sender,
// or a sender that changes its rate, still gets a delay sized for the states that really come.
//
// How far in the past (the delay) adapts to the link. Playback runs dry when a burst of lost
// states outlasts the delay and the extrapolation together; `bridged`, the longest burst to
// survive, comes from the measured loss rate so that a longer one (a stall) stays rarer than
// STALL_RISK per state. Surviving a burst of b lost states takes
//   delay + extrapolation bound ≥ peak transit + (b + 1) × interval + margin,
// where the peak transit is the highest recent arrival − stamp (latency plus the jitter seen,
// raised at once, decaying slowly). The delay is paid on every frame, an extrapolation only
// during a burst, so the extrapolation bound takes a share as loss rises: one interval on a
// clean link (delay: transit + 1.5 intervals), up to 2.5 when loss calls for more (a burst of
// two at 5 % loss: once in 400 states), the delay the rest. Playback does not jump to a new
// target: its clock runs up to 10 % fast or slow until it gets there, the rate itself changing
// gradually, so a moving object never visibly speeds up or stops in one frame. When a state
// arrives after playback extrapolated past the newest one, the shown value blends back onto
// the true path (correction.ts) instead of snapping there.
import { Correction } from "./correction.js";
import type { Lerp } from "./lerp.js";
import { SendInterval } from "./send-interval.js";

export interface InterpolatorOptions<T> {
  /**
   * The sender's replication interval in ms (1000 / states per second), e.g. 50 at 20 Hz: what is
   * assumed until states arrive. From then on the interval is learned from their stamps (the
   * lower median of the last 9 gaps), and every default below counts in that interval.
   */
  interval: number;
  /** Blends two states; see lerp.ts (`lerpFor`, `lerpEach`). */
  lerp: Lerp<T>;
  /** Delay kept above what the measured transit, jitter and loss call for, in send intervals (default 0.5). */
  margin?: number;
  /**
   * How far past the newest state values are extrapolated before they hold, in ms. Default: one
   * interval on a clean link, up to 2.5 as the measured loss calls for it (the delay is then that
   * much shorter). Set, it is fixed, and the delay alone covers what it does not.
   */
  maxExtrapolation?: number;
  /** The most delay added on top of the link's transit time, in ms (default: 10 intervals). */
  maxDelay?: number;
  /**
   * Two consecutive states further apart than this (ms, default: 10 intervals) are a gap: the
   * sender was silent (the node idle, hidden, or teleported) and what happened between them is
   * unknown. The value holds, then snaps to the later state, instead of sliding slowly across the
   * gap. Shorter holes are lost states, interpolated across.
   */
  maxGap?: number;
  /** States kept at most, against a sender that floods (default 32). */
  capacity?: number;
}

/** What the interpolator measured, for an overlay or a benchmark. Times in ms. */
export interface InterpolationStats {
  /** How far behind `now` the last sample was shown. */
  delay: number;
  /** The delay playback is steering toward. */
  targetDelay: number;
  /** The lowest recent arrival − stamp: what the link itself costs. `delay − transit` is what interpolation adds. */
  transit: number;
  /** Mean deviation of transit times between consecutive arrivals (RFC 3550's estimator). */
  jitter: number;
  /** The fraction of states lost, averaged over about the last 200. */
  loss: number;
  /** The playback clock's current rate (1 = real time; 0.9–1.1 while catching up or slowing down). */
  timeScale: number;
  /** States received and not yet reached by playback. */
  buffered: number;
  /** Times playback ran past the newest state by more than the extrapolation bound (then it held). */
  stalls: number;
  /** The sender's send interval as learned from the stamps (before two states: the `interval` option). */
  interval: number;
  /** How far past the newest state playback may extrapolate now. */
  maxExtrapolation: number;
  /** States that arrived after playback had extrapolated past the newest one: blended back onto the true path. */
  corrections: number;
  /** Samples that extrapolated past the newest state (within the bound). */
  extrapolated: number;
  /** States refused: already played past, duplicates, from the future, or with times that are not finite numbers. */
  dropped: number;
}

interface State<T> {
  time: number;
  value: T;
}

/** The most the playback clock runs fast or slow to reach its target delay. */
const MAX_SKEW = 0.1;
/** A delay this far (ms) from its target makes playback run at full skew; less, proportionally less. */
const STEER_MS = 250;
/** How fast the playback rate itself may change, per ms (0.5 per second: 1.0 to 0.9 in 200 ms). */
const RATE_SLEW = 0.0005;
/** The peak transit decays by this many send intervals per second once no new peak confirms it. */
const PEAK_DECAY_INTERVALS_PER_SECOND = 0.25;
/** The accepted chance, per state, that a burst of losses outlasts buffer and extrapolation. */
const STALL_RISK = 1e-5;
/** Intervals of the loss cover the extrapolation bound takes from the delay, at most (bound: 2.5 intervals). */
const EXTRAPOLATED_COVER = 1.5;
/** A correction blends over this long (ms of playback), or two intervals if longer. */
const CORRECTION_MS = 100;
/** Recent stamp gaps the interval is learned from. */
const INTERVAL_WINDOW = 9;
/** A learned interval this much off the last one (a sender changed its rate) restarts the loss estimate. */
const INTERVAL_CHANGE = 0.25;
/** States the loss rate averages over (10 s at 20 Hz). */
const LOSS_WINDOW = 200;
/**
 * Before anything is measured the link is assumed to lose this fraction, weighing as much as
 * LOSS_PRIOR_WEIGHT states: the first states are covered against the bursts a lossy link has,
 * and a clean link's delay falls to 2.5 intervals within about 15 states, to 1.5 within 8 s at 20 Hz.
 */
const LOSS_PRIOR = 0.05;
const LOSS_PRIOR_WEIGHT = 10;
/** Arrivals over which the lowest transit is taken (about 1.6 s at 20 Hz). */
const TRANSIT_WINDOW = 32;
/** RFC 3550's jitter gain. */
const JITTER_GAIN = 1 / 16;

/**
 * Shows the states of one node (or of several properties together, with `lerpEach`) a little
 * in the past, between the two received states around that time.
 *
 * ```ts
 * const position = new Interpolator({ interval: 50, lerp: lerpVector2 });
 * // when a state arrives:
 * position.push(tick * 1000 / tickRate, state.position, multiplayer.clock.now());
 * // every frame:
 * node.position = position.sample(multiplayer.clock.now()) ?? node.position;
 * ```
 */
export class Interpolator<T> {
  readonly #interval: SendInterval;
  readonly #lerp: Lerp<T>;
  /** In intervals. */
  readonly #margin: number;
  /** In ms when set; undefined: the default, in intervals. */
  readonly #maxExtrapolation: number | undefined;
  readonly #maxDelay: number | undefined;
  readonly #maxGap: number | undefined;
  readonly #capacity: number;
  readonly #correction: Correction<T>;
  /** The interval the loss estimate was counted in. */
  #lossInterval: number;

  /** Received states, by increasing time; the two before playback are kept (to extrapolate). */
  #states: State<T>[] = [];
  #newest = Number.NEGATIVE_INFINITY;
  #lastArrival = Number.NaN;
  #lastTransit = Number.NaN;
  #transits = new Float64Array(TRANSIT_WINDOW).fill(Number.POSITIVE_INFINITY);
  #transitIndex = 0;
  #transit = 0;
  #jitter = 0;
  #peakTransit = 0;
  #loss = LOSS_PRIOR;
  #lossSamples = LOSS_PRIOR_WEIGHT;
  #bridged = bridgedFor(LOSS_PRIOR);

  /** Playback: the host time being shown, and the `now` it was shown at. NaN until the first sample. */
  #render = Number.NaN;
  #lastNow = Number.NaN;
  #rate = 1;
  #stalled = false;
  #stalls = 0;
  #extrapolated = 0;
  #dropped = 0;
  /** The state the last sample extrapolated from; null when it did not. */
  #extrapolatedFrom: State<T> | null = null;

  constructor(options: InterpolatorOptions<T>) {
    const { interval } = options;
    if (!(interval > 0 && Number.isFinite(interval))) {
      throw new RangeError(`interval must be a positive number of ms, got ${interval}`);
    }
    this.#interval = new SendInterval(interval, "lower-median", INTERVAL_WINDOW);
    this.#lossInterval = interval;
    this.#lerp = options.lerp;
    this.#margin = options.margin ?? 0.5;
    this.#maxExtrapolation = options.maxExtrapolation;
    this.#maxDelay = options.maxDelay;
    this.#maxGap = options.maxGap;
    this.#capacity = Math.max(3, options.capacity ?? 32);
    this.#correction = new Correction(options.lerp);
  }

  /**
   * A received state. `time`: the host time it describes (host tick × 1000 / tickRate);
   * `arrival`: when it arrived, on the clock later passed to `sample` (the network clock's
   * `now()`, so that arrival − time is the transit). States may come out of order or twice; ones
   * playback has already passed are dropped, and so are ones stamped after their arrival by more
   * than `maxGap` (feed it once the clock is synchronized). Returns whether the state was kept.
   */
  push(time: number, value: T, arrival: number): boolean {
    if (!Number.isFinite(time) || !Number.isFinite(arrival)) return this.#drop();
    // A state describes the host's past: one stamped well after its own arrival is garbage (or
    // the clocks disagree), and taking it would move playback into a future no state fills.
    if (time > arrival + this.#gapLimit()) return this.#drop();
    const states = this.#states;
    let at = states.length; // insertion index: after every state older than `time`
    while (at > 0 && states[at - 1]!.time > time) at--;
    if (at > 0 && states[at - 1]!.time === time) return this.#drop(); // a duplicate
    // Older than the state playback is interpolating from (the newest at or before playback):
    // it would never be shown. A state between that one and playback is kept: it refines the
    // segment being shown.
    if (at < states.length && states[at]!.time <= this.#render) return this.#drop();
    states.splice(at, 0, { time, value });
    // The gaps to its neighbours: a state that fills a hole splits the gap recorded across it.
    if (at > 0) this.#interval.observe(time - states[at - 1]!.time);
    if (at + 1 < states.length) this.#interval.observe(states[at + 1]!.time - time);
    if (states.length > this.#capacity) states.shift();
    this.#measure(time, arrival);
    return true;
  }

  /**
   * The value to show at `now` (the clock `push` was given arrivals on), or undefined before
   * any state arrived. `now` should not go backwards; when it does, playback waits.
   */
  sample(now: number): T | undefined {
    const states = this.#states;
    if (states.length === 0) return undefined;
    this.#advance(now);
    const render = this.#render;
    let a = states.length - 1; // the newest state at or before playback
    while (a >= 0 && states[a]!.time > render) a--;
    if (a < 0) {
      this.#stalled = false;
      return states[0]!.value; // playback has not reached the first state: show it
    }
    if (a > 1) states.splice(0, a - 1); // keep one state before `a`, to extrapolate
    a = Math.min(a, 1);
    const from = states[a]!;
    const to = states[a + 1];
    const gap = this.#gapLimit();
    const interpolating = to !== undefined && to.time - from.time <= gap;
    const previous = this.#extrapolatedFrom;
    this.#extrapolatedFrom = null;
    if (previous !== null) {
      // Across a gap the value snaps on purpose (the sender was silent: what came between is unknown).
      if (from.time - previous.time > gap) this.#correction.stop();
      // A state arrived after playback extrapolated past the newest one: what was shown is a
      // guess the true path may leave; blend back onto it.
      else if (interpolating || from !== previous) this.#correction.start();
    }
    const duration = Math.max(CORRECTION_MS, 2 * this.#interval.value);
    if (interpolating) {
      this.#stalled = false;
      const t = (render - from.time) / (to.time - from.time);
      return this.#correction.apply(render, this.#lerp(from.value, to!.value, t), duration);
    }
    // Past the newest state, or before a gap: continue the last motion a little, then hold.
    const ahead = render - from.time;
    const bound = this.#extrapolationBound();
    if (ahead > 0) this.#extrapolatedFrom = from;
    if (to === undefined) {
      if (ahead > bound) {
        if (!this.#stalled) this.#stalls++;
        this.#stalled = true;
      } else {
        this.#stalled = false;
        if (ahead > 0) this.#extrapolated++;
      }
    } else this.#stalled = false;
    const before = states[a - 1];
    if (before === undefined || ahead <= 0 || from.time - before.time > gap) {
      return this.#correction.apply(render, from.value, duration);
    }
    const span = from.time - before.time;
    const value = this.#lerp(before.value, from.value, 1 + Math.min(ahead, bound) / span);
    return this.#correction.apply(render, value, duration);
  }

  get stats(): InterpolationStats {
    const render = this.#render;
    return {
      delay: Number.isNaN(render) ? 0 : this.#lastNow - render,
      targetDelay: this.#target(),
      transit: this.#transit,
      jitter: this.#jitter,
      loss: this.#loss,
      timeScale: this.#rate,
      buffered: this.#states.filter((state) => !(state.time <= render)).length,
      stalls: this.#stalls,
      interval: this.#interval.value,
      maxExtrapolation: this.#extrapolationBound(),
      corrections: this.#correction.count,
      extrapolated: this.#extrapolated,
      dropped: this.#dropped,
    };
  }

  /** Forgets every state and measurement (a respawn, a teleport the game announces); counters and the learned interval stay. */
  clear(): void {
    this.#states = [];
    this.#newest = Number.NEGATIVE_INFINITY;
    this.#lastArrival = Number.NaN;
    this.#lastTransit = Number.NaN;
    this.#transits.fill(Number.POSITIVE_INFINITY);
    this.#peakTransit = 0;
    this.#restartLoss();
    this.#render = Number.NaN;
    this.#lastNow = Number.NaN;
    this.#rate = 1;
    this.#stalled = false;
    this.#extrapolatedFrom = null;
    this.#correction.clear();
  }

  /** Back to the start-up assumption (a new stream, or one whose interval changed: its counts are void). */
  #restartLoss(): void {
    this.#loss = LOSS_PRIOR;
    this.#lossSamples = LOSS_PRIOR_WEIGHT;
    this.#bridged = bridgedFor(LOSS_PRIOR);
    this.#lossInterval = this.#interval.value;
  }

  #gapLimit(): number {
    return this.#maxGap ?? 10 * this.#interval.value;
  }

  /**
   * How far past the newest state playback may go: the option, or one interval plus the share
   * of the loss cover extrapolation takes (see the top of this file).
   */
  #extrapolationBound(): number {
    const interval = this.#interval.value;
    return this.#maxExtrapolation ?? interval * (1 + Math.min(this.#bridged - 1, EXTRAPOLATED_COVER));
  }

  #drop(): false {
    this.#dropped++;
    return false;
  }

  /** Updates transit, jitter, loss and the peak transit from an accepted state. */
  #measure(time: number, arrival: number): void {
    const transit = arrival - time;
    this.#transits[this.#transitIndex] = transit;
    this.#transitIndex = (this.#transitIndex + 1) % TRANSIT_WINDOW;
    let lowest = Number.POSITIVE_INFINITY;
    for (const value of this.#transits) lowest = Math.min(lowest, value);
    this.#transit = lowest;
    if (!Number.isNaN(this.#lastTransit)) {
      this.#jitter += (Math.abs(transit - this.#lastTransit) - this.#jitter) * JITTER_GAIN;
    }
    this.#lastTransit = transit;
    const elapsed = Number.isNaN(this.#lastArrival) ? 0 : Math.max(0, arrival - this.#lastArrival);
    this.#lastArrival = arrival;
    const interval = this.#interval.value;
    const decayed = this.#peakTransit - (elapsed / 1000) * PEAK_DECAY_INTERVALS_PER_SECOND * interval;
    this.#peakTransit = Math.max(transit, decayed, lowest);
    if (time <= this.#newest) return; // out of order: it was counted lost when the gap was seen
    // Lost states were counted in an interval the sender no longer (or never) used.
    if (Math.abs(interval - this.#lossInterval) > INTERVAL_CHANGE * this.#lossInterval) this.#restartLoss();
    const previous = this.#newest;
    this.#newest = time;
    const gap = time - previous;
    // States missing before this one; a gap is the sender's silence, not loss.
    const lost = gap > this.#gapLimit() ? 0 : Math.max(0, Math.round(gap / interval) - 1);
    for (let i = 0; i <= lost; i++) {
      // A running mean at first (the prior fades quickly), then a moving average.
      this.#lossSamples = Math.min(LOSS_WINDOW, this.#lossSamples + 1);
      this.#loss += ((i < lost ? 1 : 0) - this.#loss) / this.#lossSamples;
    }
    this.#bridged = bridgedFor(this.#loss);
  }

  /** The delay that, with the extrapolation bound, outlasts `bridged` lost states in a row. */
  #target(): number {
    const interval = this.#interval.value;
    // In intervals: what the extrapolation bound covers beyond the one interval it always
    // covers (never more than the bursts need: the delay keeps transit + 1 + margin).
    const extrapolated = Math.min(this.#extrapolationBound() / interval - 1, this.#bridged - 1);
    const wanted = this.#peakTransit + (this.#bridged - extrapolated + this.#margin) * interval;
    return Math.min(wanted, this.#transit + (this.#maxDelay ?? 10 * interval));
  }

  /** Moves playback to `now`, steering its delay toward the target without jumps. */
  #advance(now: number): void {
    const target = this.#target();
    if (Number.isNaN(this.#render)) {
      this.#render = now - target;
      this.#lastNow = now;
      return;
    }
    // The delay as last shown (before this step), against the target: > 0 is further behind than needed.
    const error = this.#lastNow - this.#render - target;
    const elapsed = Math.max(0, now - this.#lastNow);
    this.#lastNow = Math.max(now, this.#lastNow);
    const wanted = 1 + Math.max(-MAX_SKEW, Math.min(MAX_SKEW, error / STEER_MS));
    const step = RATE_SLEW * elapsed;
    this.#rate += Math.max(-step, Math.min(step, wanted - this.#rate));
    this.#render += elapsed * this.#rate;
    // Far behind (the target fell a long way): catching up at 10 % would take seconds; skip ahead.
    if (this.#lastNow - this.#render - target > this.#gapLimit()) {
      this.#render = this.#lastNow - target;
      this.#rate = 1;
    }
  }
}

/**
 * The longest burst of lost states that buffer and extrapolation together outlast at loss rate
 * `loss`: the shortest (at least 1) that makes a longer one rarer than STALL_RISK, at most 9
 * (maxDelay bounds the delay anyway). Whole states: bursts are whole states, and the estimate
 * of `loss` over 200 states is noisy (a standard deviation of 1.5 points at 5 %): a fractional
 * cover (less delay) let bursts of 3 through in the benchmark.
 */
function bridgedFor(loss: number): number {
  let bridged = 1;
  while (loss ** (bridged + 1) > STALL_RISK && bridged < 9) bridged++;
  return bridged;
}
