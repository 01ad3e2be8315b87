import { Emitter } from "../events/emitter.js";
import { NetNode } from "../scene/net-node.js";
import type { InterpolationStats } from "./interpolation.js";
import { replicationOf } from "./registry.js";
import { parseReplicationConfig, type ReplicationConfig, type SyncProperty } from "./replication-config.js";

export interface SynchronizerEvents {
  /** Receivers: an unreliable state (the "always" properties) was applied. */
  synchronized: [];
  /** Receivers: a reliable delta (changed "on_change" properties) was applied. */
  deltaSynchronized: [];
  /** Authority: this synchronizer became visible or hidden to `peer`. */
  visibilityChanged: [peer: number];
}

/** Decides whether `peer` may see a synchronizer; every filter must agree. */
export type VisibilityFilter = (peer: number) => boolean;

/**
 * Godot 4's MultiplayerSynchronizer: its multiplayer authority sends the configured properties of
 * the node at `rootPath` to every peer it is visible to; other peers apply them.
 */
export class MultiplayerSynchronizer extends NetNode {
  #rootPath = "..";
  #config: ReplicationConfig = {};
  #properties: SyncProperty[] = [];
  /** Seconds between unreliable states of the "always" properties; 0 = every network tick. */
  replicationInterval = 0;
  /** Seconds between reliable deltas of changed "on_change" properties; 0 = every network tick. */
  deltaInterval = 0;
  /** Peers it is explicitly visible to; 0 stands for everyone (Godot's public visibility). */
  readonly #visibility = new Set<number>([0]);
  readonly #filters = new Set<VisibilityFilter>();
  /** `visibleToEveryone`, kept up to date (asked for every synchronizer on every network tick). */
  #everyone = true;
  readonly #emitter = new Emitter<SynchronizerEvents>();

  /** The node whose properties are replicated, relative to this synchronizer (default ".."). */
  get rootPath(): string {
    return this.#rootPath;
  }

  set rootPath(path: string) {
    this.#rootPath = path;
    replicationOf(this)?.pathsChanged(this);
  }

  get rootNode(): NetNode | null {
    return this.getNode(this.#rootPath);
  }

  get replicationConfig(): ReplicationConfig {
    return this.#config;
  }

  /** Set it identically on every peer: properties are named on the wire by their position. */
  set replicationConfig(config: ReplicationConfig) {
    this.#properties = parseReplicationConfig(config);
    this.#config = config;
    replicationOf(this)?.synchronizerChanged(this, 0);
  }

  /** @internal The parsed config, in wire order. */
  get properties(): readonly SyncProperty[] {
    return this.#properties;
  }

  /**
   * Receivers: what snapshot interpolation measured for this synchronizer's interpolated
   * properties (delay, jitter, loss, stalls…), or null when it interpolates nothing (no property
   * with `interpolate`, no state received yet, or the network clock not yet synchronized).
   */
  get interpolationStats(): InterpolationStats | null {
    return replicationOf(this)?.interpolationStats(this) ?? null;
  }

  /** Visible to every peer unless a filter says otherwise (default true). */
  get publicVisibility(): boolean {
    return this.#visibility.has(0);
  }

  set publicVisibility(visible: boolean) {
    this.setVisibilityFor(0, visible);
  }

  /**
   * Makes it visible to `peer` even without public visibility (0 = public visibility). As in
   * Godot, `false` only takes back an earlier `true`: with public visibility on, hide a peer with
   * a filter.
   */
  setVisibilityFor(peer: number, visible: boolean): void {
    if (this.#visibility.has(peer) === visible) return;
    if (visible) this.#visibility.add(peer);
    else this.#visibility.delete(peer);
    this.#everyone = this.#filters.size === 0 && this.#visibility.has(0);
    this.updateVisibility(peer);
  }

  getVisibilityFor(peer: number): boolean {
    return this.#visibility.has(peer);
  }

  addVisibilityFilter(filter: VisibilityFilter): void {
    this.#filters.add(filter);
    this.#everyone = false;
    this.updateVisibility();
  }

  removeVisibilityFilter(filter: VisibilityFilter): void {
    this.#filters.delete(filter);
    this.#everyone = this.#filters.size === 0 && this.#visibility.has(0);
    this.updateVisibility();
  }

  /** Whether the authority sends to `peer`: every filter agrees, and it is public or shown to `peer`. */
  isVisibleTo(peer: number): boolean {
    for (const filter of this.#filters) {
      try {
        if (filter(peer) !== true) return false;
      } catch (error) {
        console.error("starwire: a visibility filter threw", error);
        return false;
      }
    }
    return this.#visibility.has(0) || this.#visibility.has(peer);
  }

  /** @internal Whether it has visibility filters (user code, run on each check). */
  get hasVisibilityFilters(): boolean {
    return this.#filters.size > 0;
  }

  /**
   * @internal Visible to every peer with nothing to ask (public, no filter): a network tick skips
   * its per-peer pass when nothing else changed (with a filter, the filter runs every tick).
   */
  get visibleToEveryone(): boolean {
    return this.#everyone;
  }

  /**
   * Applies visibility now (for `peer`, 0 = every peer) instead of at the next network tick:
   * spawns or despawns the node, starts or stops sending. Filters are also re-run every tick.
   */
  updateVisibility(peer = 0): void {
    replicationOf(this)?.synchronizerChanged(this, peer);
  }

  on<E extends keyof SynchronizerEvents>(
    event: E,
    listener: (...args: SynchronizerEvents[E]) => void,
  ): () => void {
    return this.#emitter.on(event, listener);
  }

  once<E extends keyof SynchronizerEvents>(
    event: E,
    listener: (...args: SynchronizerEvents[E]) => void,
  ): () => void {
    return this.#emitter.once(event, listener);
  }

  off<E extends keyof SynchronizerEvents>(
    event: E,
    listener: (...args: SynchronizerEvents[E]) => void,
  ): void {
    this.#emitter.off(event, listener);
  }

  /** @internal */
  emitReplication<E extends keyof SynchronizerEvents>(event: E, ...args: SynchronizerEvents[E]): void {
    this.#emitter.emit(event, ...args);
  }
}
