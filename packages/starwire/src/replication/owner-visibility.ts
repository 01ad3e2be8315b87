import { HOST_PEER_ID } from "../signaling/protocol.js";
import { getOrCreate } from "../util/memo.js";
import { decodeSyncVisibility, encodeSyncVisibility } from "../wire/sync-packet.js";
import type { ReplicationContext } from "./replication-context.js";
import { MultiplayerSynchronizer } from "./synchronizer.js";

/** The host's record of what it told one client-owned synchronizer's owner. */
interface Told {
  readonly owner: number;
  /** Peers the owner was told the synchronizer is hidden from (no notice means visible). */
  readonly hidden: Set<number>;
}

/**
 * SYNC_VISIBILITY (WIRE.md, "Scene replication"): a client may own a synchronizer, but the host
 * decides who sees it. The relay keeps what is hidden from a peer, except a SYNC packet that
 * also carries entries the peer may see (its entries are deltas and cannot be cut out). So the
 * host tells the owner, on each change only, which peers its copy hides the synchronizer from,
 * and the owner's sender leaves them out as it does its own hidden peers: it stops naming the
 * synchronizer there, and restarts them from full state when shown again.
 */
export class OwnerVisibility {
  /** Host: per client-owned synchronizer, what its owner was told. */
  readonly #told = new Map<MultiplayerSynchronizer, Told>();
  /** Owner: per synchronizer it owns, the peers the host hides it from. */
  readonly #hidden = new Map<MultiplayerSynchronizer, Set<number>>();

  constructor(
    readonly context: ReplicationContext,
    /** Applies visibility to `sync` for `peer` (the owner's side, after a notice). */
    readonly refresh: (sync: MultiplayerSynchronizer, peer: number) => void,
  ) {}

  /** Owner: whether the host lets `peer` see `sync` (true unless it said otherwise). */
  allows(sync: MultiplayerSynchronizer, peer: number): boolean {
    return this.#hidden.get(sync)?.has(peer) !== true;
  }

  /** Owner: whether the host hides `sync` from no peer (`allows` is true for every peer). */
  allowsEveryone(sync: MultiplayerSynchronizer): boolean {
    // Sets are deleted when they empty (check, peerRemoved): present means some peer is hidden.
    return !this.#hidden.has(sync);
  }

  /**
   * Host: tells the owner of the client-owned `sync` about every peer (or only `only`, 0 = all)
   * whose visibility changed since it was last told; `visible(peer)` is the host copy's rule.
   */
  update(
    sync: MultiplayerSynchronizer,
    peers: readonly number[],
    visible: (peer: number) => boolean,
    only = 0,
  ): void {
    const owner = sync.getMultiplayerAuthority();
    if (owner === HOST_PEER_ID || !peers.includes(owner)) {
      this.#told.delete(sync);
      return;
    }
    let told = this.#told.get(sync);
    if (told?.owner !== owner) {
      // A new owner was told nothing: it starts from "visible to everyone".
      told = { owner, hidden: new Set() };
      this.#told.set(sync, told);
    }
    for (const peer of peers) {
      if (peer === owner || (only !== 0 && peer !== only)) continue;
      const shown = visible(peer);
      if (shown !== told.hidden.has(peer)) continue;
      if (shown) told.hidden.delete(peer);
      else told.hidden.add(peer);
      this.context.send(
        encodeSyncVisibility({ path: sync.getPath(), peer, visible: shown }),
        owner,
        "reliable",
      );
    }
  }

  /** A SYNC_VISIBILITY from `from`: only the host sends it, only to a client. */
  check(from: number, bytes: Uint8Array): (() => void) | null {
    const { context } = this;
    const packet = decodeSyncVisibility(bytes);
    if (typeof packet === "string") return context.rejected(from, "malformed", `SYNC_VISIBILITY: ${packet}`);
    if (context.host.uniqueId === HOST_PEER_ID || from !== HOST_PEER_ID) {
      return context.rejected(from, "forbidden", "only the host sends SYNC_VISIBILITY", packet.path);
    }
    return () => {
      const sync = context.host.root.getNode(packet.path);
      // Gone, or no longer ours (a notice crosses a removal or an authority change): nothing to do.
      if (!(sync instanceof MultiplayerSynchronizer)) return;
      if (sync.getMultiplayerAuthority() !== context.host.uniqueId) return;
      // A peer that left (the notice crossed its departure) would stay here forever.
      if (!packet.visible && ![...context.host.peers()].includes(packet.peer)) return;
      if (packet.visible) {
        const hidden = this.#hidden.get(sync);
        if (!hidden?.delete(packet.peer)) return;
        if (hidden.size === 0) this.#hidden.delete(sync);
      } else {
        const hidden = getOrCreate(this.#hidden, sync, () => new Set<number>());
        if (hidden.has(packet.peer)) return;
        hidden.add(packet.peer);
      }
      this.refresh(sync, packet.peer);
    };
  }

  /** `sync` left the tree, or its authority changed here: forget both sides. */
  forget(sync: MultiplayerSynchronizer): void {
    this.#told.delete(sync);
    this.#hidden.delete(sync);
  }

  peerRemoved(id: number): void {
    for (const [sync, told] of this.#told) {
      if (told.owner === id) this.#told.delete(sync);
      else told.hidden.delete(id);
    }
    for (const [sync, hidden] of this.#hidden) {
      hidden.delete(id);
      if (hidden.size === 0) this.#hidden.delete(sync);
    }
  }

  reset(): void {
    this.#told.clear();
    this.#hidden.clear();
  }
}
