/**
 * One countdown per detached place (a client or a host whose socket dropped in a room with a
 * reconnect grace): it starts when the socket drops and is stopped when the place comes back
 * (`resume`, a host's reclaim), is kicked, or its room closes. At most one per place: starting one
 * again starts it over. Keyed by the room's instance (tokens.ts), so a later room under the same
 * code never inherits one.
 */
export class GraceTimers<Room> {
  private readonly timers = new Map<Room, Map<number, NodeJS.Timeout>>();
  private count = 0;

  /** Countdowns running now (for leak checks). */
  get size(): number {
    return this.count;
  }

  /** Starts the countdown of `peerId` in `room`, or starts it over. `onExpire` must not throw. */
  start(room: Room, peerId: number, ms: number, onExpire: () => void): void {
    this.stop(room, peerId);
    const timer = setTimeout(() => {
      this.forget(room, peerId);
      onExpire();
    }, ms);
    // The process's lifetime is the sockets' business; close() clears whatever is left anyway.
    timer.unref();
    let forRoom = this.timers.get(room);
    if (forRoom === undefined) {
      forRoom = new Map();
      this.timers.set(room, forRoom);
    }
    forRoom.set(peerId, timer);
    this.count++;
  }

  stop(room: Room, peerId: number): void {
    const timer = this.timers.get(room)?.get(peerId);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.forget(room, peerId);
  }

  /** Stops every countdown of a room that closed. */
  stopRoom(room: Room): void {
    const forRoom = this.timers.get(room);
    if (forRoom === undefined) return;
    for (const timer of forRoom.values()) clearTimeout(timer);
    this.count -= forRoom.size;
    this.timers.delete(room);
  }

  stopAll(): void {
    for (const room of [...this.timers.keys()]) this.stopRoom(room);
  }

  private forget(room: Room, peerId: number): void {
    const forRoom = this.timers.get(room);
    if (forRoom === undefined || !forRoom.delete(peerId)) return;
    this.count--;
    if (forRoom.size === 0) this.timers.delete(room);
  }
}
