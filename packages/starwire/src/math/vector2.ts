/** A 2D vector, sent on the wire as two float32 (like Godot's Vector2). */
export class Vector2 {
  constructor(
    public x = 0,
    public y = 0,
  ) {}

  equals(other: Vector2): boolean {
    return this.x === other.x && this.y === other.y;
  }
}
