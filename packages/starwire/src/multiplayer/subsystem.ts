import type { NetNode } from "../scene/net-node.js";
import type { TransferMode } from "../transport/multiplayer-peer.js";
import type { PathCache } from "../wire/path-cache.js";
import type { Rejection } from "./rejection.js";

/** How a packet arrived: its transfer mode and channel, and whether the host relayed it. */
export interface Delivery {
  readonly transfer: TransferMode;
  readonly channel: number;
  /** From another client through the host (on the host: a client's packet it is about to forward). */
  readonly relayed: boolean;
}

/** What one recipient of a relayed packet gets (see `Subsystem.relayFor`). */
export type RelayPick = (to: number) => Uint8Array | null;

/** What the API gives every subsystem that names nodes and sends: one object, built once. */
export interface SubsystemHost {
  readonly uniqueId: number;
  readonly root: NetNode;
  /** The API's path cache, shared by everything that names nodes on the wire. */
  readonly paths: PathCache;
  /** Every peer a target of 0 reaches from here, self excluded. */
  peers(): Iterable<number>;
  /** Sends to a target with the API's fan-out and relay rules. */
  send(packet: Uint8Array, target: number, transfer: TransferMode, channel: number): void;
  reject(rejection: Rejection): void;
}

/** `host` with a subsystem's own extras: the host's live getters stay live, and so do the extras'. */
export function withExtras<Extra extends object>(host: SubsystemHost, extras: Extra): SubsystemHost & Extra {
  return Object.defineProperties(Object.create(host), Object.getOwnPropertyDescriptors(extras));
}

/**
 * How a part of the multiplayer layer plugs into MultiplayerAPI: it names the commands it owns,
 * judges their packets, and hears about peers. The API builds its subsystems once and dispatches
 * each packet by its command; it never knows what a subsystem does with it.
 */
export interface Subsystem {
  /** The packets that go to this subsystem, by `dispatchKey` (wire/commands.ts): `Command` values, or whole EXTENDED first bytes. */
  readonly commands: readonly number[];
  /**
   * Every test a packet from `from` (the true sender, relays resolved) must pass, without running
   * it: returns what running it would do, or null when it was rejected (and reported). `delivery`:
   * how it arrived (transfer, channel, and whether it came inside a relay: the host checking
   * before forwarding, or a client receiving), for packets that only travel directly between a
   * client and the host, or that teach path ids only when direct, reliable, on channel 0.
   */
  check(from: number, packet: Uint8Array, delivery: Delivery): (() => void) | null;
  /**
   * Host only, for a client's packet it relays to other peers (already checked): what recipient
   * `to` gets, the packet itself, other bytes or null (nothing). Null instead of a function:
   * every recipient gets the packet. Lets a subsystem keep from a peer what it must not see.
   */
  relayFor?(from: number, packet: Uint8Array): RelayPick | null;
  /** A peer joined the game. */
  peerAdded(id: number): void;
  /** A peer left the game: forget what was kept about it. */
  peerRemoved(id: number): void;
  /** The API changed transport or lost its host: start over as if new. */
  reset(): void;
  /**
   * Called by `multiplayer.poll()` (every frame, or by the automatic scheduler): `now` is the
   * network time in ms, `tick` the tick number when a network tick is due (send then), else null.
   */
  poll?(now: number, tick: number | null): void;
}
