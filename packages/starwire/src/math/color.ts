/** An RGBA colour with components in [0, 1], sent on the wire as four float32 (like Godot's Color). */
export class Color {
  constructor(
    public r = 0,
    public g = 0,
    public b = 0,
    public a = 1,
  ) {}

  equals(other: Color): boolean {
    return this.r === other.r && this.g === other.g && this.b === other.b && this.a === other.a;
  }

  /** "#rrggbb" or "#rrggbbaa" (when not opaque), for CSS and canvas. */
  toHtml(): string {
    const hex = (v: number) =>
      Math.round(Math.min(1, Math.max(0, v)) * 255)
        .toString(16)
        .padStart(2, "0");
    return `#${hex(this.r)}${hex(this.g)}${hex(this.b)}${this.a < 1 ? hex(this.a) : ""}`;
  }
}

/** Godot's `Color8(r, g, b, a)`: a colour from 0–255 components. */
export function Color8(r: number, g: number, b: number, a = 255): Color {
  return new Color(r / 255, g / 255, b / 255, a / 255);
}
