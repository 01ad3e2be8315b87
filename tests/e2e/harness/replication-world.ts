// The replicated world the replication specs, the Node test and the replication benchmarks share:
// the same tree on every peer (Chromium tabs import the browser build, Node peers the Node build;
// both name the same classes, so the scene is written once).
import { MultiplayerSpawner, MultiplayerSynchronizer, NetNode, Vector2 } from "starwire";

/** The step positions and rotations are quantized to on the wire (the 2D transform). */
export const PRECISION = 0.01;
/** Entities move inside this square, so positions stay in a realistic range for quantization. */
export const ARENA = 2000;

/**
 * A moving 2D entity: position and rotation every tick (unreliable), a hue on change (reliable);
 * all three in the spawn state, so a new peer gets the entity as it is.
 */
export class Entity extends NetNode {
  position = new Vector2(0, 0);
  rotation = 0;
  hue = 0;
  readonly sync = new MultiplayerSynchronizer("sync");

  constructor(name: string) {
    super(name);
    this.sync.replicationConfig = {
      position: { replicate: "always", spawn: true, precision: PRECISION },
      rotation: { replicate: "always", spawn: true, precision: PRECISION },
      hue: { replicate: "on_change", spawn: true },
    };
    this.addChild(this.sync);
  }
}

/**
 * An entity one peer moves: the peer whose id ends its name after the last "_" ("mine_3": peer 3)
 * is its synchronizer's authority on every peer; whoever spawns it, the host decides who sees it.
 */
export class OwnedEntity extends Entity {
  constructor(name: string) {
    super(name);
    this.sync.setMultiplayerAuthority(Number(name.slice(name.lastIndexOf("_") + 1)));
  }
}

/** One entity as the specs compare it: [x, y, rotation, hue]. */
export type EntityState = [x: number, y: number, rotation: number, hue: number];
/** Every entity of a world, by name. */
export type WorldState = Record<string, EntityState>;

export interface World {
  readonly entities: NetNode;
  readonly spawner: MultiplayerSpawner;
  /** Names of the entities that entered this peer's tree, in order (a spawn received, or made here). */
  readonly entered: string[];
}

/** /root/world/{entities, spawner}: build it on every peer before it connects, as a scene would be. */
export function buildWorld(root: NetNode): World {
  const world = root.addChild(new NetNode("world"));
  const entities = world.addChild(new NetNode("entities"));
  const spawner = new MultiplayerSpawner("spawner");
  spawner.spawnPath = "../entities";
  spawner.addSpawnable("Entity", Entity);
  spawner.addSpawnable("OwnedEntity", OwnedEntity);
  world.addChild(spawner);
  const entered: string[] = [];
  entities.events.on("childEnteredTree", (child) => entered.push(child.name));
  return { entities, spawner, entered };
}

/**
 * Where entity `index` is at frame `frame`: a deterministic path (a bounce inside the arena and a
 * spin), so a test can move the world by frames and anyone can say where things should be.
 */
export function placeAt(entity: Entity, index: number, frame: number): void {
  const speed = 2 + (index % 7); // units per frame
  const angle = (index * 2.399963) % (2 * Math.PI); // the golden angle: directions spread out
  const bounce = (start: number, velocity: number) => {
    const span = 2 * ARENA;
    const at = (((start + velocity * frame) % span) + span) % span;
    return at <= ARENA ? at : span - at;
  };
  const x = bounce((index * 97) % ARENA, Math.cos(angle) * speed);
  const y = bounce((index * 389) % ARENA, Math.sin(angle) * speed);
  entity.position = new Vector2(x, y);
  const turned = (index * 0.7 + frame * 0.05) % (2 * Math.PI);
  entity.rotation = turned > Math.PI ? turned - 2 * Math.PI : turned;
}

/** The authority adds `count` entities named `${prefix}${i}`, placed at `frame`; they spawn everywhere. */
export function populate(world: World, count: number, frame = 0, prefix = "e"): Entity[] {
  const added: Entity[] = [];
  for (let i = 0; i < count; i++) {
    const entity = new Entity(`${prefix}${i}`);
    placeAt(entity, i, frame);
    entity.hue = i % 360;
    added.push(world.entities.addChild(entity));
  }
  return added;
}

/** Moves every entity of the world to `frame` (its index is its position among the children). */
export function moveTo(world: World, frame: number): void {
  for (const [index, child] of world.entities.children.entries()) {
    if (child instanceof Entity) placeAt(child, index, frame);
  }
}

/** Moves the entities whose synchronizer peer `self` is the authority of to `frame`. */
export function moveOwned(world: World, self: number, frame: number): void {
  for (const [index, child] of world.entities.children.entries()) {
    if (child instanceof OwnedEntity && child.sync.getMultiplayerAuthority() === self)
      placeAt(child, index, frame);
  }
}

export function stateOf(entity: Entity): EntityState {
  return [entity.position.x, entity.position.y, entity.rotation, entity.hue];
}

export function worldState(world: World): WorldState {
  const state: WorldState = {};
  for (const child of world.entities.children)
    if (child instanceof Entity) state[child.name] = stateOf(child);
  return state;
}

/**
 * How `actual` differs from `expected`: missing and extra entities, and values further apart than
 * the precision allows (half a step of quantization, plus float32 rounding of a Vector2 at ARENA
 * scale); an empty list when they are the same world. At most `limit` lines.
 */
export function worldDiff(expected: WorldState, actual: WorldState, limit = 10): string[] {
  const tolerance = PRECISION / 2 + 1e-3;
  const lines: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name];
    if (!got) lines.push(`${name} missing`);
    else if (want.some((value, i) => Math.abs(value - got[i]!) > (i === 3 ? 0 : tolerance)))
      lines.push(`${name}: ${JSON.stringify(got)} instead of ${JSON.stringify(want)}`);
    if (lines.length >= limit) return lines;
  }
  for (const name of Object.keys(actual)) {
    if (!(name in expected)) lines.push(`${name} should not be here`);
    if (lines.length >= limit) break;
  }
  return lines;
}
