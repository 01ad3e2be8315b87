/** The host's authoritative game: circles that move by input, bounce off walls and collect coins. */
export const ARENA = { width: 800, height: 500 } as const;
export const PLAYER_RADIUS = 18;
export const COIN_RADIUS = 9;
const SPEED = 240; // units per second
const COINS = 5;

export interface Body {
  x: number;
  y: number;
  dx: number;
  dy: number;
  score: number;
}

export interface Coin {
  x: number;
  y: number;
}

export class Simulation {
  readonly bodies = new Map<number, Body>();
  readonly coins: Coin[] = [];
  #scoresChanged = false;

  constructor(readonly random: () => number = Math.random) {
    for (let i = 0; i < COINS; i++) this.coins.push(this.#randomSpot(COIN_RADIUS));
  }

  addPlayer(id: number): void {
    if (!this.bodies.has(id))
      this.bodies.set(id, { ...this.#randomSpot(PLAYER_RADIUS), dx: 0, dy: 0, score: 0 });
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
      for (const [i, coin] of this.coins.entries()) {
        if (Math.hypot(coin.x - body.x, coin.y - body.y) < PLAYER_RADIUS + COIN_RADIUS) {
          body.score++;
          this.coins[i] = this.#randomSpot(COIN_RADIUS);
          this.#scoresChanged = true;
        }
      }
    }
    const changed = this.#scoresChanged;
    this.#scoresChanged = false;
    return changed;
  }

  scores(): Record<number, number> {
    return Object.fromEntries([...this.bodies].map(([id, body]) => [id, body.score]));
  }

  #randomSpot(radius: number): Coin {
    return {
      x: radius + this.random() * (ARENA.width - 2 * radius),
      y: radius + this.random() * (ARENA.height - 2 * radius),
    };
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
