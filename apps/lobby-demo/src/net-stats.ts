import { type ConnectionStats, NetNode, rpc } from "starwire";

/** One player's link to the host, as the overlay shows it. */
export interface LinkRow {
  id: number;
  /** Round trip between that player and the host, ms. */
  pingMs: number | null;
  /** Unreliable messages lost on that link, the worse direction, in percent. */
  lossPercent: number | null;
  /** Both directions together, kbit/s. */
  kbps: number;
  /** Through a TURN server. */
  relay: boolean;
}

type WireRow = [id: number, pingMs: number, lossPercent: number, kbps: number, relay: boolean];
const MAX_ROWS = 64;
const SHARE_MS = 1000;

/** A link's figures from this side's statistics of it (the host's of a client, a client's of the host). */
export function rowOf(id: number, stats: ConnectionStats): LinkRow {
  const losses = [stats.sent.unreliableLoss, stats.received.unreliableLoss].filter((x) => x !== null);
  return {
    id,
    pingMs: stats.rttMs === null ? null : Math.round(stats.rttMs),
    lossPercent: losses.length === 0 ? null : Math.round(Math.max(...losses) * 1000) / 10,
    kbps: Math.round(((stats.sent.bytesPerSecond + stats.received.bytesPerSecond) * 8) / 100) / 10,
    relay: stats.path?.type === "relay",
  };
}

/**
 * "/root/netstats" on every peer: the host measures each player's link (multiplayer.getStats) and
 * shares the table once a second, unreliably; a client shows it, with its own row from its own
 * measurement of the same link.
 */
export class NetStats extends NetNode {
  rows = new Map<number, LinkRow>();
  onRows: () => void = () => {};
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    super("netstats");
  }

  /** Measures (and on the host shares) once a second until `stop()`. */
  start(): void {
    this.#timer ??= setInterval(() => this.#update(), SHARE_MS);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.rows = new Map();
  }

  #update(): void {
    const api = this.multiplayer;
    if (api.connectionStatus !== "connected") {
      if (this.rows.size > 0) {
        this.rows = new Map();
        this.onRows();
      }
      return;
    }
    if (api.isServer()) {
      const rows = new Map<number, LinkRow>();
      for (const id of api.getPeers()) {
        const stats = api.getStats(id);
        if (stats) rows.set(id, rowOf(id, stats));
      }
      this.rows = rows;
      if (rows.size > 0) {
        const wire: WireRow[] = [...rows.values()].map((row) => [
          row.id,
          row.pingMs ?? -1,
          row.lossPercent ?? -1,
          row.kbps,
          row.relay,
        ]);
        this.rpc("table", wire);
      }
    } else {
      const mine = api.getStats(1);
      if (mine) this.rows.set(api.uniqueId, rowOf(api.uniqueId, mine));
    }
    this.onRows();
  }

  /** The host's table of every player's link. */
  @rpc("authority", "unreliable")
  table(rows: unknown): void {
    if (!Array.isArray(rows) || rows.length > MAX_ROWS) return;
    const next = new Map<number, LinkRow>();
    for (const row of rows) {
      if (!Array.isArray(row) || row.length !== 5) return;
      const [id, ping, loss, kbps, relay] = row as unknown[];
      const numbers = [id, ping, loss, kbps].every((n) => typeof n === "number" && Number.isFinite(n));
      if (!numbers || typeof relay !== "boolean") return;
      next.set(id as number, {
        id: id as number,
        pingMs: (ping as number) < 0 ? null : (ping as number),
        lossPercent: (loss as number) < 0 ? null : (loss as number),
        kbps: kbps as number,
        relay,
      });
    }
    // This tab's own row is its own measurement, a second fresher.
    const mine = this.rows.get(this.multiplayer.uniqueId);
    if (mine) next.set(mine.id, mine);
    this.rows = next;
    this.onRows();
  }
}
