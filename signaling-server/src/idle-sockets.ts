/**
 * One countdown per socket that is outside a room: it runs from the connection, stops when the
 * socket creates or joins a room, starts again when its room ends for it (it left, was kicked,
 * or its host left), and is dropped when the socket disconnects. A socket that only holds a
 * connection, from a crawler or a script, would otherwise keep its slot forever.
 */
export class IdleSockets {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** `timeoutMs` 0 turns the countdown off. `onIdle` must not throw: it runs from a timer. */
  constructor(
    private readonly timeoutMs: number,
    private readonly onIdle: (socketId: string) => void,
  ) {}

  /** Countdowns running now (for leak checks). */
  get size(): number {
    return this.timers.size;
  }

  /** Starts the countdown, or starts it over. */
  start(socketId: string): void {
    if (this.timeoutMs === 0) return;
    this.stop(socketId);
    const timer = setTimeout(() => {
      this.timers.delete(socketId);
      this.onIdle(socketId);
    }, this.timeoutMs);
    // The open socket keeps the process alive, not this timer; a test runner can exit without waiting.
    timer.unref();
    this.timers.set(socketId, timer);
  }

  /** The sockets counting down now: those outside a room. */
  ids(): string[] {
    return [...this.timers.keys()];
  }

  stop(socketId: string): void {
    const timer = this.timers.get(socketId);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(socketId);
  }
}
