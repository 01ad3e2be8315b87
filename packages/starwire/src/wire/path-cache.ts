import { getOrCreate } from "../util/memo.js";

/**
 * Node paths are sent once per receiver, then referred to by a small id (Godot's path cache).
 * Ids are the sender's own; each receiver keeps a table per sender and confirms what it learned.
 * Ids are recycled (WIRE.md, "Path ids"): when a named node leaves the tree its id is released,
 * every peer that was taught it is told to forget it, and it is handed out again only once they
 * all confirmed (or left).
 *
 * Ids are below this: a sender never has more ids live or waiting to be forgotten, so a receiver
 * never holds more than this many of one sender's paths.
 */
export const MAX_PATHS_PER_SENDER = 4096;

/** One of this peer's ids, live or being forgotten. */
interface OutgoingId {
  path: string;
  /** Peers that may hold the id: a packet that teaches it was sent to them. */
  readonly taught: Set<number>;
  readonly confirmed: Set<number>;
  /** Set once released: the taught peers that have not confirmed forgetting yet. */
  pending: Set<number> | null;
}

/** What a receiver holds for one of a sender's ids. */
type IncomingState =
  | { kind: "bound"; path: string }
  | { kind: "refused" }
  /** Released by its sender; `path` is what it named, for packets sent before the release. */
  | { kind: "forgotten"; path: string | null };

export type LearnResult = "new" | "known" | "conflict" | "out_of_range";

const NO_PEERS: ReadonlySet<number> = new Set();

export class PathCache {
  readonly #byPath = new Map<string, number>();
  readonly #ids = new Map<number, OutgoingId>();
  /** Released ids everyone forgot, oldest first: reused in that order, as late as possible. */
  readonly #free: number[] = [];
  #nextId = 0;
  readonly #incoming = new Map<number, Map<number, IncomingState>>();

  /** This peer's live id for `path`, assigned on first use; throws when every id is in use. */
  outgoingId(path: string): number {
    let id = this.#byPath.get(path);
    if (id !== undefined) return id;
    id = this.#free.shift();
    if (id === undefined) {
      if (this.#nextId >= MAX_PATHS_PER_SENDER) {
        throw new RangeError(
          `more than ${MAX_PATHS_PER_SENDER} node paths in use at once (live, or removed and not yet forgotten by every peer)`,
        );
      }
      id = this.#nextId++;
    }
    this.#byPath.set(path, id);
    this.#ids.set(id, { path, taught: new Set(), confirmed: new Set(), pending: null });
    return id;
  }

  isConfirmed(peer: number, id: number): boolean {
    return this.#ids.get(id)?.confirmed.has(peer) ?? false;
  }

  /** The peers that confirmed `id` (`isConfirmed` for many peers at once); live, do not keep it. */
  confirmedPeers(id: number): ReadonlySet<number> {
    return this.#ids.get(id)?.confirmed ?? NO_PEERS;
  }

  isTaught(peer: number, id: number): boolean {
    return this.#ids.get(id)?.taught.has(peer) ?? false;
  }

  /** Records that a packet teaching live `id` was sent to `peer`. */
  taught(peer: number, id: number): void {
    const entry = this.#ids.get(id);
    if (entry && !entry.pending) entry.taught.add(peer);
  }

  /**
   * Records `peer`'s confirmation. "ignored" for an id being forgotten (the confirmation crossed
   * the release), "unknown" for an id this peer does not have out.
   */
  confirm(peer: number, id: number): "confirmed" | "ignored" | "unknown" {
    const entry = this.#ids.get(id);
    if (!entry) return "unknown";
    if (entry.pending) return "ignored";
    entry.confirmed.add(peer);
    return "confirmed";
  }

  /**
   * Releases the ids of `path` and every path below it (a node left the tree with its subtree).
   * Returns each released id with the peers that must be told to forget it; an id nobody was
   * taught is free at once.
   */
  release(path: string): Array<{ id: number; peers: number[] }> {
    const released: Array<{ id: number; peers: number[] }> = [];
    const below = `${path}/`;
    for (const [candidate, id] of this.#byPath) {
      if (candidate !== path && !candidate.startsWith(below)) continue;
      this.#byPath.delete(candidate);
      const entry = this.#ids.get(id)!;
      entry.pending = new Set(entry.taught);
      entry.confirmed.clear();
      if (entry.pending.size === 0) this.#freeId(id);
      else released.push({ id, peers: [...entry.pending] });
    }
    return released;
  }

