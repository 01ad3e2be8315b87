/**
 * Arrow keys / WASD, or dragging on the canvas (a virtual joystick on phones), as a direction
 * with components in [-1, 1]. `onChange` fires when the direction changes.
 */
export class DirectionInput {
  #keys = new Set<string>();
  #drag: { x: number; y: number; dx: number; dy: number } | null = null;
  #last = { dx: 0, dy: 0 };
  readonly #cleanup: Array<() => void> = [];

  constructor(
    surface: HTMLElement,
    readonly onChange: (dx: number, dy: number) => void,
  ) {
    this.#listen(window, "keydown", (event: KeyboardEvent) => {
      if (!KEYS.has(event.key.toLowerCase()) || event.target instanceof HTMLInputElement) return;
      event.preventDefault();
      this.#keys.add(event.key.toLowerCase());
      this.#update();
    });
    this.#listen(window, "keyup", (event: KeyboardEvent) => {
      this.#keys.delete(event.key.toLowerCase());
      this.#update();
    });
    this.#listen(window, "blur", () => {
      this.#keys.clear();
      this.#update();
    });
    this.#listen(surface, "pointerdown", (event: PointerEvent) => {
      surface.setPointerCapture(event.pointerId);
      this.#drag = { x: event.clientX, y: event.clientY, dx: 0, dy: 0 };
    });
    this.#listen(surface, "pointermove", (event: PointerEvent) => {
      if (!this.#drag) return;
      const dx = event.clientX - this.#drag.x;
      const dy = event.clientY - this.#drag.y;
      const length = Math.hypot(dx, dy);
      this.#drag.dx = length > 12 ? dx / length : 0;
      this.#drag.dy = length > 12 ? dy / length : 0;
      this.#update();
    });
    for (const end of ["pointerup", "pointercancel"] as const) {
      this.#listen(surface, end, () => {
        this.#drag = null;
        this.#update();
      });
    }
  }

  get direction(): { dx: number; dy: number } {
    return this.#last;
  }

  dispose(): void {
    for (const remove of this.#cleanup) remove();
  }

  #update(): void {
    let dx = (this.#pressed("arrowright", "d") ? 1 : 0) - (this.#pressed("arrowleft", "a") ? 1 : 0);
    let dy = (this.#pressed("arrowdown", "s") ? 1 : 0) - (this.#pressed("arrowup", "w") ? 1 : 0);
    if (this.#drag && dx === 0 && dy === 0) ({ dx, dy } = this.#drag);
    if (dx === this.#last.dx && dy === this.#last.dy) return;
    this.#last = { dx, dy };
    this.onChange(dx, dy);
  }

  #pressed(...keys: string[]): boolean {
    return keys.some((key) => this.#keys.has(key));
  }

  #listen<E extends Event>(target: EventTarget, type: string, listener: (event: E) => void): void {
    target.addEventListener(type, listener as EventListener);
    this.#cleanup.push(() => target.removeEventListener(type, listener as EventListener));
  }
}

const KEYS = new Set(["arrowup", "arrowdown", "arrowleft", "arrowright", "w", "a", "s", "d"]);
