import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { CLIENT_EVENTS } from "starwire-protocol";

/** What the server holds right now, read at each scrape. */
export interface MetricsSnapshot {
  rooms: number;
  sockets: number;
  draining: boolean;
  storeReachable: boolean;
}

/** The per-address and per-socket limits a refusal can come from (the `limit` label). */
export type LimitName =
  | "events_per_socket"
  | "sockets_per_address"
  | "room_creates_per_minute"
  | "join_attempts_per_minute"
  | "failed_joins_per_minute"
  | "rooms_per_address";

/** The requests counted by name; any other event name counts as "unknown" (names are the client's choice). */
const REQUEST_EVENTS: ReadonlySet<string> = new Set(CLIENT_EVENTS);

/**
 * The server's counters, in a registry of its own (not prom-client's global one), so that every
 * server in one process (tests start many) counts only its own. Labels take values from fixed sets
 * only (event names, error codes, limit names, signal types): never a room, address or socket.
 */
export class SignalingMetrics {
  readonly registry = new Registry();
  readonly #requests = new Counter({
    name: "starwire_signaling_requests_total",
    help: "Requests by event and outcome: ok, or the error code answered (rate_limited, no_such_room, …)",
    labelNames: ["event", "outcome"] as const,
    registers: [this.registry],
  });
  readonly #limitHits = new Counter({
    name: "starwire_signaling_limit_hits_total",
    help: "Requests and connections refused by a rate or per-address limit, by limit",
    labelNames: ["limit"] as const,
    registers: [this.registry],
  });
  readonly #relayed = new Counter({
    name: "starwire_signaling_relayed_signals_total",
    help: "Signals relayed between a host and a client, by type (offer, answer, candidate, renegotiate)",
    labelNames: ["type"] as const,
    registers: [this.registry],
  });
  readonly #connections = new Counter({
    name: "starwire_signaling_connections_total",
    help: "Sockets accepted since the start",
    registers: [this.registry],
  });

  constructor(snapshot: () => MetricsSnapshot) {
    const gauge = (name: string, help: string, read: (now: MetricsSnapshot) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read(snapshot()));
        },
      });
    gauge("starwire_signaling_rooms", "Live rooms", (now) => now.rooms);
    gauge("starwire_signaling_sockets", "Connected sockets", (now) => now.sockets);
    gauge("starwire_signaling_draining", "1 while the server drains before shutting down", (now) =>
      now.draining ? 1 : 0,
    );
    gauge(
      "starwire_signaling_store_reachable",
      "0 while the shared room store (Redis) cannot be reached (requests are answered server_unavailable)",
      (now) => (now.storeReachable ? 1 : 0),
    );
    // Process CPU, memory, event loop lag, handles: what an operator looks at first.
    collectDefaultMetrics({ register: this.registry });
  }

  request(event: string, outcome: string): void {
    this.#requests.inc({ event: REQUEST_EVENTS.has(event) ? event : "unknown", outcome });
  }

  limitHit(limit: LimitName): void {
    this.#limitHits.inc({ limit });
  }

  relayed(type: string): void {
    this.#relayed.inc({ type });
  }

  connected(): void {
    this.#connections.inc();
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
