// The lerps a synchronizer picks for interpolated properties: values at both ends and between,
// extrapolation past 1, angles along the shorter arc across ±π, and the choice by value type.
import { describe, expect, it } from "vitest";
import { Color } from "../src/math/color.js";
import { Vector2 } from "../src/math/vector2.js";
import { Vector3 } from "../src/math/vector3.js";
import {
  lerpAngle,
  lerpAngleVector3,
  lerpColor,
  lerpEach,
  lerpFor,
  lerpNumber,
  lerpStep,
  lerpVector2,
  lerpVector3,
  shortestArc,
} from "../src/replication/lerp.js";

describe("lerp", () => {
  it("interpolates numbers and extrapolates past t = 1", () => {
    expect(lerpNumber(2, 6, 0)).toBe(2);
    expect(lerpNumber(2, 6, 1)).toBe(6);
    expect(lerpNumber(2, 6, 0.25)).toBe(3);
    expect(lerpNumber(2, 6, 1.5)).toBe(8);
  });

  it("interpolates vectors and colours component by component, without touching the inputs", () => {
    const from = new Vector2(0, 10);
    const to = new Vector2(4, 2);
    expect(lerpVector2(from, to, 0.5)).toEqual(new Vector2(2, 6));
    expect(from).toEqual(new Vector2(0, 10));
    expect(lerpVector3(new Vector3(0, 0, 0), new Vector3(2, 4, -8), 0.75)).toEqual(new Vector3(1.5, 3, -6));
    const color = lerpColor(new Color(0, 1, 0.5, 1), new Color(1, 0, 0.5, 0), 0.5);
    expect(color).toBeInstanceOf(Color);
    expect(color).toEqual(new Color(0.5, 0.5, 0.5, 0.5));
  });

  it("takes the shorter arc between angles, across ±π", () => {
    expect(shortestArc(3, -3)).toBeCloseTo(2 * Math.PI - 6, 12); // through π, not through 0
    expect(shortestArc(-3, 3)).toBeCloseTo(6 - 2 * Math.PI, 12);
    expect(shortestArc(0.5, 1)).toBeCloseTo(0.5, 12);
    expect(shortestArc(0, 7 * Math.PI + 0.25)).toBeCloseTo(-Math.PI + 0.25, 12); // whole turns ignored
    const halfway = lerpAngle(3, -3, 0.5);
    expect(Math.abs(Math.cos(halfway) - Math.cos(Math.PI))).toBeLessThan(1e-12); // at π
    expect(halfway).toBeGreaterThan(3); // continuous from `from`, not wrapped to −π
    expect(lerpAngle(0.1, 0.3, 0.5)).toBeCloseTo(0.2, 12);
    expect(lerpAngle(3, -3, 2)).toBeCloseTo(3 + 2 * (2 * Math.PI - 6), 12); // extrapolates the turn
  });

  it("turns each Euler component the short way", () => {
    const r = lerpAngleVector3(new Vector3(3, 0, -3), new Vector3(-3, 1, 3), 0.5);
    expect(r.x).toBeCloseTo(Math.PI, 12);
    expect(r.y).toBeCloseTo(0.5, 12);
    expect(r.z).toBeCloseTo(-Math.PI, 12);
  });

  it("steps instead of blending values that cannot be blended", () => {
    expect(lerpStep("idle", "run", 0.99)).toBe("idle");
    expect(lerpStep("idle", "run", 1)).toBe("run");
    expect(lerpStep(false, true, 1.4)).toBe(true);
  });

  it("blends a state of several properties, each with its own lerp", () => {
    const lerp = lerpEach<[number, number, string]>([lerpNumber, lerpAngle, lerpStep]);
    const [x, angle, anim] = lerp([0, 3, "idle"], [10, -3, "run"], 0.5);
    expect(x).toBe(5);
    expect(angle).toBeCloseTo(Math.PI, 12);
    expect(anim).toBe("idle");
  });

  it("picks the lerp from the value and the property's mode", () => {
    expect(lerpFor(1, true)).toBe(lerpNumber);
    expect(lerpFor(1, "angle")).toBe(lerpAngle);
    expect(lerpFor(new Vector2(), true)).toBe(lerpVector2);
    expect(lerpFor(new Vector3(), "angle")).toBe(lerpAngleVector3);
    expect(lerpFor(new Color(), true)).toBe(lerpColor);
    expect(lerpFor(new Color(), "angle")).toBeNull();
    expect(lerpFor("text", true)).toBeNull();
    expect(lerpFor(true, true)).toBeNull();
    expect(lerpFor({ x: 1 }, true)).toBeNull();
  });
});
