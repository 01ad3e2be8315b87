/** Maps each event name to its listener's parameter list. */
export type EventMap<Events> = { [E in keyof Events]: unknown[] };

type Listener<Args extends unknown[]> = (...args: Args) => void;
type StoredListener = (...args: unknown[]) => void;

/**
 * A small typed event emitter. A throwing listener is reported and does not stop the others:
 * one bad game callback must not break the network layer that called it.
 */
export class Emitter<Events extends EventMap<Events>> {
  readonly #listeners = new Map<keyof Events, Set<StoredListener>>();

  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as unknown as StoredListener);
    return () => this.off(event, listener);
  }

  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    const off = this.on(event, (...args) => {
      off();
      listener(...args);
    });
    return off;
  }

  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): void {
    this.#listeners.get(event)?.delete(listener as unknown as StoredListener);
  }

  /** Resolves with the event's arguments the next time it fires. */
  next<E extends keyof Events>(event: E): Promise<Events[E]> {
    return new Promise((resolve) => this.once(event, (...args) => resolve(args)));
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as unknown as Listener<Events[E]>)(...args);
      } catch (error) {
        reportListenerError(String(event), error);
      }
    }
  }
}

function reportListenerError(event: string, error: unknown): void {
  // Logged, not rethrown: in a Node host an uncaught error would end the whole game for everyone.
  console.error(`starwire: a "${event}" listener threw`, error);
}