  /** `peer` forgot released `id`; false when it was not asked to (hostile or confused). */
  forgotten(peer: number, id: number): boolean {
    const pending = this.#ids.get(id)?.pending;
    if (!pending?.delete(peer)) return false;
    if (pending.size === 0) this.#freeId(id);
    return true;
  }

  /** Whether `sender`'s `id` is taught by a packet (reliable, channel 0) that names `path`. */
  learn(sender: number, id: number, path: string): LearnResult {
    if (id >= MAX_PATHS_PER_SENDER) return "out_of_range";
    const paths = getOrCreate(this.#incoming, sender, () => new Map<number, IncomingState>());
    const state = paths.get(id);
    if (state?.kind === "bound") return state.path === path ? "known" : "conflict";
    paths.set(id, { kind: "bound", path });
    return "new";
  }

  /**
   * `sender` taught `id` but its node was not acceptable here (missing, other code): nothing is
   * bound, but the sender counts this peer among those to tell when it releases the id.
   */
  refuse(sender: number, id: number): void {
    if (id >= MAX_PATHS_PER_SENDER) return;
    const paths = getOrCreate(this.#incoming, sender, () => new Map<number, IncomingState>());
    if (paths.get(id)?.kind !== "bound") paths.set(id, { kind: "refused" });
  }

  /** `sender` released `id`: forgets it; false when `sender` never taught it (or it was forgotten). */
  unlearn(sender: number, id: number): boolean {
    const paths = this.#incoming.get(sender);
    const state = paths?.get(id);
    if (!paths || !state || state.kind === "forgotten") return false;
    paths.set(id, { kind: "forgotten", path: state.kind === "bound" ? state.path : null });
    return true;
  }

  pathOf(sender: number, id: number): string | undefined {
    const state = this.#incoming.get(sender)?.get(id);
    return state?.kind === "bound" ? state.path : undefined;
  }

  /**
   * What a cached packet from `sender` naming `id` addresses: the bound path, or, for an id the
   * sender released and has not taught again, the path it named (a packet sent before the release
   * that arrives after it: on another channel, or unreliable).
   */
  cachedPathOf(sender: number, id: number): string | undefined {
    const state = this.#incoming.get(sender)?.get(id);
    if (state?.kind === "bound") return state.path;
    return state?.kind === "forgotten" ? (state.path ?? undefined) : undefined;
  }

  /** Forgets everything about a peer that left; ids waiting only for it are free again. */
  forget(peer: number): void {
    this.#incoming.delete(peer);
    for (const [id, entry] of this.#ids) {
      entry.taught.delete(peer);
      entry.confirmed.delete(peer);
      if (entry.pending?.delete(peer) && entry.pending.size === 0) this.#freeId(id);
    }
  }

  /** Forgets everything, this peer's own ids included (a new transport, or the host is gone). */
  clear(): void {
    this.#byPath.clear();
    this.#ids.clear();
    this.#free.length = 0;
    this.#nextId = 0;
    this.#incoming.clear();
  }

  /**
   * Entry counts, for leak checks: live outgoing ids, peers that confirmed any of them, released
   * ids still waiting for peers to forget them, ids ever handed out (the largest id + 1), peers
   * with incoming tables and the entries in them.
   */
  get stats() {
    let incomingEntries = 0;
    for (const paths of this.#incoming.values()) incomingEntries += paths.size;
    const confirmedPeers = new Set<number>();
    for (const entry of this.#ids.values()) for (const peer of entry.confirmed) confirmedPeers.add(peer);
    return {
      outgoing: this.#byPath.size,
      confirmedPeers: confirmedPeers.size,
      releasing: this.#ids.size - this.#byPath.size,
      idsAssigned: this.#nextId,
      incomingPeers: this.#incoming.size,
      incomingEntries,
    };
  }

  #freeId(id: number): void {
    this.#ids.delete(id);
    this.#free.push(id);
  }
}
