// Interpolation of the value types a synchronizer replicates. Each function is linear in `t` and
// does not clamp it: t in [0, 1] interpolates, t > 1 extrapolates (the interpolator bounds how far),
// so one function serves both. Results are new objects; inputs are never modified.
import { Color } from "../math/color.js";
import { Vector2 } from "../math/vector2.js";
import { Vector3 } from "../math/vector3.js";

/** The value at `t` between `from` (t = 0) and `to` (t = 1); t > 1 continues past `to`. */
export type Lerp<T> = (from: T, to: T, t: number) => T;

/** How a synchronized property is interpolated: `true` linearly, `"angle"` along the shorter arc. */
export type InterpolationMode = true | "angle";

const TAU = 2 * Math.PI;

export const lerpNumber: Lerp<number> = (from, to, t) => from + (to - from) * t;

/**
 * Angles in radians along the shorter arc (Godot's `lerp_angle`): from 3.1 to -3.1 goes through π,
 * not through 0. The result stays near `from` and is not wrapped into (−π, π], so a turning object
 * reads a continuous angle instead of one that jumps by 2π between two frames.
 */
export const lerpAngle: Lerp<number> = (from, to, t) => from + shortestArc(from, to) * t;

/** `to − from` wrapped into [−π, π): the signed turn from one angle to the other. */
export function shortestArc(from: number, to: number): number {
  const difference = (to - from) % TAU; // in (−2π, 2π)
  return ((2 * difference) % TAU) - difference;
}

export const lerpVector2: Lerp<Vector2> = (from, to, t) =>
  new Vector2(lerpNumber(from.x, to.x, t), lerpNumber(from.y, to.y, t));

export const lerpVector3: Lerp<Vector3> = (from, to, t) =>
  new Vector3(lerpNumber(from.x, to.x, t), lerpNumber(from.y, to.y, t), lerpNumber(from.z, to.z, t));

/** Per-component angles: a 2D pair of angles, or Godot's Euler `rotation` of a Node3D. */
export const lerpAngleVector2: Lerp<Vector2> = (from, to, t) =>
  new Vector2(lerpAngle(from.x, to.x, t), lerpAngle(from.y, to.y, t));

export const lerpAngleVector3: Lerp<Vector3> = (from, to, t) =>
  new Vector3(lerpAngle(from.x, to.x, t), lerpAngle(from.y, to.y, t), lerpAngle(from.z, to.z, t));

/**
 * Colours component by component, alpha included (Godot's `Color.lerp`). Extrapolation may leave
 * [0, 1]; it is left there, as Godot allows over-bright colours, and is bounded by the interpolator.
 */
export const lerpColor: Lerp<Color> = (from, to, t) =>
  new Color(
    lerpNumber(from.r, to.r, t),
    lerpNumber(from.g, to.g, t),
    lerpNumber(from.b, to.b, t),
    lerpNumber(from.a, to.a, t),
  );

/**
 * No interpolation: `from` until `to` is reached. For properties that ride in the same buffer as
 * interpolated ones (so every property of a node is shown at the same delayed time) but cannot
 * be blended: booleans, strings, animation names.
 */
export function lerpStep<T>(from: T, to: T, t: number): T {
  return t < 1 ? from : to;
}

/**
 * One lerp for a whole state made of several properties, each with its own lerp: what lets one
 * interpolator (one buffer, one delay estimate) carry every interpolated property of a node.
 */
export function lerpEach<T extends readonly unknown[]>(lerps: { [K in keyof T]: Lerp<T[K]> }): Lerp<T> {
  const each = lerps as readonly Lerp<unknown>[];
  return (from, to, t) => each.map((lerp, i) => lerp(from[i], to[i], t)) as unknown as T;
}

/**
 * The lerp for a property's current value and its `interpolate` setting, or null when the value's
 * type cannot be interpolated that way (the synchronizer then applies it as it arrives, or with
 * `lerpStep`). Decided by the value, not declared twice: a property's type does not change.
 */
export function lerpFor(value: unknown, mode: InterpolationMode): Lerp<unknown> | null {
  const angle = mode === "angle";
  if (typeof value === "number") return (angle ? lerpAngle : lerpNumber) as Lerp<unknown>;
  if (value instanceof Vector2) return (angle ? lerpAngleVector2 : lerpVector2) as Lerp<unknown>;
  if (value instanceof Vector3) return (angle ? lerpAngleVector3 : lerpVector3) as Lerp<unknown>;
  if (value instanceof Color && !angle) return lerpColor as Lerp<unknown>;
  return null;
}
