import { networkTableOf } from "../rpc/network-table.js";
import type { NetNode } from "../scene/net-node.js";
import { HOST_PEER_ID } from "../signaling/protocol.js";
import type { TransferMode } from "../transport/multiplayer-peer.js";
import { getOrCreate } from "../util/memo.js";
import { COMMAND_MASK, Command } from "../wire/commands.js";
import { MAX_PATHS_PER_SENDER, type PathCache } from "../wire/path-cache.js";
import { decodePathPacket, encodePathPacket, PATH_PACKET_HEADS } from "../wire/path-packet.js";
import { decodeConfirmPath, encodeConfirmPath } from "../wire/rpc-packet.js";
import type { Rejection } from "./rejection.js";
import type { Delivery, RelayPick, Subsystem, SubsystemHost } from "./subsystem.js";
import { targetPeers } from "./targets.js";

/** What the path protocol needs from its MultiplayerAPI. */
export interface PathSyncHost extends SubsystemHost {
  /** Host: whether `peer` may learn that `path` exists (scene replication hides nodes from some peers). */
  mayLearn?(path: string, peer: number): boolean;
  /**
   * Host: sends `packet` to client `to` as relayed from peer `source` (the host answering for a
   * peer it kept an id from: that peer cannot answer a PATH_FORGET it never got).
   */
  relayAs?(source: number, to: number, packet: Uint8Array): void;
  /** `from` released its id `id` (its PATH_FORGET ran here): what was kept about that id goes. */
  released?(from: number, id: number): void;
  /**
   * Drops the unreliable calls naming `source`'s ids `ids` (this peer's own when it is this peer)
   * still waiting in the transport's congested queue to `to`: their node left the tree there.
   */
  discardWaitingCalls?(to: number, source: number, ids: ReadonlySet<number>): void;
}

/** How a packet names a node: by an id every receiver confirmed, or inline. */
export interface NodeName {
  cacheId: number;
  inline: { path: string; digest: number } | null;
  /** The peers the packet teaches the id to, once sent (`taught`); empty when it teaches nobody. */
  teaches: readonly number[];
}

/**
 * The path cache's protocol (WIRE.md, "Path ids"): which packets teach an id, confirmations,
 * announcements, and releasing ids when nodes leave the tree. Ids are learned only from packets
 * that arrive directly, reliable, on channel 0 (an inline call, or PATH_ANNOUNCE), the stream
 * PATH_FORGET travels on, so a receiver always holds an id when told to forget it.
 */
export class PathSync implements Subsystem {
  readonly commands = [Command.CONFIRM_PATH, ...PATH_PACKET_HEADS];
  readonly #host: PathSyncHost;
  readonly #paths: PathCache;
  #version = 0;
  /** Host: client announcements kept from peers their nodes are hidden from, by client, then peer, then id. */
  readonly #withheld = new Map<number, Map<number, Map<number, { path: string; packet: Uint8Array }>>>();
  /**
   * Host: the ids of each client that an announcement of it did reach, by client, then peer: a
   * later announcement of the same id adds nothing the peer does not know (it passes), and their
   * PATH_FORGET must reach the peer.
   */
  readonly #delivered = new Map<number, Map<number, Set<number>>>();

  constructor(host: PathSyncHost) {
    this.#host = host;
    this.#paths = host.paths;
  }

  /** Bumped whenever an incoming id changes meaning: lookups cached by (sender, id) are stale. */
  get version(): number {
    return this.#version;
  }

  peerAdded(_id: number): void {}

