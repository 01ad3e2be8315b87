/**
 * At most one timer per room, for one purpose (a token refresh, an empty-room countdown): started
 * when the room opens or its state calls for it, stopped when the room closes. Keyed by the room's
 * instance (tokens.ts), so a later room under the same code never inherits one.
 */
export class RoomTimers<Room> {
  private readonly timers = new Map<Room, NodeJS.Timeout>();

  /** Timers running now (for leak checks). */
  get size(): number {
    return this.timers.size;
  }

  has(room: Room): boolean {
    return this.timers.has(room);
  }

  /** Runs `run` every `ms` until stopped (replacing any timer of the room). `run` must not throw. */
  every(room: Room, ms: number, run: () => void): void {
    this.stop(room);
    this.keep(room, setInterval(run, ms));
  }

  /** Runs `run` once after `ms` (replacing any timer of the room). `run` must not throw. */
  after(room: Room, ms: number, run: () => void): void {
    this.stop(room);
    this.keep(
      room,
      setTimeout(() => {
        this.timers.delete(room);
        run();
      }, ms),
    );
  }

  stop(room: Room): void {
    const timer = this.timers.get(room);
    if (timer === undefined) return;
    // clearTimeout clears intervals too.
    clearTimeout(timer);
    this.timers.delete(room);
  }

  stopAll(): void {
    for (const room of [...this.timers.keys()]) this.stop(room);
  }

  private keep(room: Room, timer: NodeJS.Timeout): void {
    // The sockets keep the process alive, not these; close() clears whatever is left anyway.
    timer.unref();
    this.timers.set(room, timer);
  }
}
