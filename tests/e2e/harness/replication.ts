import type { MultiplayerAPI } from "starwire";
import type { HarnessEvent, ReplicationHarness } from "./harness.js";
import {
  buildWorld,
  Entity,
  moveOwned,
  moveTo,
  OwnedEntity,
  placeAt,
  populate,
  stateOf,
  type World,
  type WorldState,
  worldDiff,
  worldState,
} from "./replication-world.js";

/** Events after which a replication wait can only time out: they end it with their reason instead. */
const FAILURES = new Set(["connectionFailed", "peerDisconnected", "serverDisconnected", "rejected"]);

/** The tab's side of replication.spec.ts: the world, and what the spec asks it to do or report. */
export function replicationHarness(api: MultiplayerAPI, events: readonly HarnessEvent[]): ReplicationHarness {
  let world: World | null = null;
  const spawned: WorldState = {};
  const hidden = new Map<string, { peer: number; active: boolean }>();
  const watched: string[] = [];
  const visibilityChanges: string[] = [];
  const built = (): World => {
    if (!world) throw new Error("replication.setup() first");
    return world;
  };
  const entity = (name: string): Entity => {
    const node = built().entities.getChild(name);
    if (!(node instanceof Entity)) throw new Error(`no entity ${name}`);
    return node;
  };
  return {
    setup() {
      if (world) return;
      world = buildWorld(api.root);
      world.entities.events.on("childEnteredTree", (child) => {
        if (!(child instanceof OwnedEntity)) return;
        child.sync.on("visibilityChanged", (peer) => visibilityChanges.push(`${child.name} ${peer}`));
      });
      world.spawner.on("spawned", (node) => {
        if (node instanceof Entity) spawned[node.name] = stateOf(node);
      });
    },
    populate: (count, frame = 0, prefix = "e") => void populate(built(), count, frame, prefix),
    addEntity(name, visibility) {
      const added = new Entity(name);
      placeAt(added, built().entities.children.length, 0);
      added.sync.publicVisibility = visibility.public;
      for (const peer of visibility.visibleTo ?? []) added.sync.setVisibilityFor(peer, true);
      if (visibility.filterOut !== undefined) {
        const rule = { peer: visibility.filterOut, active: true };
        hidden.set(name, rule);
        added.sync.addVisibilityFilter((to) => !(rule.active && to === rule.peer));
      }
      built().entities.addChild(added);
    },
    addOwned(label, owner, filterOut) {
      const added = new OwnedEntity(`${label}_${owner}`);
      placeAt(added, built().entities.children.length, 0);
      if (filterOut !== undefined) {
        const rule = { peer: filterOut, active: true };
        hidden.set(added.name, rule);
        added.sync.addVisibilityFilter((to) => !(rule.active && to === rule.peer));
      }
      built().entities.addChild(added);
      return added.name;
    },
    hide(name) {
      const rule = hidden.get(name);
      if (rule) rule.active = true;
      entity(name).sync.updateVisibility();
    },
    async animateOwned(from, to, msPerFrame) {
      for (let frame = from; frame <= to; frame++) {
        moveOwned(built(), api.uniqueId, frame);
        await new Promise((resolve) => setTimeout(resolve, msPerFrame));
      }
    },
    visibilityChanges: () => [...visibilityChanges],
    moveTo: (frame) => moveTo(built(), frame),
    async animate(from, to, msPerFrame) {
      for (let frame = from; frame <= to; frame++) {
        moveTo(built(), frame);
        await new Promise((resolve) => setTimeout(resolve, msPerFrame));
      }
    },
    state: () => worldState(built()),
    diff: (expected) => worldDiff(expected, worldState(built())),
    entered: () => [...built().entered],
    spawnedStates: () => ({ ...spawned }),
    setPublic: (name, visible) => {
      entity(name).sync.publicVisibility = visible;
    },
    setVisibleFor: (name, peer, visible) => entity(name).sync.setVisibilityFor(peer, visible),
    unhide(name) {
      const rule = hidden.get(name);
      if (rule) rule.active = false;
      entity(name).sync.updateVisibility();
    },
    setHue: (name, hue) => {
      entity(name).hue = hue;
    },
    watchPacketsTo(peer, names) {
      const transport = api.peer;
      const send = transport.send.bind(transport);
      const encoded = names.map((name) => [name, new TextEncoder().encode(name)] as const);
      transport.send = (to, data, ...rest) => {
        if (to === peer) {
          for (const [name, bytes] of encoded) {
            if (contains(data, bytes)) watched.push(`${name} in packet 0x${data[0]!.toString(16)}`);
          }
        }
        send(to, data, ...rest);
      };
    },
    watchedPackets: () => [...watched],
    failure() {
      const event = events.find((e) => FAILURES.has(e.name));
      return event ? [event.name, ...event.args].join(" ") : null;
    },
  };
}

function contains(bytes: Uint8Array, part: Uint8Array): boolean {
  outer: for (let i = 0; i + part.length <= bytes.length; i++) {
    for (let j = 0; j < part.length; j++) if (bytes[i + j] !== part[j]) continue outer;
    return true;
  }
  return false;
}
