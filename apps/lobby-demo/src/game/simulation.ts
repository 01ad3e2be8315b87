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
 * Moves the bodies and coins it is given in place: the host gives it the replicated nodes
 * themselves (arena.ts), tests plain objects.
 */
export class Simulation {
  readonly bodies = new Map<number, Body>();
  readonly coins: readonly Spot[];
  #scoresChanged = false;
  #spawned = 0;

  constructor(
    readonly random: () => number = Math.random,
    coins: readonly Spot[] = Array.from({ length: COINS }, () => ({ x: 0, y: 0 })),
  ) {
    this.coins = coins;
    for (const coin of coins) this.#place(coin, COIN_RADIUS);
  }

  /** Puts `body` on the next starting spot and moves it from now on; returns it. */
  addPlayer<B extends Body>(id: number, body: B): B;
  addPlayer(id: number): Body;
  addPlayer(id: number, body: Body = { x: 0, y: 0, dx: 0, dy: 0, score: 0 }): Body {
    const existing = this.bodies.get(id);
    if (existing) return existing;
    Object.assign(body, this.#nextSpawn());
    this.bodies.set(id, body);
    return body;
  }

  removePlayer(id: number): void {
    this.bodies.delete(id);
  }

  /** Sets a player's direction; anything but two numbers is ignored, and the length is capped at 1. */
  steer(id: number, dx: unknown, dy: unknown): void {
    const body = this.bodies.get(id);
    if (
      !body ||
      typeof dx !== "number" ||
      typeof dy !== "number" ||
      !Number.isFinite(dx) ||
      !Number.isFinite(dy)
    ) {
      return;
    }
    const length = Math.hypot(dx, dy);
    body.dx = length > 1 ? dx / length : dx;
    body.dy = length > 1 ? dy / length : dy;
  }

  /** Advances by `seconds`; returns whether any score changed. */
  step(seconds: number): boolean {
    for (const body of this.bodies.values()) {
      body.x = clamp(body.x + body.dx * SPEED * seconds, PLAYER_RADIUS, ARENA.width - PLAYER_RADIUS);
      body.y = clamp(body.y + body.dy * SPEED * seconds, PLAYER_RADIUS, ARENA.height - PLAYER_RADIUS);
      for (const coin of this.coins) {
        if (Math.hypot(coin.x - body.x, coin.y - body.y) < PLAYER_RADIUS + COIN_RADIUS) {
          body.score++;
          this.#place(coin, COIN_RADIUS);
          this.#scoresChanged = true;
        }
      }
    }
    const changed = this.#scoresChanged;
    this.#scoresChanged = false;
    return changed;
  }

  #nextSpawn(): { x: number; y: number } {
    const angle = Math.PI + ((this.#spawned++ % SPAWN_SLOTS) * 2 * Math.PI) / SPAWN_SLOTS;
    return {
      x: Math.round(ARENA.width / 2 + SPAWN_RADII.x * Math.cos(angle)),
      y: Math.round(ARENA.height / 2 + SPAWN_RADII.y * Math.sin(angle)),
    };
  }

  #place(spot: Spot, radius: number): void {
    spot.x = radius + this.random() * (ARENA.width - 2 * radius);
    spot.y = radius + this.random() * (ARENA.height - 2 * radius);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
