import { Emitter } from "../events/emitter.js";
import { NetNode } from "../scene/net-node.js";
import { replicationOf } from "./registry.js";

/** A class the spawner may create on every peer: built with the node's name, like any NetNode. */
export type Spawnable = new (name: string) => NetNode;

/** Receivers only (Godot's rule): the authority made these happen itself. */
export interface SpawnerEvents {
  /** A node was spawned here by the spawner's authority (already in the tree). */
  spawned: [node: NetNode];
  /** A node the spawner's authority spawned here was removed by it (already out of the tree). */
  despawned: [node: NetNode];
}

/**
 * Godot 4's MultiplayerSpawner: on its authority, children of registered classes added under
 * `spawnPath` (and nodes made with `spawn(data)`) are created on every peer, with the spawn state
 * of their synchronizers, and removed everywhere when the authority removes them. Late joiners get
 * every spawned node. Receivers refuse spawns from anyone else.
 */
export class MultiplayerSpawner extends NetNode {
  #spawnPath = "..";
  /** Most nodes this spawner keeps spawned at once, 0 = no limit; receivers enforce it too. */
  spawnLimit = 0;
  /**
   * Makes the node of a custom spawn from `spawn(data)`'s data, identically on every peer (it must
   * give the node the same name everywhere: receivers refuse a spawn whose name differs).
   */
  spawnFunction: ((data: unknown) => NetNode) | null = null;
  readonly #byName = new Map<string, Spawnable>();
  readonly #byClass = new Map<Spawnable, string>();
  readonly #emitter = new Emitter<SpawnerEvents>();

  /** The node spawned nodes are added under, relative to this spawner (default "..", its parent). */
  get spawnPath(): string {
    return this.#spawnPath;
  }

  set spawnPath(path: string) {
    this.#spawnPath = path;
    replicationOf(this)?.pathsChanged(this);
  }

  get spawnNode(): NetNode | null {
    return this.getNode(this.#spawnPath);
  }

  /**
   * Registers a class under an explicit name, the same on every peer (never `constructor.name`,
   * which minifiers change). Children of exactly this class spawn automatically.
   */
  addSpawnable(name: string, spawnable: Spawnable): void {
    if (name === "" || name.length > 128) throw new TypeError(`invalid spawnable name "${name}"`);
    const existing = this.#byName.get(name);
    if (existing && existing !== spawnable) throw new Error(`spawnable "${name}" is already registered`);
    this.#byName.set(name, spawnable);
    this.#byClass.set(spawnable, name);
  }

  removeSpawnable(name: string): void {
    const spawnable = this.#byName.get(name);
    if (!spawnable) return;
    this.#byName.delete(name);
    this.#byClass.delete(spawnable);
  }

  spawnableClass(name: string): Spawnable | null {
    return this.#byName.get(name) ?? null;
  }

  /** The registered name of `node`'s class (exactly, not a subclass), or null. */
  spawnableNameOf(node: NetNode): string | null {
    return this.#byClass.get(node.constructor as Spawnable) ?? null;
  }

  /**
   * Authority only: makes a node with `spawnFunction(data)`, adds it under the spawn path and
   * spawns it on every peer with `data` (msgpack-encodable). Returns the node.
   */
  spawn(data: unknown = null): NetNode {
    if (!this.spawnFunction) throw new Error("spawn(data) needs a spawnFunction");
    if (!this.isMultiplayerAuthority()) throw new Error("only the spawner's authority spawns");
    const replication = replicationOf(this);
    if (!replication) throw new Error(`${this.getPath()} is not in a multiplayer tree`);
    const node = this.spawnFunction(data);
    replication.customSpawn(this, data, node);
    return node;
  }

  on<E extends keyof SpawnerEvents>(event: E, listener: (...args: SpawnerEvents[E]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  once<E extends keyof SpawnerEvents>(event: E, listener: (...args: SpawnerEvents[E]) => void): () => void {
    return this.#emitter.once(event, listener);
  }

  off<E extends keyof SpawnerEvents>(event: E, listener: (...args: SpawnerEvents[E]) => void): void {
    this.#emitter.off(event, listener);
  }

  /** @internal The replication subsystem reports spawns and despawns through this. */
  emitReplication<E extends keyof SpawnerEvents>(event: E, ...args: SpawnerEvents[E]): void {
    this.#emitter.emit(event, ...args);
  }
}
