import { type Browser, expect, type Page, type TestInfo, test } from "@playwright/test";
import { ARENA } from "../../apps/lobby-demo/src/game/simulation.js";
import type {} from "../../apps/lobby-demo/src/test-hooks.js";
import { ports } from "../../playwright.config.js";
import { signalingUrl } from "./fixtures.js";

const demoUrl = `http://127.0.0.1:${ports.demo}/?signal=${encodeURIComponent(signalingUrl)}`;
const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1100, height: 800 };

const PLAYERS = [
  { name: "Alice", color: "#ff2020" },
  { name: "Bob", color: "#20c020" },
  { name: "Cara", color: "#2060ff" },
  { name: "Dan", color: "#ff20ff" },
] as const;

async function openDemo(browser: Browser, url = demoUrl): Promise<Page> {
  const context = await browser.newContext({ permissions: ["microphone"], viewport: DESKTOP });
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

async function introduce(page: Page, player: (typeof PLAYERS)[number]): Promise<void> {
  await page.getByLabel("Name").fill(player.name);
  await page.locator("#color").fill(player.color);
}

const playerNames = (page: Page) => page.locator("#players .player-name");
const myId = (page: Page) => page.evaluate(() => window.starwireDemo.myId());
const positions = (page: Page) => page.evaluate(() => window.starwireDemo.positions());

async function screenshot(
  page: Page,
  testInfo: TestInfo,
  name: string,
  size: { width: number; height: number },
) {
  await page.setViewportSize(size);
  await page.waitForTimeout(150); // one more frame at the new size
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
  await page.setViewportSize(DESKTOP);
}

/** How many canvas pixels have exactly this colour. */
function pixelsOfColor(page: Page, hex: string): Promise<number> {
  return page.evaluate((color) => {
    const canvas = document.getElementById("arena-canvas") as HTMLCanvasElement;
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(color.slice(i, i + 2), 16));
    let count = 0;
    for (let i = 0; i < data.length; i += 4)
      if (data[i] === r && data[i + 1] === g && data[i + 2] === b) count++;
    return count;
  }, hex);
}

test("four players: lobby, chat, ready, the game, leaving", async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const [alice, bob, cara, dan] = PLAYERS;

  // Alice creates a room.
  const a = await openDemo(browser);
  await introduce(a, alice);
  await a.getByRole("button", { name: "Create room" }).click();
  await expect(a.locator("#code")).toHaveText(/^[A-Z2-9]{6}$/);
  const code = (await a.locator("#code").textContent())!;
  const link = (await a.locator("#join-link").getAttribute("href"))!;
  expect(link).toContain(`room=${code}`);

  // Bob opens the join link: straight into the join form, code filled in.
  const b = await openDemo(browser, link);
  await expect(b.getByRole("button", { name: "Create room" })).toBeHidden();
  await expect(b.getByLabel("Room code")).toHaveValue(code);
  await introduce(b, bob);
  await b.getByRole("button", { name: "Join" }).click();

  // Cara and Dan type the code.
  const tabs = [a, b];
  for (const [player, typed] of [
    [cara, code.toLowerCase()],
    [dan, code],
  ] as const) {
    const tab = await openDemo(browser);
    await introduce(tab, player);
    await tab.getByLabel("Room code").fill(typed);
    await tab.getByRole("button", { name: "Join" }).click();
    tabs.push(tab);
  }
  const [, , c, d] = tabs as [Page, Page, Page, Page];

  // Everyone sees the same four players, with their colours.
  for (const tab of tabs) {
    await expect
      .poll(async () => (await playerNames(tab).allTextContents()).sort(), { timeout: 10_000 })
      .toEqual(PLAYERS.map((p) => p.name).sort());
    const swatches = await tab
      .locator("#players li")
      .evaluateAll((items) =>
        items.map((item) => [
          item.querySelector(".player-name")!.textContent,
          getComputedStyle(item.querySelector(".swatch")!).backgroundColor,
        ]),
      );
    const rgb = (hex: string) =>
      `rgb(${[1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join(", ")})`;
    expect(Object.fromEntries(swatches)).toEqual(
      Object.fromEntries(PLAYERS.map((p) => [p.name, rgb(p.color)])),
    );
  }
  await expect(a.locator("#players .ping").nth(1)).toHaveText(/\d+ ms/, { timeout: 5000 });
  for (const tab of tabs) {
    await expect(tab.locator("#home")).toBeHidden();
    await expect(tab.locator("#game")).toBeHidden();
  }

  // Chat reaches everyone, as text.
  await b.getByLabel("Chat message").fill("hello from <b>Bob</b>");
  await b.getByRole("button", { name: "Send" }).click();
  for (const tab of tabs) await expect(tab.locator("#chat-log")).toContainText("Bob: hello from <b>Bob</b>");

  await screenshot(a, testInfo, "lobby-desktop", DESKTOP);
  await screenshot(b, testInfo, "lobby-phone", PHONE);

  // Start stays disabled until everyone is ready; only the host has it.
  await expect(b.getByRole("button", { name: "Start" })).toBeHidden();
  await expect(a.getByRole("button", { name: "Start" })).toBeDisabled();
  for (const tab of tabs) await tab.getByRole("button", { name: "Ready", exact: true }).click();
  await expect(a.getByRole("button", { name: "Start" })).toBeEnabled();
  await a.getByRole("button", { name: "Start" }).click();

  // Everyone is in the game, and every tab draws every player.
  const ids = await Promise.all(tabs.map(myId));
  const [aId, bId, cId, dId] = ids as [number, number, number, number];
  for (const tab of tabs) {
    await expect(tab.locator("#arena-canvas")).toBeVisible();
    await expect(tab.locator("#lobby")).toBeHidden();
    await expect.poll(async () => Object.keys(await positions(tab)).length, { timeout: 10_000 }).toBe(4);
  }
  for (const player of PLAYERS) expect(await pixelsOfColor(c, player.color)).toBeGreaterThan(100);

  // Bob's arrow key moves Bob's circle on everyone else's screen. Circles start at least 150
  // units from the side walls (simulation.test.ts), and he heads for the farther one.
  const before = await Promise.all([a, c, d].map(async (tab) => (await positions(tab))[bId]!));
  const right = before[0]!.x < ARENA.width / 2 ? 1 : -1;
  await b.locator("#arena-canvas").click();
  await b.keyboard.down(right > 0 ? "ArrowRight" : "ArrowLeft");
  await b.waitForTimeout(700);
  await b.keyboard.up(right > 0 ? "ArrowRight" : "ArrowLeft");
  for (const [i, tab] of [a, c, d].entries()) {
    await expect
      .poll(async () => right * ((await positions(tab))[bId]!.x - before[i]!.x), { timeout: 5000 })
      .toBeGreaterThan(60);
  }
  await screenshot(a, testInfo, "game-desktop", DESKTOP);
  await screenshot(d, testInfo, "game-phone", PHONE);

  // Cara closes her tab: she is gone everywhere, and the game goes on.
  await c.context().close();
  for (const tab of [a, b, d]) {
    await expect
      .poll(
        async () =>
          Object.keys(await positions(tab))
            .map(Number)
            .sort(),
        { timeout: 5000 },
      )
      .toEqual([aId, bId, dId].sort());
  }
  const dBefore = (await positions(a))[dId]!;
  const down = dBefore.y < ARENA.height / 2 ? 1 : -1;
  await d.locator("#arena-canvas").click();
  await d.keyboard.down(down > 0 ? "ArrowDown" : "ArrowUp");
  await d.waitForTimeout(500);
  await d.keyboard.up(down > 0 ? "ArrowDown" : "ArrowUp");
  await expect
    .poll(async () => down * ((await positions(a))[dId]!.y - dBefore.y), { timeout: 5000 })
    .toBeGreaterThan(40);
  expect(cId).not.toBe(dId);

  // The host leaves: everyone else is back home with a message.
  await a.context().close();
  for (const tab of [b, d]) {
    await expect(tab.locator("#notice")).toHaveText("The host left the game.", { timeout: 5000 });
    await expect(tab.locator("#home")).toBeVisible();
  }
});

