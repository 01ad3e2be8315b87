/** One line per event; a function so tests can collect lines and hosts can route them anywhere. */
export type Logger = (line: string) => void;

export const silentLogger: Logger = () => {};

export const consoleLogger: Logger = (line) => {
  console.log(line);
};

/**
 * `info`: one line per room event (rooms named by a tag, never by their code), no client
 * addresses, and refusals anyone can provoke at will aggregated. `debug`: also every refusal on
 * its own line with the client's address (for investigating abuse; it grows as fast as the abuse).
 */
export type LogLevel = "debug" | "info" | "silent";

/** A refusal of one kind is logged at most once per this window at `info`, then counted. */
export const REFUSAL_LOG_WINDOW_MS = 60_000;

interface RefusalWindow {
  suppressed: number;
  timer: NodeJS.Timeout;
}

/**
 * What the signaling server writes, by level. A sink that throws (a full disk, a closed stream)
 * must not turn into a failed request, so every line is written inside a try.
 *
 * Refusals (a refused reclaim, resume, password or connection) are what an attacker produces at
 * the rate it likes, so at `info` each kind gets one line, then nothing for
 * `REFUSAL_LOG_WINDOW_MS`, then one line with how many more there were (if any), and so on: a
 * flood of any size costs about one line per kind per minute.
 */
export class SignalingLog {
  readonly #sink: Logger;
  readonly #level: LogLevel;
  readonly #windowMs: number;
  readonly #windows = new Map<string, RefusalWindow>();

  constructor(sink: Logger, level: LogLevel, windowMs = REFUSAL_LOG_WINDOW_MS) {
    this.#sink = sink;
    this.#level = level;
    this.#windowMs = windowMs;
  }

  info(line: string): void {
    if (this.#level !== "silent") this.#write(line);
  }

  debug(line: string): void {
    if (this.#level === "debug") this.#write(line);
  }

  /**
   * A refusal of `kind`: `line` (never a room code, token or address), aggregated at `info`; at
   * `debug`, every one, followed by `detail` (the client's address).
   */
  refusal(kind: string, line: string, detail?: string): void {
    if (this.#level === "silent") return;
    if (this.#level === "debug") {
      this.#write(detail === undefined ? line : `${line} ${detail}`);
      return;
    }
    const window = this.#windows.get(kind);
    if (window !== undefined) {
      window.suppressed++;
      return;
    }
    this.#write(line);
    this.#openWindow(kind);
  }

  /** Writes what the open windows counted, and stops their timers. */
  close(): void {
    for (const [kind, window] of this.#windows) {
      clearTimeout(window.timer);
      if (window.suppressed > 0) this.#write(this.#summary(kind, window.suppressed));
    }
    this.#windows.clear();
  }

  #openWindow(kind: string): void {
    const timer = setTimeout(() => {
      const window = this.#windows.get(kind);
      if (window === undefined) return;
      if (window.suppressed === 0) {
        this.#windows.delete(kind);
        return;
      }
      this.#write(this.#summary(kind, window.suppressed));
      // Still busy: the next window counts too, so a steady flood stays at one line per window.
      this.#windows.delete(kind);
      this.#openWindow(kind);
    }, this.#windowMs);
    // Logging never keeps the process alive.
    timer.unref();
    this.#windows.set(kind, { suppressed: 0, timer });
  }

  #summary(kind: string, count: number): string {
    return `${kind}: ${count} more in the last ${Math.round(this.#windowMs / 1000)} s (not logged one by one)`;
  }

  #write(line: string): void {
    try {
      this.#sink(line);
    } catch {}
  }
}
