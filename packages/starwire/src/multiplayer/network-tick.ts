/**
 * The network tick (Godot's poll): a game calls `poll()` every frame, or lets the automatic
 * scheduler do it; a network tick is due when the tick number `floor(time × rate / 1000)` moved
 * on since the last one. Tick numbers come from a time the owner supplies (MultiplayerAPI: the
 * host's time, from the network clock), so peers agree on them. Polling twice in one tick is
 * harmless: the second poll has no tick due.
 */
export const DEFAULT_TICK_RATE = 30;
export const MAX_TICK_RATE = 240;

export interface TickTarget {
  /** The time ticks are counted in, milliseconds. */
  time(): number;
  /** Runs one poll; `tick` is the tick number when a network tick is due, else null. */
  poll(now: number, tick: number | null): void;
}

export class NetworkTick {
  #rate = DEFAULT_TICK_RATE;
  #lastTick = Number.NEGATIVE_INFINITY;
  #auto = true;
  #running = false;
  #timer: ReturnType<typeof setTimeout> | null = null;

  readonly #target: TickTarget;

  constructor(target: TickTarget) {
    this.#target = target;
  }

  /** Network ticks per second (1–240). */
  get rate(): number {
    return this.#rate;
  }

  set rate(hz: number) {
    if (!Number.isInteger(hz) || hz < 1 || hz > MAX_TICK_RATE) {
      throw new RangeError(`tickRate must be an integer from 1 to ${MAX_TICK_RATE}, got ${hz}`);
    }
    this.#rate = hz;
    this.#lastTick = Number.NEGATIVE_INFINITY;
  }

  /** The time jumped (a new session, or the network clock's first synchronization): the next poll is a tick again. */
  restart(): void {
    this.#lastTick = Number.NEGATIVE_INFINITY;
    this.#schedule();
  }

  /** The tick number at `time` (ms). */
  tickAt(time: number): number {
    return Math.floor((time * this.#rate) / 1000);
  }

  poll(): void {
    const time = this.#target.time();
    const tick = this.tickAt(time);
    const due = tick > this.#lastTick;
    if (due) this.#lastTick = tick;
    this.#target.poll(time, due ? tick : null);
  }

  /** Whether the scheduler polls by itself while running (default true). */
  get auto(): boolean {
    return this.#auto;
  }

  set auto(auto: boolean) {
    this.#auto = auto;
    this.#schedule();
  }

  /** The owner has something to poll for (a transport), or not any more. */
  set running(running: boolean) {
    this.#running = running;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#running || !this.#auto) return;
    // To the next tick's start, so automatic ticks stay on the tick grid.
    const time = this.#target.time();
    const next = ((this.tickAt(time) + 1) * 1000) / this.#rate;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        try {
          this.poll();
        } catch (error) {
          // A timer has no caller to throw to: an uncaught exception would end a Node host, and
          // not scheduling again would stop every later tick. Report it and go on.
          console.error("starwire: a network tick's poll threw", error);
        } finally {
          this.#schedule();
        }
      },
      Math.max(1, next - time),
    );
    // A scheduler must never be what keeps a Node process alive.
    (this.#timer as { unref?: () => void }).unref?.();
  }
}
