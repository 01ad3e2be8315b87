// Mixed games: a Node dedicated host with Chromium players, and a Chromium host with Node clients.
// Node peers run in this Playwright process (or a child of it), inside the same loopback namespace.
import { type ChildProcess, spawn } from "node:child_process";
import { type Browser, expect, type Page, test } from "@playwright/test";
import { MultiplayerAPI, WebRTCMultiplayerPeer } from "starwire/node";
import { ARENA } from "../../apps/lobby-demo/src/game/simulation.js";
import type {} from "../../apps/lobby-demo/src/test-hooks.js";
import { ports } from "../../playwright.config.js";
import { openTab, signalingUrl, waitForPeerCount } from "./fixtures.js";
import { NodeArena } from "./node-arena.js";

const demoUrl = `http://127.0.0.1:${ports.demo}/?signal=${encodeURIComponent(signalingUrl)}`;

/** Starts `npm run host`'s script and resolves with its room code once it is open. */
function startDedicatedHost(): Promise<{ child: ChildProcess; roomCode: string }> {
  const child = spawn(process.execPath, ["apps/lobby-demo/dist-host/host/main.js"], {
    env: { ...process.env, SIGNALING_URL: signalingUrl, BIND_ADDRESS: "127.0.0.1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk;
      const match = output.match(/Room ([A-Z2-9]+):/);
      if (match) resolve({ child, roomCode: match[1]! });
    });
    child.once("exit", (code) => reject(new Error(`dedicated host exited (${code}): ${output}`)));
  });
}

async function joinDemo(browser: Browser, roomCode: string, name: string, color: string): Promise<Page> {
  const context = await browser.newContext({ permissions: ["microphone"] });
  const page = await context.newPage();
  await page.goto(demoUrl);
  await page.getByLabel("Name").fill(name);
  await page.locator("#color").fill(color);
  await page.getByLabel("Room code").fill(roomCode);
  await page.getByRole("button", { name: "Join" }).click();
  return page;
}

test("a Node dedicated host runs the demo game for three Chromium players", async ({ browser }) => {
  const { child, roomCode } = await startDedicatedHost();
  try {
    const tabs = [
      await joinDemo(browser, roomCode, "Ann", "#ff2020"),
      await joinDemo(browser, roomCode, "Ben", "#20c020"),
      await joinDemo(browser, roomCode, "Cy", "#2060ff"),
    ];
    for (const tab of tabs) {
      await expect(tab.locator("#players .player-name")).toHaveCount(3, { timeout: 10_000 });
      await expect(tab.locator("#start-hint")).toHaveText("The game starts as soon as everyone is ready.");
    }
    // The host is not a player; the round starts by itself once all three are ready.
    for (const tab of tabs) await tab.getByRole("button", { name: "Ready", exact: true }).click();
    for (const tab of tabs) {
      await expect(tab.locator("#arena-canvas")).toBeVisible({ timeout: 10_000 });
      await expect
        .poll(async () => Object.keys(await tab.evaluate(() => window.starwireDemo.positions())).length)
        .toBe(3);
    }
    // Ann's input goes to the Node host, whose simulation moves her; the others draw its state.
    const [ann, ben, cy] = tabs as [Page, Page, Page];
    const annId = await ann.evaluate(() => window.starwireDemo.myId());
    const start = await Promise.all(
      [ben, cy].map((tab) => tab.evaluate(() => window.starwireDemo.positions())),
    );
    // Circles start at least 150 units from the side walls; she heads for the farther one.
    const key = start[0]![annId]!.x > ARENA.width / 2 ? "ArrowLeft" : "ArrowRight";
    const sign = key === "ArrowLeft" ? -1 : 1;
    await ann.locator("#arena-canvas").click();
    await ann.keyboard.down(key);
    await ann.waitForTimeout(600);
    await ann.keyboard.up(key);
    for (const [i, tab] of [ben, cy].entries()) {
      await expect
        .poll(
          async () =>
            sign *
            ((await tab.evaluate(() => window.starwireDemo.positions()))[annId]!.x - start[i]![annId]!.x),
        )
        .toBeGreaterThan(60);
    }
    // Stopping the host process ends the game for everyone.
    child.kill("SIGTERM");
    for (const tab of tabs) await expect(tab.locator("#notice")).toHaveText("The host left the game.");
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});

test("a Chromium host with three Node clients", async ({ browser }) => {
  const host = await openTab(browser);
  const roomCode = await host.evaluate(() => window.harness.host(8));
  const clients: Array<{ api: MultiplayerAPI; arena: NodeArena }> = [];
  try {
    for (let i = 0; i < 3; i++) {
      const api = new MultiplayerAPI();
      const arena = api.root.addChild(new NodeArena(api));
      const peer = new WebRTCMultiplayerPeer({
        signalingUrl,
        bindAddress: "127.0.0.1",
        channels: ["unreliable_ordered"],
      });
      api.peer = peer;
      await peer.createClient(roomCode);
      await api.whenConnected(); // or fails with the reason
      clients.push({ api, arena });
      await waitForPeerCount(host, i + 1);
    }
    await expect.poll(() => clients.every((c) => c.api.getPeers().length === 3)).toBe(true);
    const ids = clients.map((c) => c.api.uniqueId);

    // Node → Chromium host: 1,000 reliable calls in order, with the right sender.
    for (let seq = 0; seq < 1000; seq++) clients[0]!.arena.rpcId(1, "count", seq);
    await host.waitForFunction(() => window.harness.arena.counted.length === 1000);
    expect(
      await host.evaluate(() => ({
        inOrder: window.harness.arena.counted.every((seq, i) => seq === i),
        senders: [...window.harness.arena.countSenders],
      })),
    ).toEqual({ inOrder: true, senders: [ids[0]] });

    // Chromium host → Node clients, and Node → Node through the Chromium host, on channel 1 too.
    await host.evaluate(() => window.harness.arena.rpc("cheer"));
    clients[1]!.arena.rpcId(ids[2]!, "whisper", "via the tab");
    clients[2]!.arena.rpc("onChannel", 5);
    await expect.poll(() => clients.every((c) => c.arena.log.some(([m]) => m === "cheer"))).toBe(true);
    await expect
      .poll(() => clients[2]!.arena.log.filter(([m]) => m === "whisper"))
      .toEqual([["whisper", ids[1], "via the tab"]]);
    await host.waitForFunction(() => window.harness.arena.onChannelCalls.length === 1);
    expect(await host.evaluate(() => window.harness.arena.onChannelCalls)).toEqual([[ids[2], 5]]);
    expect(clients[0]!.arena.log.filter(([m]) => m === "cheer")).toEqual([["cheer", 1]]);

    // The tab closes: every Node client sees the server go.
    const gone = clients.map((c) => c.api.next("serverDisconnected"));
    await host.context().close();
    await Promise.all(gone);
  } finally {
    for (const { api } of clients) api.peer = null;
  }
});
