import type * as Starwire from "starwire";
import type { Arena } from "./arena.js";
import type { WorldState } from "./replication-world.js";

export interface HarnessEvent {
  name: string;
  args: unknown[];
  at: number;
}

export interface DataChannelRecord extends RTCDataChannelInit {
  label: string;
}

export type JoinOptions = Omit<Starwire.WebRTCPeerOptions, "signalingUrl">;

export interface Harness {
  starwire: typeof Starwire;
  api: Starwire.MultiplayerAPI;
  arena: Arena;
  events: HarnessEvent[];
  channels: DataChannelRecord[];
  /** Creates a room, assigns the peer to `multiplayer`, returns the room code. */
  host(maxPlayers: number, options?: JoinOptions): Promise<string>;
  join(
    roomCode: string,
    options?: JoinOptions,
  ): Promise<{ ok: true; id: number } | { ok: false; reason: string }>;
  /** Makes the DTLS handshake of this tab's next connections fail. */
  breakDtls(): void;
  /** What this tab's WebRTC peer holds (`debugStats()`), or null when it has none. */
  stats(): ReturnType<Starwire.WebRTCMultiplayerPeer["debugStats"]> | null;
  /** Event log as "peerConnected 123" lines, packets left out. */
  names(): string[];
  /** The candidate types of the pair each open connection of this tab selected (getStats). */
  selectedPairs(): Promise<Array<{ local: string; remote: string }>>;
  /** The types of every ICE candidate this tab's open connections gathered or were sent (getStats). */
  candidateTypes(): Promise<string[]>;
  /** The replicated world of replication-world.ts (replication.spec.ts). */
  replication: ReplicationHarness;
}

/** Drives this tab's replicated world; `setup()` first, before hosting or joining. */
export interface ReplicationHarness {
  /** Builds /root/world (once); a joiner must have it before the host's spawns arrive. */
  setup(): void;
  /** Authority: adds `count` entities named `${prefix}${i}` placed at `frame`. */
  populate(count: number, frame?: number, prefix?: string): void;
  /**
   * Authority: adds one entity whose visibility is set before it enters the tree (so not even its
   * spawn leaves before): `publicVisibility`, peers it is shown to, peers a filter hides it from.
   */
  addEntity(name: string, visibility: { public: boolean; visibleTo?: number[]; filterOut?: number }): void;
  /** Authority: moves every entity to `frame`. */
  moveTo(frame: number): void;
  /** Authority: moves frame by frame from `from` to `to`, one frame per `msPerFrame`, as a game loop would. */
  animate(from: number, to: number, msPerFrame: number): Promise<void>;
  state(): WorldState;
  /** worldDiff(expected, this tab's world). */
  diff(expected: WorldState): string[];
  /** Names of the entities that entered this tab's tree, in order. */
  entered(): string[];
  /** Names of the entities this tab received `spawned` for, with their state at that moment. */
  spawnedStates(): WorldState;
  /** Authority: `publicVisibility` of entity `name`'s synchronizer. */
  setPublic(name: string, visible: boolean): void;
  /** Authority: `setVisibilityFor(peer, visible)` on entity `name`'s synchronizer. */
  setVisibleFor(name: string, peer: number, visible: boolean): void;
  /** Authority: lifts the filter `addEntity` set (`filterOut`) and applies visibility at once. */
  unhide(name: string): void;
  /**
   * Host: adds an entity whose synchronizer `owner` is the authority of (named `${label}_${owner}`,
   * returned), hidden by a filter from `filterOut` when given (`unhide` / `hide` toggle it).
   */
  addOwned(label: string, owner: number, filterOut?: number): string;
  /** Host: puts the filter `addOwned` / `addEntity` set back in force and applies visibility at once. */
  hide(name: string): void;
  /** Owner: moves the entities this tab is the synchronizer authority of, frame by frame (as `animate`). */
  animateOwned(from: number, to: number, msPerFrame: number): Promise<void>;
  /** Owner: each `visibilityChanged` of the entities it owns, as "name peer" lines, in order. */
  visibilityChanges(): string[];
  /** Authority: sets the hue (an on-change property) of entity `name`. */
  setHue(name: string, hue: number): void;
  /**
   * Host: from now on, records each packet this tab's transport sends to `peer` whose bytes hold
   * one of `names` (a spawn names its node; a path announcement its path).
   */
  watchPacketsTo(peer: number, names: string[]): void;
  /** What `watchPacketsTo` recorded: "name in packet 0x07" lines, in order. */
  watchedPackets(): string[];
  /** The first event that means this tab's game went wrong (a failure, a disconnection, a rejection), or null. */
  failure(): string | null;
}

declare global {
  interface Window {
    harness: Harness;
  }
}
