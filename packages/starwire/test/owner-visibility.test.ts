// SYNC_VISIBILITY: a client owns a synchronizer, the host decides who sees it. Once the host hides
// it from a peer again, nothing of it reaches that peer (not even inside a SYNC that carries
// entities the peer may see), and the owner, told by the host, leaves the peer out.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { MultiplayerSynchronizer } from "../src/common.js";
import type { EntityState } from "../src/replication/state-codec.js";
import { decodeSync, SYNC_HEAD } from "../src/replication/state-codec.js";
import { syncSpecsOf } from "../src/replication/sync-specs.js";
import { Command, Extended, extendedHead, SystemCommand } from "../src/wire/commands.js";
import { decodePathPacket } from "../src/wire/path-packet.js";
import { decodeDelta, decodeSyncVisibility, encodeSyncVisibility } from "../src/wire/sync-packet.js";
import { encodeRelay } from "../src/wire/system-packet.js";
import { buildWorld, Owned, ownedGame, recordSends, replicatedGame } from "./replication-helpers.js";

afterEach(() => {
  vi.useRealTimers();
});

const VISIBILITY = extendedHead(Extended.SYNC_VISIBILITY);
const DELTA = extendedHead(Extended.DELTA);

/**
 * What B reads of A's packets relayed by the host, decoded as B does: the sync ids each SYNC and
 * DELTA names, and which path each id stands for (from announcements and inline refs).
 */
function decoderOfRelayed(from: number) {
  const pathOf = new Map<number, string>();
  const held = new Map<number, Map<number, EntityState>>();
  let specs: ReturnType<typeof syncSpecsOf>["specs"] | null = null;
  return {
    pathOf,
    useSpecs(sync: MultiplayerSynchronizer) {
      specs = syncSpecsOf(sync).specs;
    },
    /** The ids a packet the host sent B names, or null when it is not A's SYNC or DELTA. */
    ids(bytes: Uint8Array): number[] | null {
      if (bytes[0] !== Command.SYS || bytes[1] !== SystemCommand.RELAY) return null;
      if (new DataView(bytes.buffer, bytes.byteOffset).getInt32(2, true) !== from) return null;
      const packet = bytes.subarray(6);
      const path = decodePathPacket(packet);
      if (typeof path !== "string" && path.kind === "announce") pathOf.set(path.id, path.path);
      if (packet[0] === DELTA) {
        const delta = decodeDelta(packet);
        if (typeof delta === "string") throw new Error(delta);
        for (const { ref } of delta.entries) if (ref.path) pathOf.set(ref.id, ref.path);
        return delta.entries.map(({ ref }) => ref.id);
      }
      if (packet[0] !== SYNC_HEAD) return null;
      const decoded = decodeSync(packet, {
        specs: () => specs ?? undefined,
        baseline: (tick) => held.get(tick),
      });
      if (!decoded.ok) throw new Error(decoded.message);
      const { sync } = decoded;
      const states = new Map(sync.baselineTick === null ? [] : held.get(sync.baselineTick));
      for (const entry of sync.entries) states.set(entry.id, entry.state);
      held.set(sync.tick, states);
      return sync.entries.map(({ id }) => id);
    },
  };
}

async function game() {
  const g = await ownedGame();
  const { a, sent } = g;
  const notices = () =>
    sent
      .filter(({ to, bytes }) => to === a && bytes[0] === VISIBILITY)
      .map(({ bytes }) => decodeSyncVisibility(bytes));
  return { ...g, notices };
}

