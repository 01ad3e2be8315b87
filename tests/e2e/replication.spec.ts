// Scene replication in Chromium tabs and Node peers over real WebRTC: a Chromium host spawns and
// moves a world of entities (harness/replication-world.ts) that every client must hold the same.
// Every wait fails at once, with the reason, when the game it waits on broke (a failed connection,
// a disconnection, a rejected packet); a wait that times out says how the worlds still differ.
import { type Browser, expect, type Page, test } from "@playwright/test";
import { MultiplayerAPI, WebRTCMultiplayerPeer } from "starwire/node";
import { openTab, signalingUrl } from "./fixtures.js";
import {
  buildWorld,
  type World,
  type WorldState,
  worldDiff,
  worldState,
} from "./harness/replication-world.js";

const ENTITIES = 200;
/** One game frame of the host's animation, about the default 30 Hz tick. */
const FRAME_MS = 33;

interface Tab {
  page: Page;
  id: number;
}

async function hostTab(browser: Browser): Promise<{ page: Page; roomCode: string }> {
  const page = await openTab(browser);
  await page.evaluate(() => window.harness.replication.setup());
  const roomCode = await page.evaluate(() => window.harness.host(8));
  return { page, roomCode };
}

/** A tab that builds the world, then joins: the host's spawns find it in place. */
async function joinTab(browser: Browser, roomCode: string): Promise<Tab> {
  const page = await openTab(browser);
  await page.evaluate(() => window.harness.replication.setup());
  const result = await page.evaluate((code) => window.harness.join(code), roomCode);
  if (!result.ok) throw new Error(`join failed: ${result.reason}`);
  return { page, id: result.id };
}

/** A Node client in this process, with the same world, recording what would end a wait. */
interface NodeClient {
  api: MultiplayerAPI;
  world: World;
  failures: string[];
  id: number;
}

async function joinNode(roomCode: string): Promise<NodeClient> {
  const api = new MultiplayerAPI();
  const world = buildWorld(api.root);
  const failures: string[] = [];
  api.on("connectionFailed", (reason, message) => failures.push(`connectionFailed ${reason} ${message}`));
  api.on("peerDisconnected", (id) => failures.push(`peerDisconnected ${id}`));
  api.on("serverDisconnected", () => failures.push("serverDisconnected"));
  api.on("rejected", (r) => failures.push(`rejected ${r.reason} from ${r.from}: ${r.message}`));
  const peer = new WebRTCMultiplayerPeer({
    signalingUrl,
    bindAddress: "127.0.0.1",
    channels: ["unreliable_ordered"],
  });
  api.peer = peer;
  await peer.createClient(roomCode);
  await api.whenConnected(); // or throws with the reason
  return { api, world, failures, id: peer.uniqueId };
}

/** Waits until the tab knows `count` peers, failing at once if its game broke. */
async function tabHasPeers(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const failure = window.harness.replication.failure();
      if (failure) throw new Error(failure);
      return window.harness.api.getPeers().length === n;
    },
    count,
    { timeout: 15_000, polling: 50 },
  );
}

/** Waits until the tab's world is `expected` (within the precision); on a timeout, says how it differs. */
async function tabReaches(tab: Page, expected: WorldState, what: string): Promise<void> {
  try {
    await tab.waitForFunction(
      (want) => {
        const failure = window.harness.replication.failure();
        if (failure) throw new Error(failure);
        return window.harness.replication.diff(want).length === 0;
      },
      expected,
      { timeout: 20_000, polling: 100 },
    );
  } catch (error) {
    const diff = await tab.evaluate((want) => window.harness.replication.diff(want), expected);
    throw new Error(`${what}: ${(error as Error).message}\nstill differs: ${diff.join("; ")}`);
  }
}

