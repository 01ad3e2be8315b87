/** The host's authoritative game: circles that move by input, bounce off walls and collect coins. */
export const ARENA = { width: 800, height: 500 } as const;
export const PLAYER_RADIUS = 18;
export const COIN_RADIUS = 9;
const SPEED = 240; // units per second
export const COINS = 5;
/**
 * Players start on an ellipse around the middle, one slot after another: never on top of each
 * other (up to 8), never against a wall, wherever they are in the join order.
 */
const SPAWN_SLOTS = 8;
const SPAWN_RADII = { x: ARENA.width / 2 - 150, y: ARENA.height / 2 - 100 };

export interface Body {
  x: number;
  y: number;
  dx: number;
  dy: number;
  score: number;
}

export interface Spot {
  x: number;
  y: number;
}

/**
 * The game's rules, applied in place to the bodies and coins it is handed: the host hands it the
 * arena's replicated nodes (arena.ts), so what it moves is what the synchronizers send.
 */
export class Simulation {
  #spawned = 0;

  constructor(readonly random: () => number = Math.random) {}

  /** Puts `body` on the next starting spot; returns it. */
  spawn<B extends Body>(body: B): B {
    const angle = Math.PI + ((this.#spawned++ % SPAWN_SLOTS) * 2 * Math.PI) / SPAWN_SLOTS;
    body.x = Math.round(ARENA.width / 2 + SPAWN_RADII.x * Math.cos(angle));
    body.y = Math.round(ARENA.height / 2 + SPAWN_RADII.y * Math.sin(angle));
    return body;
  }

  /** Puts `coin` somewhere at random; returns it. */
  drop<C extends Spot>(coin: C): C {
    coin.x = COIN_RADIUS + this.random() * (ARENA.width - 2 * COIN_RADIUS);
    coin.y = COIN_RADIUS + this.random() * (ARENA.height - 2 * COIN_RADIUS);
    return coin;
  }

  /** Sets a body's direction; anything but two numbers is ignored, and the length is capped at 1. */
  steer(body: Body, dx: unknown, dy: unknown): void {
    if (typeof dx !== "number" || typeof dy !== "number" || !Number.isFinite(dx) || !Number.isFinite(dy)) {
      return;
    }
    const length = Math.hypot(dx, dy);
    body.dx = length > 1 ? dx / length : dx;
    body.dy = length > 1 ? dy / length : dy;
  }

  /**
   * Advances by `seconds`: a body touching a coin scores, and the coin drops elsewhere. Returns
   * whether anyone scored.
   */
  step(bodies: Iterable<Body>, coins: Iterable<Spot>, seconds: number): boolean {
    let scored = false;
    for (const body of bodies) {
      body.x = clamp(body.x + body.dx * SPEED * seconds, PLAYER_RADIUS, ARENA.width - PLAYER_RADIUS);
      body.y = clamp(body.y + body.dy * SPEED * seconds, PLAYER_RADIUS, ARENA.height - PLAYER_RADIUS);
      for (const coin of coins) {
        if (Math.hypot(coin.x - body.x, coin.y - body.y) < PLAYER_RADIUS + COIN_RADIUS) {
          body.score++;
          this.drop(coin);
          scored = true;
        }
      }
    }
    return scored;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
