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

/** "text": the line as written; "json": the same line as a JSON object (see `jsonLine`). */
export type LogFormat = "text" | "json";

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
  readonly #format: LogFormat;

  constructor(sink: Logger, level: LogLevel, windowMs = REFUSAL_LOG_WINDOW_MS, format: LogFormat = "text") {
    this.#sink = sink;
    this.#level = level;
    this.#windowMs = windowMs;
    this.#format = format;
  }

  info(line: string): void {
    if (this.#level !== "silent") this.#write(line, "info");
  }

  debug(line: string): void {
    if (this.#level === "debug") this.#write(line, "debug");
  }

  /**
   * A refusal of `kind`: `line` (never a room code, token or address), aggregated at `info`; at
   * `debug`, every one, followed by `detail` (the client's address).
   */
  refusal(kind: string, line: string, detail?: string): void {
    if (this.#level === "silent") return;
    if (this.#level === "debug") {
      this.#write(detail === undefined ? line : `${line} ${detail}`, "info", kind);
      return;
    }
    const window = this.#windows.get(kind);
    if (window !== undefined) {
      window.suppressed++;
      return;
    }
    this.#write(line, "info", kind);
    this.#openWindow(kind);
  }

  /** Writes what the open windows counted, and stops their timers. */
  close(): void {
    for (const [kind, window] of this.#windows) {
      clearTimeout(window.timer);
      if (window.suppressed > 0) this.#writeSummary(kind, window.suppressed);
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
      this.#writeSummary(kind, window.suppressed);
      // Still busy: the next window counts too, so a steady flood stays at one line per window.
      this.#windows.delete(kind);
      this.#openWindow(kind);
    }, this.#windowMs);
    // Logging never keeps the process alive.
    timer.unref();
    this.#windows.set(kind, { suppressed: 0, timer });
  }

  #writeSummary(kind: string, count: number): void {
    const line = `${kind}: ${count} more in the last ${Math.round(this.#windowMs / 1000)} s (not logged one by one)`;
    this.#write(line, "info", kind, { suppressed: count });
  }

  /** `kind`: a refusal's kind, which names its event in JSON. */
  #write(line: string, level: "info" | "debug", kind?: string, extra?: Record<string, number>): void {
    try {
      this.#sink(this.#format === "json" ? jsonLine(line, level, kind, extra) : line);
    } catch {}
  }
}

const RESERVED_KEYS: ReadonlySet<string> = new Set(["time", "level", "event", "room", "msg", "suppressed"]);

/** `key=value` in a line: what JSON logs carry as fields. */
const FIELD = /^([A-Za-z]+)=(\S+?)[:;,]?$/;

/**
 * A log line as one JSON object: `time` (ISO 8601), `level`, `event`, `msg` (the text line) and
 * the line's `key=value` pairs as fields (integers as numbers). Every line the server writes names
 * its room as `room #TAG …` and puts its facts in `key=value` pairs, so no call site changes:
 * - `room #TAG <verb…> k=v…` → event `room_<verb…>` (room_created, room_joined, room_left,
 *   room_closed, room_resumed, room_detached, room_expired, room_kicked, room_taken_over…), `room`: the tag;
 * - a refusal → event named after its kind ("join refused (password)" → `join_refused_password`),
 *   and its one-per-minute summary → the same event with `suppressed`: how many were not written;
 * - anything else → its first word (`error`, `warning`, `draining`).
 */
export function jsonLine(
  line: string,
  level: "info" | "debug",
  kind?: string,
  extra?: Record<string, number>,
): string {
  const words = line.split(" ");
  const fields: Record<string, string | number> = {};
  for (const word of words) {
    const match = FIELD.exec(word);
    // The object's own keys are not the line's to override.
    if (match && !RESERVED_KEYS.has(match[1]!))
      fields[match[1]!] = /^\d{1,15}$/.test(match[2]!) ? Number(match[2]) : match[2]!;
  }
  let event: string;
  let room: string | undefined;
  if (kind !== undefined) event = slug(kind);
  else if (words[0] === "room" && words[1]?.startsWith("#")) {
    room = words[1];
    const verbs: string[] = [];
    for (const word of words.slice(2)) {
      if (word.includes("=") || word.startsWith("(")) break;
      verbs.push(word);
    }
    event = `room_${slug(verbs.join(" ") || Object.keys(fields)[0] || "event")}`;
  } else event = slug(words[0] ?? "log");
  return JSON.stringify({
    time: new Date().toISOString(),
    level,
    event,
    ...(room === undefined ? {} : { room }),
    ...fields,
    ...extra,
    msg: line,
  });
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "") || "log"
  );
}