test("the host kicks, locks the room, and brings everyone back from the game", async ({ browser }) => {
  const host = await openDemo(browser);
  await introduce(host, PLAYERS[0]);
  await host.getByRole("button", { name: "Create room" }).click();
  await expect(host.locator("#code")).toHaveText(/^[A-Z2-9]{6}$/);
  const code = (await host.locator("#code").textContent())!;
  const join = async (player: (typeof PLAYERS)[number]) => {
    const tab = await openDemo(browser);
    await introduce(tab, player);
    await tab.getByLabel("Room code").fill(code);
    await tab.getByRole("button", { name: "Join" }).click();
    return tab;
  };
  const stays = await join(PLAYERS[1]);
  const kicked = await join(PLAYERS[2]);
  await expect(playerNames(host)).toHaveCount(3);

  await host
    .locator("#players li", { hasText: PLAYERS[2].name })
    .getByRole("button", { name: "Kick" })
    .click();
  await expect(kicked.locator("#home")).toBeVisible();
  await expect(playerNames(host)).toHaveCount(2);
  await expect(playerNames(stays)).toHaveCount(2);

  await host.getByRole("button", { name: "Lock room" }).click();
  const late = await join(PLAYERS[3]);
  await expect(late.locator("#notice")).toHaveText("That room is locked.");

  for (const tab of [host, stays]) await tab.getByRole("button", { name: "Ready", exact: true }).click();
  await host.getByRole("button", { name: "Start" }).click();
  await expect(stays.locator("#arena-canvas")).toBeVisible();
  await host.getByRole("button", { name: "Back to lobby" }).click();
  for (const tab of [host, stays]) {
    await expect(tab.locator("#lobby")).toBeVisible();
    await expect(tab.locator("#game")).toBeHidden();
    await expect(tab.locator("#players .ready-state")).toHaveText(["Not ready", "Not ready"]);
  }
});

test("the demo explains a failed join", async ({ browser }) => {
  const page = await openDemo(browser);
  await page.getByLabel("Room code").fill("ZZZZZZ");
  await page.getByRole("button", { name: "Join" }).click();
  await expect(page.locator("#notice")).toHaveText("There is no room with that code.");
  await expect(page.locator("#home")).toBeVisible();
});