describe("SYNC_VISIBILITY", () => {
  it("keeps every SYNC and DELTA naming a re-hidden client-owned entity from the peer, and shows it exact at once", async () => {
    const g = await game();
    const [host, atA, atB] = g.worlds;
    let hidden = false;
    const xName = `x${g.a}`;
    const yName = `y${g.a}`;
    const x = new Owned(xName);
    x.sync.addVisibilityFilter((peer) => !(hidden && peer === g.b));
    host!.players.addChild(x);
    host!.players.addChild(new Owned(yName));
    await g.tick();
    const decoder = decoderOfRelayed(g.a);
    decoder.useSpecs(x.sync);
    const mineX = atA!.players.getChild(xName) as Owned;
    const mineY = atA!.players.getChild(yName) as Owned;
    const move = async (from: number, to: number, both = true) => {
      for (let frame = from; frame <= to; frame++) {
        mineX.x = frame;
        mineX.hue = frame;
        if (both) {
          mineY.x = frame;
          mineY.hue = frame;
        }
        await g.tick();
      }
    };
    // Visible to everyone: A's SYNCs to B carry both entities.
    await move(1, 30);
    const copyX = atB!.players.getChild(xName) as Owned;
    const copyY = atB!.players.getChild(yName) as Owned;
    expect([copyX.x, copyX.hue, copyY.x, copyY.hue]).toEqual([30, 30, 30, 30]);
    let read = 0;
    const toB = () => {
      const fresh = g.sent.slice(read);
      read = g.sent.length;
      return fresh.filter(({ to }) => to === g.b);
    };
    const namedToB = () => toB().flatMap(({ bytes }) => decoder.ids(bytes) ?? []);
    const idOf = (name: string) =>
      [...decoder.pathOf].find(([, path]) => path === `/root/level/players/${name}/sync`)?.[0];
    namedToB();
    const [idX, idY] = [idOf(xName), idOf(yName)];
    expect(idX).toBeTypeOf("number");
    expect(idY).toBeTypeOf("number");

    // Hidden again by the host: not one packet to B names x any more, y keeps arriving.
    hidden = true;
    x.sync.updateVisibility();
    await move(31, 100);
    const named = namedToB();
    expect(named).not.toContain(idX);
    expect(named.filter((id) => id === idY).length).toBeGreaterThan(60);
    expect(atB!.players.getChild(xName)).toBeNull();
    expect([copyY.x, copyY.hue]).toEqual([100, 100]);
    expect(g.notices()).toEqual([{ path: x.sync.getPath(), peer: g.b, visible: false }]);

    // Shown again: respawned on B, and A's next states are exact there at once (absolute).
    hidden = false;
    x.sync.updateVisibility();
    await move(101, 103, false);
    const again = atB!.players.getChild(xName) as Owned;
    expect([again.x, again.hue]).toEqual([mineX.x, mineX.hue]);
    expect(namedToB()).toContain(idX);
    expect(g.notices().map((notice) => typeof notice !== "string" && notice.visible)).toEqual([false, true]);
    expect(g.rejections).toEqual([]);
  });

  it("tells the owner only of changes: a filter flipping every tick costs one notice per change", async () => {
    const g = await game();
    const [host] = g.worlds;
    let hideB = false;
    const x = new Owned(`x${g.a}`);
    x.sync.addVisibilityFilter((peer) => !(hideB && peer === g.b));
    host!.players.addChild(x);
    await g.tick(5);
    expect(g.notices()).toEqual([]);
    for (let frame = 0; frame < 40; frame++) {
      hideB = !hideB;
      await g.tick();
    }
    const notices = g.notices();
    expect(notices).toHaveLength(40);
    notices.forEach((notice, i) => {
      expect(notice).toEqual({ path: x.sync.getPath(), peer: g.b, visible: i % 2 === 1 });
    });
    await g.tick(20); // steady: nothing more
    expect(g.notices()).toHaveLength(40);
    expect(g.rejections).toEqual([]);
  });

  it("starts over with a new owner, and tells nobody about a peer that left", async () => {
    const g = await replicatedGame(3);
    const worlds = g.apis.map((api) => {
      const world = buildWorld(api);
      world.spawner.addSpawnable("Owned", Owned);
      return world;
    });
    const [a, b, c] = g.joined.map((joined) => joined.id) as [number, number, number];
    const sent = recordSends(g.host.peer);
    const noticesTo = (peer: number) =>
      sent
        .filter(({ to, bytes }) => to === peer && bytes[0] === VISIBILITY)
        .map(({ bytes }) => decodeSyncVisibility(bytes));
    const x = worlds[0]!.players.addChild(new Owned(`x${a}`));
    x.sync.addVisibilityFilter((peer) => peer !== c);
    await g.tick(3);
    const hidden = { path: x.sync.getPath(), peer: c, visible: false };
    expect(noticesTo(a)).toEqual([hidden]);
    // B takes over on every peer that has it: B is told what A was; A is told nothing more.
    for (const world of worlds)
      (world.players.getChild(x.name) as Owned | null)?.sync.setMultiplayerAuthority(b);
    await g.tick(3);
    expect(noticesTo(b)).toEqual([hidden]);
    expect(noticesTo(a)).toEqual([hidden]);
    const mine = worlds[2]!.players.getChild(x.name) as Owned;
    for (let frame = 1; frame <= 10; frame++) {
      mine.x = frame;
      await g.tick();
    }
    expect(x.x).toBe(10);
    expect(worlds[3]!.players.getChild(x.name)).toBeNull();
    // C leaves: the host's record of it goes, nothing is sent about it.
    g.host.api.peer!.disconnectPeer(c);
    await g.tick(3);
    expect(g.host.api.getPeers()).toHaveLength(2);
    expect([...noticesTo(a), ...noticesTo(b)]).toHaveLength(2);
    expect(g.rejections).toEqual([]);
  });

  it("is rejected from a client (to the host or relayed), and malformed from the host", async () => {
    const g = await game();
    const [host] = g.worlds;
    const x = host!.players.addChild(new Owned(`x${g.a}`));
    await g.tick(2);
    const notice = encodeSyncVisibility({ path: x.sync.getPath(), peer: g.b, visible: false });
    const peerA = g.joined[0]!.peer;
    const peerB = g.joined[1]!.peer;
    peerB.send(1, notice, "reliable", 0);
    peerB.send(1, encodeRelay(g.a, notice), "reliable", 0);
    peerA.send(1, Uint8Array.of(VISIBILITY, 1, 0, 1, 0x41), "reliable", 0);
    g.host.peer.send(g.a, Uint8Array.of(VISIBILITY, 3, 2, 1, 0x41), "reliable", 0);
    g.host.peer.send(g.a, Uint8Array.of(VISIBILITY, 3, 0, 0), "reliable", 0);
    await g.tick(2);
    const sorted = (list: (string | number)[][]) => list.map((row) => row.join(" ")).sort();
    expect(sorted(g.rejectedAt[0]!.map((r) => [r.from, r.reason]))).toEqual(
      sorted([
        [g.b, "forbidden"],
        [g.b, "forbidden"],
        [g.a, "malformed"],
      ]),
    );
    expect(g.rejectedAt[1]!.map((r) => [r.from, r.reason])).toEqual([
      [1, "malformed"],
      [1, "malformed"],
    ]);
    expect(g.rejectedAt[2]).toEqual([]);
  });
});
