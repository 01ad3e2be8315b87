import type { RelayPick } from "../multiplayer/subsystem.js";
import { getOrCreate } from "../util/memo.js";
import type { NodeRef } from "../wire/replication-io.js";
import { type DeltaPacket, decodeDelta, encodeDelta } from "../wire/sync-packet.js";
import type { ReplicationContext } from "./replication-context.js";
import { MultiplayerSynchronizer } from "./synchronizer.js";

/**
 * The host's relay of its clients' SYNC and DELTA: a client is its synchronizers' authority, but
 * the host decides who sees them (its copy's filters, and where the node is spawned). A SYNC goes
 * to a recipient whole or not at all; a DELTA loses the entries hidden from it, and an inline path
 * kept back with one is put back when the synchronizer is shown. SyncReplication owns one (on
 * every peer; only a host uses it).
 */
export class RelayedSyncs {
  /**
   * Per client, per recipient, the client's sync ids whose inline path the relay kept from
   * that recipient (the entry was hidden from it). The client believes the path arrived; when
   * such a synchronizer becomes visible, the relay puts the path back into its next entry.
   */
  readonly #strippedPaths = new Map<number, Map<number, Set<number>>>();

  constructor(
    readonly context: ReplicationContext,
    /** The synchronizer ids of a SYNC packet (SyncReceiver.idsOf). */
    readonly idsOf: (bytes: Uint8Array) => readonly number[] | undefined,
    /** Whether the host sends `sync` to `peer` (SyncReplication.sendsTo). */
    readonly sendsTo: (sync: MultiplayerSynchronizer, peer: number) => boolean,
  ) {}

  /**
   * A client's SYNC relayed to others (the client is the authority, but the host decides
   * visibility: its copy's filters, and where it spawned the node). A recipient gets the packet
   * whole or not at all: its entries are not self-delimited and are deltas against what the
   * recipient holds, so leaving one out would corrupt the recipient's copy of that synchronizer.
   * A packet with an entry hidden from the recipient is dropped for it, as a lost packet would be
   * (the recipient does not acknowledge that tick, so the owner never uses it as its baseline).
   * That lasts only until the owner hears the host's SYNC_VISIBILITY, sent on the change
   * (OwnerVisibility): from then on the owner leaves the recipient out of that synchronizer's
   * groups, so its other entries reach it again.
   */
  relaySync(from: number, bytes: Uint8Array): RelayPick | null {
    const ids = this.idsOf(bytes);
    // Dropped here before decoding (older than the history): stale for everyone.
    if (!ids) return () => null;
    if (ids.length === 0) return null;
    const syncs: MultiplayerSynchronizer[] = [];
    for (const id of ids) {
      const sync = this.#hostCopy(from, { id, path: null });
      // Not here (a grave): the host cannot judge that entry, so the packet is not all hidden.
      if (!sync) return null;
      syncs.push(sync);
    }
    return (to) => (syncs.every((sync) => this.sendsTo(sync, to)) ? bytes : null);
  }

  /**
   * A client's DELTA relayed to others: each recipient gets the entries the host's copy of
   * their synchronizer lets it see (re-encoded only when some are left out: reliable changes are
   * not sent again, so a visible entry must never go with a hidden one), with paths the relay
   * kept back restored (see #strippedPaths).
   */
  relayDelta(from: number, bytes: Uint8Array): RelayPick | null {
    const packet = decodeDelta(bytes);
    if (typeof packet === "string") return null;
    const syncs = packet.entries.map((entry) => this.#hostCopy(from, entry.ref));
    if (!this.#strippedPaths.has(from) && syncs.every((sync) => sync === null)) return null;
    return (to) => {
      const kept: DeltaPacket["entries"] = [];
      let changed = false;
      for (const [i, entry] of packet.entries.entries()) {
        const sync = syncs[i];
        const { id, path } = entry.ref;
        if (sync && !this.sendsTo(sync, to)) {
          changed = true;
          if (path !== null) {
            const byRecipient = getOrCreate(this.#strippedPaths, from, () => new Map<number, Set<number>>());
            getOrCreate(byRecipient, to, () => new Set<number>()).add(id);
          }
          continue;
        }
        // Kept back earlier: the recipient does not know this id yet.
        if (this.#strippedPaths.get(from)?.get(to)?.delete(id) && path === null) {
          const known = this.context.cachedPathOf(from, id);
          if (known !== undefined) {
            kept.push({ ref: { id, path: known }, state: entry.state });
            changed = true;
            continue;
          }
        }
        kept.push(entry);
      }
      if (!changed) return bytes;
      return kept.length > 0 ? encodeDelta({ tick: packet.tick, entries: kept }) : null;
    };
  }

  /** The host's copy of the synchronizer a client names with `ref`, or null (not here). */
  #hostCopy(from: number, ref: NodeRef): MultiplayerSynchronizer | null {
    const path = ref.path ?? this.context.cachedPathOf(from, ref.id);
    const node = path === undefined ? null : this.context.host.root.getNode(path);
    return node instanceof MultiplayerSynchronizer ? node : null;
  }

  /** `from` released `id`: a path kept back by it named a synchronizer gone from `from`. */
  released(from: number, id: number): void {
    for (const stripped of this.#strippedPaths.get(from)?.values() ?? []) stripped.delete(id);
  }

  /** `id` left: what was kept back from it, or by it, is forgotten. */
  peerRemoved(id: number): void {
    this.#strippedPaths.delete(id);
    for (const byRecipient of this.#strippedPaths.values()) byRecipient.delete(id);
  }

  reset(): void {
    this.#strippedPaths.clear();
  }
}
