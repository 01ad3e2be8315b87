import { MAX_TICK_RATE, type NetworkTick } from "./network-tick.js";
import type { Rejection } from "./rejection.js";

/**
 * The game's tick rate is the host's (WIRE.md, "System messages": TICK_RATE). The host announces
 * its rate to each client first thing after admitting it; a client counts ticks at the announced
 * rate while it is in that host's game, and at the rate its own game configured otherwise. States
 * are stamped with tick numbers that receivers turn into time, so a client's ticks are host ticks
 * only once it knows the rate: until then its clock does not count as synchronized.
 */
export class TickRateAgreement {
  readonly #tick: NetworkTick;
  /** What this peer's game set: its rate as a host, or outside a game. */
  #configured: number;
  /** Client: the rate the host announced in this game; null before that or outside a game. */
  #announced: number | null = null;

  constructor(tick: NetworkTick) {
    this.#tick = tick;
    this.#configured = tick.rate;
  }

  /** The rate ticks are counted at now. */
  get rate(): number {
    return this.#tick.rate;
  }

  /** Client: whether the host's rate is known (ticks are host ticks). */
  get agreed(): boolean {
    return this.#announced !== null;
  }

  /** This peer's own rate (validated: an integer from 1 to MAX_TICK_RATE, else a RangeError). */
  configure(hz: number): void {
    this.#tick.rate = hz;
    this.#configured = hz;
  }

  /**
   * Client: the host announced its rate. Returns why the announcement is refused, or null once
   * adopted. Anything but a rate this side could be configured with is refused (never a tick
   * scheduled every millisecond, never a division by zero), and so is a second announcement: the
   * rate is fixed for the game, a change would renumber ticks under every state in flight.
   */
  adopt(rate: number): Pick<Rejection, "reason" | "message"> | null {
    if (!Number.isInteger(rate) || rate < 1 || rate > MAX_TICK_RATE) {
      return { reason: "malformed", message: `tick rate ${rate} is not from 1 to ${MAX_TICK_RATE}` };
    }
    if (this.#announced !== null) {
      return {
        reason: "forbidden",
        message: `the host announced its tick rate (${this.#announced}) already; it is fixed for the game (${rate} refused)`,
      };
    }
    this.#announced = rate;
    if (this.#tick.rate !== rate) this.#tick.rate = rate;
    this.#tick.restart();
    return null;
  }

  /** The game is over here (the host left, a new transport): back to this peer's own rate. */
  leave(): void {
    this.#announced = null;
    if (this.#tick.rate !== this.#configured) this.#tick.rate = this.#configured;
  }
}