async function nodeReaches(client: NodeClient, expected: WorldState, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (client.failures.length > 0) throw new Error(`${what}: ${client.failures.join("; ")}`);
    const diff = worldDiff(expected, worldState(client.world));
    if (diff.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${what}: still differs after 20 s: ${diff.join("; ")}`);
    await new Promise((resolve) => setTimeout(resolve, 50)); // polls a Node world: no event says "equal"
  }
}

const hostState = (host: Page) => host.evaluate(() => window.harness.replication.state());
const failureOf = (page: Page) => page.evaluate(() => window.harness.replication.failure());

test.describe("scene replication", () => {
  const nodes: NodeClient[] = [];
  test.afterEach(() => {
    for (const node of nodes.splice(0)) node.api.peer = null;
  });

  test(`${ENTITIES} entities spawned and synchronized from a Chromium host to two tabs and a Node peer`, async ({
    browser,
  }) => {
    test.setTimeout(120_000);
    const host = await hostTab(browser);
    const tabs = [await joinTab(browser, host.roomCode), await joinTab(browser, host.roomCode)];
    nodes.push(await joinNode(host.roomCode));
    await tabHasPeers(host.page, 3);

    await host.page.evaluate((n) => window.harness.replication.populate(n), ENTITIES);
    let expected = await hostState(host.page);
    expect(Object.keys(expected)).toHaveLength(ENTITIES);
    for (const [i, tab] of tabs.entries()) await tabReaches(tab.page, expected, `tab ${i} after the spawn`);
    await nodeReaches(nodes[0]!, expected, "Node peer after the spawn");

    // The host's game moves everything for a second and recolours a few (a reliable on-change delta).
    await host.page.evaluate(
      ({ ms }) => {
        const r = window.harness.replication;
        for (const name of ["e0", "e57", "e199"]) r.setHue(name, 400);
        return r.animate(1, 30, ms);
      },
      { ms: FRAME_MS },
    );
    expected = await hostState(host.page);
    expect(expected.e57![3]).toBe(400);
    for (const [i, tab] of tabs.entries()) await tabReaches(tab.page, expected, `tab ${i} after moving`);
    await nodeReaches(nodes[0]!, expected, "Node peer after moving");
    // Each entity entered every client once: spawned, never respawned.
    for (const tab of tabs) {
      expect(await tab.page.evaluate(() => window.harness.replication.entered().length)).toBe(ENTITIES);
    }
    expect(nodes[0]!.world.entered).toHaveLength(ENTITIES);
    expect(await failureOf(host.page)).toBeNull();
  });

  test("a late joiner gets every spawned node with its spawn state, then the synchronized values", async ({
    browser,
  }) => {
    test.setTimeout(120_000);
    const host = await hostTab(browser);
    const early = await joinTab(browser, host.roomCode);
    await tabHasPeers(host.page, 1);
    await host.page.evaluate((n) => window.harness.replication.populate(n), ENTITIES);
    await host.page.evaluate(
      ({ ms }) => {
        const r = window.harness.replication;
        r.setHue("e3", 123); // after the first spawn: a late joiner must get the current value
        return r.animate(1, 20, ms);
      },
      { ms: FRAME_MS },
    );
    // The world holds still while the late peers join: what they spawn with is exactly this.
    const frozen = await hostState(host.page);
    await tabReaches(early.page, frozen, "the early client");

    const late = await joinTab(browser, host.roomCode);
    nodes.push(await joinNode(host.roomCode));
    await tabHasPeers(host.page, 3);
    await tabReaches(late.page, frozen, "the late tab, spawned");
    await nodeReaches(nodes[0]!, frozen, "the late Node peer, spawned");
    // The spawn state (read as each node was spawned, before any SYNC) was the world as it stood.
    const spawnedWith = await late.page.evaluate(() => window.harness.replication.spawnedStates());
    expect(worldDiff(frozen, spawnedWith)).toEqual([]);
    expect(spawnedWith.e3![3]).toBe(123);
    expect(await late.page.evaluate(() => window.harness.replication.entered().length)).toBe(ENTITIES);

    // Then the world moves on: the late peers follow the synchronized values like the early one.
    await host.page.evaluate(({ ms }) => window.harness.replication.animate(21, 50, ms), { ms: FRAME_MS });
    const moved = await hostState(host.page);
    expect(worldDiff(frozen, moved)).not.toEqual([]);
    await tabReaches(late.page, moved, "the late tab, synchronized");
    await nodeReaches(nodes[0]!, moved, "the late Node peer, synchronized");
    await tabReaches(early.page, moved, "the early client, synchronized");
    expect(nodes[0]!.world.entered).toHaveLength(ENTITIES);
  });

  test("a hidden entity never reaches the client it is hidden from, and appears once visible", async ({
    browser,
  }) => {
    test.setTimeout(120_000);
    const host = await hostTab(browser);
    const [a, b] = [await joinTab(browser, host.roomCode), await joinTab(browser, host.roomCode)];
    nodes.push(await joinNode(host.roomCode));
    const node = nodes[0]!;
    await tabHasPeers(host.page, 3);

    // Every packet the host sends B that names either of them (there must be none until shown).
    await host.page.evaluate(
      (bId) => window.harness.replication.watchPacketsTo(bId, ["private", "filtered"]),
      b.id,
    );
    // "private": not public, shown to A only. "filtered": public, a filter hides it from B. Their
    // visibility is set before they enter the tree, so not even a spawn may leave for the others.
    await host.page.evaluate(
      ({ aId, bId }) => {
        const r = window.harness.replication;
        r.addEntity("private", { public: false, visibleTo: [aId] });
        r.addEntity("filtered", { public: true, filterOut: bId });
        // Spawned after them on the same reliable, ordered channel: once these arrived, a spawn of
        // the hidden ones would have arrived before them.
        r.populate(20);
      },
      { aId: a.id, bId: b.id },
    );
    const only = (state: WorldState, hide: string[]) =>
      Object.fromEntries(Object.entries(state).filter(([name]) => !hide.includes(name)));
    let all = await hostState(host.page);
    await tabReaches(a.page, all, "A sees both");
    await tabReaches(b.page, only(all, ["private", "filtered"]), "B sees neither");
    await nodeReaches(node, only(all, ["private"]), "the Node peer sees the filtered one");

    // They move for a while: synchronized states go out every tick, still to nobody they hide from.
    await host.page.evaluate(({ ms }) => window.harness.replication.animate(1, 20, ms), { ms: FRAME_MS });
    all = await hostState(host.page);
    await tabReaches(a.page, all, "A, after moving");
    await tabReaches(b.page, only(all, ["private", "filtered"]), "B, after moving");
    await nodeReaches(node, only(all, ["private"]), "the Node peer, after moving");
    // Never there, not even for a moment: nothing entered B's tree but the 20 public ones.
    const enteredB = await b.page.evaluate(() => window.harness.replication.entered());
    expect(enteredB.filter((name) => name === "private" || name === "filtered")).toEqual([]);
    expect(enteredB).toHaveLength(20);
    expect(node.world.entered).not.toContain("private");
    // A packet about an entity B never got would have been rejected there (unknown id): none was.
    expect(await failureOf(b.page)).toBeNull();
    // Not a byte naming them went to B.
    expect(await host.page.evaluate(() => window.harness.replication.watchedPackets())).toEqual([]);

    // Made visible to B: both appear there; the private one stays away from the Node peer.
    await host.page.evaluate((bId) => {
      const r = window.harness.replication;
      r.setVisibleFor("private", bId, true);
      r.unhide("filtered");
    }, b.id);
    await host.page.evaluate(({ ms }) => window.harness.replication.animate(21, 30, ms), { ms: FRAME_MS });
    all = await hostState(host.page);
    await tabReaches(b.page, all, "B, once visible");
    await tabReaches(a.page, all, "A, at the end");
    await nodeReaches(node, only(all, ["private"]), "the Node peer, at the end");
    const after = await b.page.evaluate(() => window.harness.replication.entered());
    expect(after.slice(0, 20)).toEqual(enteredB);
    expect(after.slice(20).sort()).toEqual(["filtered", "private"]);
    // Their spawns went to B once shown (the watch sees what it is looking for).
    expect(await host.page.evaluate(() => window.harness.replication.watchedPackets())).toEqual(
      expect.arrayContaining(["filtered in packet 0x7", "private in packet 0x7"]),
    );
    expect(node.world.entered).not.toContain("private");
    expect(await failureOf(host.page)).toBeNull();
  });

  test("a client-owned entity the host hides from a tab never reaches it, its owner leaves that tab out, and it appears once shown", async ({
    browser,
  }) => {
    test.setTimeout(120_000);
    const host = await hostTab(browser);
    const [a, b] = [await joinTab(browser, host.roomCode), await joinTab(browser, host.roomCode)];
    await tabHasPeers(host.page, 2);
    await tabHasPeers(a.page, 2);
    const mine = `mine_${a.id}`;
    const shared = `shared_${a.id}`;
    // Every packet the host sends B that names A's hidden entity (none until it is shown).
    await host.page.evaluate(({ bId, name }) => window.harness.replication.watchPacketsTo(bId, [name]), {
      bId: b.id,
      name: mine,
    });
    // The host spawns two entities A moves: "mine", which a host filter hides from B from the
    // start, then "shared" (after it on the same ordered channel: once B has "shared", a spawn of
    // "mine" would have arrived before it).
    await host.page.evaluate(
      ({ aId, bId }) => {
        const r = window.harness.replication;
        r.addOwned("mine", aId, bId);
        r.addOwned("shared", aId);
      },
      { aId: a.id, bId: b.id },
    );
    const animateA = (from: number, to: number) =>
      a.page.evaluate(({ from, to, ms }) => window.harness.replication.animateOwned(from, to, ms), {
        from,
        to,
        ms: FRAME_MS,
      });
    const changesAtA = () =>
      a.page.evaluate(
        ({ name, bId }) =>
          window.harness.replication.visibilityChanges().filter((c) => c === `${name} ${bId}`),
        { name: mine, bId: b.id },
      );
    const without = (state: WorldState, name: string) =>
      Object.fromEntries(Object.entries(state).filter(([key]) => key !== name));

    // A moves both: the host and A hold both where A put them, B only "shared".
    await animateA(1, 30);
    let atA = await a.page.evaluate(() => window.harness.replication.state());
    expect(Object.keys(atA).sort()).toEqual([mine, shared]);
    await tabReaches(host.page, atA, "the host, A's entities");
    await tabReaches(b.page, without(atA, mine), "B, only the shared one");
    expect(await b.page.evaluate(() => window.harness.replication.entered())).toEqual([shared]);
    expect(await host.page.evaluate(() => window.harness.replication.watchedPackets())).toEqual([]);
    expect(await failureOf(b.page)).toBeNull();

    // Shown to B: it appears there as A holds it, and follows A.
    await host.page.evaluate((name) => window.harness.replication.unhide(name), mine);
    await animateA(31, 50);
    atA = await a.page.evaluate(() => window.harness.replication.state());
    await tabReaches(b.page, atA, "B, once shown");
    // A sends it to B now, so its synchronizer is visible to B there: count its changes so far.
    const shownChanges = (await changesAtA()).length;
    expect(await host.page.evaluate(() => window.harness.replication.watchedPackets())).toContain(
      `${mine} in packet 0x7`,
    );

    // Hidden from B again, after B had it: gone from B; A is told (SYNC_VISIBILITY: its
    // synchronizer becomes hidden to B, one visibilityChanged) and leaves B out of that entity
    // only: "shared" keeps reaching B in A's SYNCs (a SYNC naming the hidden one would be
    // dropped for B whole).
    await host.page.evaluate((name) => window.harness.replication.hide(name), mine);
    await b.page.waitForFunction(
      (name) => {
        const failure = window.harness.replication.failure();
        if (failure) throw new Error(failure);
        return !(name in window.harness.replication.state());
      },
      mine,
      { timeout: 15_000, polling: 50 },
    );
    await a.page.waitForFunction(
      ({ name, bId, count }) => {
        const failure = window.harness.replication.failure();
        if (failure) throw new Error(failure);
        const changes = window.harness.replication.visibilityChanges();
        return changes.filter((c) => c === `${name} ${bId}`).length === count;
      },
      { name: mine, bId: b.id, count: shownChanges + 1 },
      { timeout: 15_000, polling: 50 },
    );
    const namedWhenHidden = (await host.page.evaluate(() => window.harness.replication.watchedPackets()))
      .length;
    await animateA(51, 80);
    atA = await a.page.evaluate(() => window.harness.replication.state());
    await tabReaches(b.page, without(atA, mine), "B, the shared one moving while the other is hidden");
    await tabReaches(host.page, atA, "the host, both moving");
    expect(await host.page.evaluate(() => window.harness.replication.watchedPackets())).toHaveLength(
      namedWhenHidden,
    );
    expect((await changesAtA()).length).toBe(shownChanges + 1);

    // Shown again: back on B, exact at once, and moving with A.
    await host.page.evaluate((name) => window.harness.replication.unhide(name), mine);
    atA = await a.page.evaluate(() => window.harness.replication.state());
    await tabReaches(b.page, atA, "B, shown again");
    await animateA(81, 90);
    atA = await a.page.evaluate(() => window.harness.replication.state());
    await tabReaches(b.page, atA, "B, at the end");
    for (const page of [host.page, a.page, b.page]) expect(await failureOf(page)).toBeNull();
  });
});
