/**
 * One socket's events, run one after another, its disconnect last: a join still waiting for the
 * room store must not be overtaken by the socket's next signal or by its leaving. Each task
 * catches its own errors (socket-events.ts answers or logs them), so one failure never stops the
 * tasks behind it.
 */
export class EventQueue {
  #tail: Promise<void> = Promise.resolve();

  push(task: () => Promise<void>): void {
    this.#tail = this.#tail.then(task);
  }
}
