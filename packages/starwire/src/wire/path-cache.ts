import { getOrCreate } from "../util/memo.js";

/**
 * Node paths are sent once per receiver, then referred to by a small id (Godot's path cache).
 * Ids are the sender's own; each receiver keeps a table per sender and confirms what it learned.
 */
export const MAX_PATHS_PER_SENDER = 4096;

export class PathCache {
  readonly #outgoing = new Map<string, number>();
  readonly #confirmed = new Map<number, Set<number>>();
  readonly #incoming = new Map<number, Map<number, string>>();

  /** This peer's id for `path`, assigned on first use. */
  outgoingId(path: string): number {
    let id = this.#outgoing.get(path);
    if (id === undefined) {
      id = this.#outgoing.size;
      this.#outgoing.set(path, id);
    }
    return id;
  }

  isConfirmed(peer: number, id: number): boolean {
    return this.#confirmed.get(peer)?.has(id) ?? false;
  }

  /** Records `peer`'s confirmation; false when `id` is not one this peer handed out. */
  confirm(peer: number, id: number): boolean {
    if (id >= this.#outgoing.size) return false;
    getOrCreate(this.#confirmed, peer, () => new Set<number>()).add(id);
    return true;
  }

  /** Stores `sender`'s id for `path`; "full" when the sender already filled its share. */
  learn(sender: number, id: number, path: string): "new" | "known" | "full" {
    const paths = getOrCreate(this.#incoming, sender, () => new Map<number, string>());
    if (paths.get(id) === path) return "known";
    if (!paths.has(id) && paths.size >= MAX_PATHS_PER_SENDER) return "full";
    paths.set(id, path);
    return "new";
  }

  pathOf(sender: number, id: number): string | undefined {
    return this.#incoming.get(sender)?.get(id);
  }

  /** Forgets everything about a peer that left. */
  forget(peer: number): void {
    this.#confirmed.delete(peer);
    this.#incoming.delete(peer);
  }

  /** Forgets everything, this peer's own ids included (a new transport, or the host is gone). */
  clear(): void {
    this.#outgoing.clear();
    this.#confirmed.clear();
    this.#incoming.clear();
  }

  /** Entry counts, for leak checks: peers with confirmations, peers with incoming tables. */
  get stats(): { outgoing: number; confirmedPeers: number; incomingPeers: number } {
    return {
      outgoing: this.#outgoing.size,
      confirmedPeers: this.#confirmed.size,
      incomingPeers: this.#incoming.size,
    };
  }
}
