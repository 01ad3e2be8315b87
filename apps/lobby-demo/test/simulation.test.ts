import { describe, expect, it } from "vitest";
import { ARENA, PLAYER_RADIUS, Simulation } from "../src/game/simulation.js";

describe("the demo's simulation", () => {
  it("starts up to 8 players apart from each other and away from the walls, in any join order", () => {
    const simulation = new Simulation(() => 0.5);
    for (let id = 2; id < 10; id++) simulation.addPlayer(id);
    const spots = [...simulation.bodies.values()];
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
    simulation.addPlayer(2);
    const start = { ...simulation.bodies.get(2)! };
    simulation.steer(2, 1, 0);
    simulation.step(0.25);
    expect(simulation.bodies.get(2)!.x).toBeCloseTo(start.x + 60);
    simulation.step(10);
    expect(simulation.bodies.get(2)!.x).toBe(ARENA.width - PLAYER_RADIUS);
    simulation.steer(2, "far", null);
    expect(simulation.bodies.get(2)!.dx).toBe(1);
  });
});
