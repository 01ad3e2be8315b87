import { describe, expect, it } from "vitest";
import { ARENA, type Body, COIN_RADIUS, PLAYER_RADIUS, Simulation } from "../src/game/simulation.js";

const body = (): Body => ({ x: 0, y: 0, dx: 0, dy: 0, score: 0 });

describe("the demo's simulation", () => {
  it("starts up to 8 players apart from each other and away from the walls, in any join order", () => {
    const simulation = new Simulation(() => 0.5);
    const spots = Array.from({ length: 8 }, () => simulation.spawn(body()));
    for (const [i, a] of spots.entries()) {
      expect(a.x).toBeGreaterThanOrEqual(150);
      expect(a.x).toBeLessThanOrEqual(ARENA.width - 150);
      expect(a.y).toBeGreaterThanOrEqual(100);
      expect(a.y).toBeLessThanOrEqual(ARENA.height - 100);
      for (const b of spots.slice(i + 1))
        expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThan(4 * PLAYER_RADIUS);
    }
  });

  it("moves a player by input, stopped by the walls", () => {
    const simulation = new Simulation();
    const player = simulation.spawn(body());
    const start = { ...player };
    simulation.steer(player, 1, 0);
    simulation.step([player], [], 0.25);
    expect(player.x).toBeCloseTo(start.x + 60);
    simulation.step([player], [], 10);
    expect(player.x).toBe(ARENA.width - PLAYER_RADIUS);
    simulation.steer(player, "far", null);
    expect(player.dx).toBe(1);
  });

  it("scores a coin a player touches and drops it elsewhere", () => {
    const simulation = new Simulation(() => 0);
    const player = simulation.spawn(body());
    const coin = { x: player.x + PLAYER_RADIUS, y: player.y };
    expect(simulation.step([player], [coin], 0)).toBe(true);
    expect([player.score, coin.x, coin.y]).toEqual([1, COIN_RADIUS, COIN_RADIUS]);
    expect(simulation.step([player], [coin], 0)).toBe(false);
  });
});