  /**
   * Host, relaying a client's path packets. A PATH_ANNOUNCE is kept from a peer the node is
   * hidden from (its name alone would tell) and handed over by `releaseWithheld` once the node is
   * visible to it; a PATH_FORGET of an id kept back goes nowhere (the peer never learned it).
   */
  relayFor(from: number, packet: Uint8Array): RelayPick | null {
    const decoded = decodePathPacket(packet);
    if (typeof decoded === "string") return null;
    if (decoded.kind === "forget") {
      const ids = new Set([decoded.id]);
      return (to) => {
        // A call of `from` through the id still waiting to go to `to` would reach `to` after
        // the forget, maybe after the id was taught again for another node: it goes first.
        this.#host.discardWaitingCalls?.(to, from, ids);
        return this.#forgetFor(from, to, decoded.id, packet);
      };
    }
    const mayLearn = this.#host.mayLearn;
    if (!mayLearn) return null;
    if (decoded.kind === "announce") {
      return (to) => {
        const kept = getOrCreate(
          getOrCreate(this.#withheld, from, () => new Map()),
          to,
          () => new Map(),
        );
        const delivered = this.#deliveredTo(from, to);
        if (delivered.has(decoded.id) || mayLearn(decoded.path, to)) {
          kept.delete(decoded.id);
          delivered.add(decoded.id);
          return packet;
        }
        kept.set(decoded.id, { path: decoded.path, packet });
        return null;
      };
    }
    return null;
  }

  /** What `to` gets of `from`'s PATH_FORGET of `id`: nothing, when the host kept the id from it. */
  #forgetFor(from: number, to: number, id: number, packet: Uint8Array): Uint8Array | null {
    if (this.#delivered.get(from)?.get(to)?.delete(id)) return packet;
    if (!this.#withheld.get(from)?.get(to)?.delete(id)) return packet;
    // The peer never learned the id, so it cannot answer: the host answers for it, or the
    // client would wait for it forever and never hand the id out again.
    this.#host.relayAs?.(to, from, encodePathPacket({ kind: "forgotten", id }));
    return null;
  }

  /** Host: whether the relay let an announcement of client `from`'s id `id` reach `to`. */
  delivered(from: number, to: number, id: number): boolean {
    return this.#delivered.get(from)?.get(to)?.has(id) ?? false;
  }

  #deliveredTo(from: number, to: number): Set<number> {
    return getOrCreate(
      getOrCreate(this.#delivered, from, () => new Map()),
      to,
      () => new Set(),
    );
  }

  /**
   * Host, before it relays anything from `from` to `to`: the announcements it kept from `to`
   * whose nodes `to` may now see, to be sent first (reliable, channel 0), so the peer learns the
   * ids the packets that follow may use.
   */
  releaseWithheld(from: number, to: number): Uint8Array[] {
    const kept = this.#withheld.get(from)?.get(to);
    const mayLearn = this.#host.mayLearn;
    if (!kept?.size || !mayLearn) return [];
    const released: Uint8Array[] = [];
    for (const [id, { path, packet }] of kept) {
      // A node gone from here cannot be judged: it stays kept until its PATH_FORGET comes.
      if (!this.#host.root.getNode(path) || !mayLearn(path, to)) continue;
      kept.delete(id);
      this.#deliveredTo(from, to).add(id);
      released.push(packet);
    }
    return released;
  }

  /** The API forgets the peer in the path cache itself. */
  peerRemoved(id: number): void {
    this.#version++;
    for (const kept of [this.#withheld, this.#delivered]) {
      kept.delete(id);
      for (const byPeer of kept.values()) byPeer.delete(id);
    }
  }

  reset(): void {
    this.#version++;
    this.#withheld.clear();
    this.#delivered.clear();
  }

  /**
   * How a packet from here to `target` names `node`: cached when every peer it reaches confirmed
   * the id; inline otherwise. An inline packet that cannot teach (not reliable on channel 0, or
   * relayed) is preceded by a PATH_ANNOUNCE for the peers not yet taught.
   */
  name(node: NetNode, target: number, transfer: TransferMode, channel: number): NodeName {
    const path = node.getPath();
    const id = this.#paths.outgoingId(path);
    const self = this.#host.uniqueId;
    const reached = [...targetPeers(target, this.#host.peers(), self)];
    if (reached.every((peer) => this.#paths.isConfirmed(peer, id))) {
      return { cacheId: id, inline: null, teaches: [] };
    }
    const isHost = self === HOST_PEER_ID;
    // A client's packets to anyone but the host are relayed, and the host checks (so learns) them all.
    const holders = isHost || reached.includes(HOST_PEER_ID) ? reached : [...reached, HOST_PEER_ID];
    const digest = networkTableOf(node).digest;
    const inline = { path, digest };
    if ((isHost || target === HOST_PEER_ID) && transfer === "reliable" && channel === 0) {
      return { cacheId: id, inline, teaches: holders };
    }
    if (holders.some((peer) => !this.#paths.isTaught(peer, id))) {
      this.#host.send(encodePathPacket({ kind: "announce", id, path, digest }), target, "reliable", 0);
      this.taught(id, holders);
    }
    return { cacheId: id, inline, teaches: [] };
  }

  /**
   * How a reliable channel-0 packet from here to one `peer` names `node` (scene replication's
   * refs: WIRE.md, "Scene replication"): the id alone once `peer` was taught it (or, `again`,
   * confirmed it); otherwise the path inline. Sent directly (host ⇄ client) the packet teaches the
   * id, and `teaches` lists `peer` (call `taught` once sent); relayed (client to client) it cannot,
   * so a PATH_ANNOUNCE goes first, as for RPCs, and the inline path only lets the receiver find
   * the node. `again`: announce once more (the peer may have lacked the node the first time).
   */
  nameFor(node: NetNode, peer: number, again = false): NodeName {
    const path = node.getPath();
    const id = this.#paths.outgoingId(path);
    const known = this.#paths.isConfirmed(peer, id) || (!again && this.#paths.isTaught(peer, id));
    if (known) return { cacheId: id, inline: null, teaches: [] };
    const inline = { path, digest: networkTableOf(node).digest };
    if (this.isDirect(peer)) return { cacheId: id, inline, teaches: [peer] };
    this.announce(node, peer);
    return { cacheId: id, inline, teaches: [] };
  }

  /**
   * Sends `peer` a PATH_ANNOUNCE of `node`'s id (relayed by the host, which learns it too):
   * how the ids of a node spawned by a relayed SPAWN reach the peer, once the SPAWN made it.
   */
  announce(node: NetNode, peer: number): void {
    const path = node.getPath();
    const id = this.#paths.outgoingId(path);
    const digest = networkTableOf(node).digest;
    this.#host.send(encodePathPacket({ kind: "announce", id, path, digest }), peer, "reliable", 0);
    this.taught(id, peer === HOST_PEER_ID ? [peer] : [peer, HOST_PEER_ID]);
  }

  /** Whether packets from here to `peer` arrive directly (they do unless both ends are clients). */
  isDirect(peer: number): boolean {
    return this.#host.uniqueId === HOST_PEER_ID || peer === HOST_PEER_ID;
  }

  /** Whether a packet teaches the ids it names inline: it arrived directly, reliable, on channel 0. */
  static teaches(delivery: Delivery): boolean {
    return !delivery.relayed && delivery.transfer === "reliable" && delivery.channel === 0;
  }

  /**
   * `from` taught `id` for `path` in a packet that teaches (a direct SPAWN or DELTA: replication
   * names nodes without digests). Bound and confirmed when new if `present` (the node is here and
   * accepted); otherwise refused, as an RPC's missing node is, so that the sender's PATH_FORGET
   * is still answered. False when rejected: the id is still held for another path, or out of range.
   */
  learn(from: number, id: number, path: string, present = true): boolean {
    if (id >= MAX_PATHS_PER_SENDER || this.#conflicts(from, id, path)) {
      const why = id >= MAX_PATHS_PER_SENDER ? "out of range" : "reused before it was forgotten";
      this.#reject(from, "malformed", `path id ${id} ${why}`, path);
      return false;
    }
    if (!present) {
      this.#paths.refuse(from, id);
      this.#version++; // a forgotten id's old path no longer answers for it
      return true;
    }
    if (this.#paths.learn(from, id, path) === "new") {
      this.#version++;
      this.#host.send(encodeConfirmPath(id), from, "reliable", 0);
    }
    return true;
  }

  /** `from` taught `id` for a node that is not here (a refused spawn): noted, so its PATH_FORGET is answered. */
  refuse(from: number, id: number): void {
    if (id >= MAX_PATHS_PER_SENDER) return;
    this.#paths.refuse(from, id);
    this.#version++;
  }

  /**
   * A packet that teaches `id` went to `peers`: they are told to forget it when it is released.
   * Called once the packet was sent (one that failed to go must not count).
   */
  taught(id: number, peers: readonly number[]): void {
    for (const peer of peers) this.#paths.taught(peer, id);
  }

  /** `node` leaves the tree: its ids and those of its subtree are released, their holders told. */
  nodeExiting(node: NetNode): void {
    const released = this.#paths.release(node.getPath());
    // Calls to the gone nodes still waiting in a congested queue have no target, and could
    // arrive after an id was taught again for another node: they go before the forgets do.
    const self = this.#host.uniqueId;
    const ids = new Set(released.map(({ id }) => id));
    if (ids.size > 0) {
      const links = self === HOST_PEER_ID ? this.#host.peers() : [HOST_PEER_ID];
      for (const link of links) this.#host.discardWaitingCalls?.(link, self, ids);
    }
    for (const { id, peers } of released) {
      const packet = encodePathPacket({ kind: "forget", id });
      for (const peer of peers) this.#host.send(packet, peer, "reliable", 0);
    }
  }

  /**
   * The node a packet from `from` names inline, learning the id when the packet teaches it;
   * null when rejected (reported). An announcement's missing or different node is not reported:
   * the calls that follow it are.
   */
  resolveNamed(
    from: number,
    id: number,
    named: { path: string; digest: number },
    teaches: boolean,
    announcement = false,
  ): NetNode | null {
    const { path, digest } = named;
    if (teaches && this.#conflicts(from, id, path)) {
      this.#reject(from, "malformed", `path id ${id} reused for ${path} before it was forgotten`, path);
      return null;
    }
    const node = this.#host.root.getNode(path);
    const refused = (reason: Rejection["reason"], message: string): null => {
      if (teaches) {
        this.#paths.refuse(from, id);
        this.#version++; // a forgotten id's old path no longer answers for it
      }
      if (!announcement) this.#reject(from, reason, message, path);
      return null;
    };
    if (!node) return refused("unknown_node", `no node at ${path}`);
    const local = networkTableOf(node).digest;
    if (digest !== local) {
      return refused(
        "config_mismatch",
        `${path} declares different networked members on ${from} (digest ${digest}, here ${local})`,
      );
    }
    if (!teaches) return node;
    if (this.#paths.learn(from, id, path) === "new") {
      this.#version++;
      this.#host.send(encodeConfirmPath(id), from, "reliable", 0);
    }
    return node;
  }

  /** The node `from`'s confirmed id names (or named, for a late packet after its release). */
  resolveCached(from: number, id: number): NetNode | null {
    const path = this.#paths.cachedPathOf(from, id);
    if (path === undefined) {
      this.#reject(from, "unknown_node", `unknown node cache id ${id}`);
      return null;
    }
    const node = this.#host.root.getNode(path);
    if (!node) this.#reject(from, "unknown_node", `no node at ${path}`, path);
    return node;
  }

  check(from: number, packet: Uint8Array, delivery: Delivery): (() => void) | null {
    if ((packet[0]! & COMMAND_MASK) === Command.CONFIRM_PATH) {
      const id = decodeConfirmPath(packet);
      if (typeof id === "string") return this.#rejected(from, id);
      return () => {
        if (this.#paths.confirm(from, id) === "unknown")
          this.#reject(from, "malformed", `confirmation of unknown path id ${id}`);
      };
    }
    const message = decodePathPacket(packet);
    if (typeof message === "string") return this.#rejected(from, message);
    if (message.id >= MAX_PATHS_PER_SENDER) return this.#rejected(from, `path id ${message.id} out of range`);
    if (delivery.transfer !== "reliable" || delivery.channel !== 0) {
      return this.#rejected(from, `${message.kind} packet not sent reliably on channel 0`);
    }
    switch (message.kind) {
      case "announce":
        // Learned while checking, as an inline call is: the host checks what it relays by it. A
        // missing or different node is no reason to stop it: the receivers judge for themselves.
        if (this.#conflicts(from, message.id, message.path)) {
          this.#reject(
            from,
            "malformed",
            `path id ${message.id} reused before it was forgotten`,
            message.path,
          );
          return null;
        }
        this.resolveNamed(from, message.id, message, true, true);
        return () => {};
      case "forget":
        return () => {
          // An id this side does not hold is answered too: the packet that taught it may have
          // been dropped on the way (the host's rate limits), and the sender waits for every
          // peer it counts as taught before it hands the id out again.
          const held = this.#paths.unlearn(from, message.id);
          if (held) this.#version++;
          this.#host.send(encodePathPacket({ kind: "forgotten", id: message.id }), from, "reliable", 0);
          if (held) this.#host.released?.(from, message.id);
        };
      case "forgotten":
        return () => {
          if (!this.#paths.forgotten(from, message.id)) {
            this.#reject(from, "malformed", `path id ${message.id} was not released to peer ${from}`);
          }
        };
    }
  }

  /** Whether `from` teaches `id` for `path` while this peer still holds it for another path. */
  #conflicts(from: number, id: number, path: string): boolean {
    const bound = this.#paths.pathOf(from, id);
    return bound !== undefined && bound !== path;
  }

  #reject(from: number, reason: Rejection["reason"], message: string, node?: string): void {
    this.#host.reject({ from, reason, message, ...(node && { node }) });
  }

  #rejected(from: number, message: string): null {
    this.#reject(from, "malformed", message);
    return null;
  }
}
