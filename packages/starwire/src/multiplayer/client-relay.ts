import type { SceneReplication } from "../replication/scene-replication.js";
import { HOST_PEER_ID } from "../signaling/protocol.js";
import type { TransferMode } from "../transport/multiplayer-peer.js";
import { Extended, extendedHead } from "../wire/commands.js";
import { latestKey } from "../wire/rpc-packet.js";
import { encodeRelay } from "../wire/system-packet.js";
import type { PathSync } from "./path-sync.js";
import type { Rejection } from "./rejection.js";
import type { Delivery, RelayPick } from "./subsystem.js";
import { targetIncludes, targetPeers } from "./targets.js";

const PATH_ANNOUNCE_HEAD = extendedHead(Extended.PATH_ANNOUNCE);

/** What the relay needs from the API that owns it. */
export interface RelayHost {
  /** The clients in the game. */
  peers(): ReadonlySet<number>;
  send(to: number, packet: Uint8Array, transfer: TransferMode, channel: number, key?: string | null): void;
  /** What the packet would do on the host, once checked; null when rejected. */
  check(from: number, packet: Uint8Array, delivery: Delivery): (() => void) | null;
  /** The owning subsystem's choice of what each recipient gets (Subsystem.relayFor). */
  relayFor(from: number, packet: Uint8Array): RelayPick | null;
  reject(from: number, reason: Rejection["reason"], message: string): void;
  /** Charges `from`'s byte budget for the extra copies. */
  charge(from: number, bytes: number): void;
  readonly replication: Pick<SceneReplication, "releaseKept" | "withdrawHidden" | "keptPairs">;
  readonly pathSync: Pick<PathSync, "releaseWithheld" | "delivered">;
}

/**
 * The host's relay of its clients' packets to each other: each is checked as if the host were to
 * run it, stamped with the client's true id, and passed to each recipient as the owning subsystem
 * allows (what the host's copy of a node hides from a peer never reaches it); what was kept from
 * a peer is handed over once it may see it, and what it may see no more is withdrawn.
 */
export class ClientRelay {
  constructor(readonly host: RelayHost) {}

  /**
   * Host: forwards a client's packet, stamped with the client's true id, and runs it here if
   * addressed. It forwards only what it would accept itself (a call it would reject reaches
   * nobody), and charges the sender's byte budget once per recipient.
   */
  relay(from: number, target: number, packet: Uint8Array, transfer: TransferMode, channel: number): void {
    const delivery: Delivery = { transfer, channel, relayed: true };
    if (target > 0 && target !== HOST_PEER_ID && !this.host.peers().has(target)) {
      // An announcement still teaches the host (its sender counts on that: it will tell the host
      // to forget the id), though its target is gone.
      if (packet[0] === PATH_ANNOUNCE_HEAD) this.host.check(from, packet, delivery);
      return this.host.reject(from, "unknown_target", `relay to unknown peer ${target}`);
    }
    const run = this.host.check(from, packet, delivery);
    if (!run) return;
    if (targetIncludes(target, HOST_PEER_ID)) run();
    if (target === HOST_PEER_ID) return;
    const recipients = [...targetPeers(target, this.host.peers(), from)];
    // The subsystem may keep the packet (or part of it) from some recipients: what the host's
    // copy of a node hides from a peer never reaches it through the host either.
    const pick = this.host.relayFor(from, packet);
    // One stamped copy per distinct packet, shared by every recipient that gets it.
    const stamped = new Map<Uint8Array, { bytes: Uint8Array; key: string | null }>();
    const sends: [number, Uint8Array, string | null][] = [];
    for (const id of recipients) {
      this.handOver(from, id);
      const inner = pick ? pick(id) : packet;
      if (!inner) continue;
      let copy = stamped.get(inner);
      if (!copy) {
        const bytes = encodeRelay(from, inner);
        copy = { bytes, key: transfer === "reliable" ? null : latestKey(bytes) };
        stamped.set(inner, copy);
      }
      sends.push([id, copy.bytes, copy.key]);
    }
    // The packet itself was charged when it arrived; every further copy costs the host's uplink too.
    if (sends.length > 1) this.host.charge(from, packet.length * (sends.length - 1));
    for (const [id, bytes, key] of sends) this.host.send(id, bytes, transfer, channel, key);
  }

  /**
   * Host: what the relay kept from `to` of client `from`'s packets and `to` may see now, sent
   * before anything else from `from` reaches it: a SPAWN first, then the announcements of the ids
   * the packets that follow may use (the spawned node's among them), then the on-change state the
   * SPAWN could not carry.
   */
  handOver(from: number, to: number): void {
    const { spawns, after } = this.host.replication.releaseKept(from, to);
    const kept = [...spawns, ...this.host.pathSync.releaseWithheld(from, to), ...after];
    for (const released of kept) this.host.send(to, encodeRelay(from, released), "reliable", 0);
  }

  /**
   * Each network tick: a client's spawn the host kept from a peer is shown there once the host's
   * copy is visible to it, without waiting for that client's next packet to the peer (it may send
   * none); and one a peer has but may no longer see is despawned there, as the host's own are.
   */
  networkTick(): void {
    const { host } = this;
    const knows = (from: number, to: number, id: number) => host.pathSync.delivered(from, to, id);
    for (const { from, to, packet } of host.replication.withdrawHidden(knows)) {
      host.send(to, encodeRelay(from, packet), "reliable", 0);
    }
    for (const [from, to] of host.replication.keptPairs()) this.handOver(from, to);
  }
}
