// The demo's connection overlay and its network-conditions panel (README, "Connection
// statistics" and "Network conditions"): every tab shows each player's ping from the host's
// measurement, and the panel's latency slider shows up in that ping.
import { type Browser, expect, type Page, test } from "@playwright/test";
import type {} from "../../apps/lobby-demo/src/test-hooks.js";
import { ports } from "../../playwright.config.js";
import { signalingUrl } from "./fixtures.js";

const demoUrl = `http://127.0.0.1:${ports.demo}/?signal=${encodeURIComponent(signalingUrl)}`;

async function openDemo(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ permissions: ["microphone"] });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  // Every wait below fails at once on a page error or a notice that the game ended.
  (page as Page & { failures: () => string[] }).failures = () => errors;
  await page.goto(url);
  return page;
}

const failures = (page: Page) => (page as Page & { failures: () => string[] }).failures();
const myId = (page: Page) => page.evaluate(() => window.starwireDemo.myId());
const pingOf = (page: Page, id: number) =>
  page.evaluate((peer) => window.starwireDemo.netRows()[peer]?.pingMs ?? null, id);

/** Polls `read` until `accept` holds, failing at once if a tab broke or left its game. */
async function waitFor<T>(
  tabs: Page[],
  what: string,
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeout = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    for (const tab of tabs) {
      const broken = [...failures(tab), ...(await tab.locator("#notice").allTextContents()).filter(Boolean)];
      if (broken.length > 0) throw new Error(`${what}: ${broken.join(", ")}`);
    }
    if (Date.now() > deadline) throw new Error(`${what}: last ${JSON.stringify(value)} after ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test("the overlay shows each player's ping; the debug panel's latency shows in it", async ({ browser }) => {
  test.setTimeout(90_000);
  const host = await openDemo(browser, demoUrl);
  await host.getByLabel("Name").fill("Hana");
  await host.getByRole("button", { name: "Create room" }).click();
  await expect(host.locator("#code")).toHaveText(/^[A-Z2-9]{6}$/);
  const link = (await host.locator("#join-link").getAttribute("href"))!;

  // The guest opens the join link with ?debug: the panel is open from the start.
  const guest = await openDemo(browser, `${link}&debug`);
  await guest.getByLabel("Name").fill("Gus");
  await guest.getByRole("button", { name: "Join" }).click();
  await expect(guest.locator("#lobby")).toBeVisible();
  await expect(guest.locator("#debug-panel")).toBeVisible();
  await expect(host.locator("#debug-panel")).toBeHidden();
  const guestId = await myId(guest);
  const tabs = [host, guest];

  // Both tabs list both players; the guest's ping is measured by the host and shared.
  for (const tab of tabs) {
    await expect(tab.locator("#net-overlay")).toBeVisible();
    await waitFor(
      tabs,
      "a measured ping",
      () => pingOf(tab, guestId),
      (ping) => ping !== null,
    );
    await expect(tab.locator(`.net-row[data-peer="${guestId}"] .net-figures`)).toHaveText(
      /\d+ ms · [\d.–]+ % loss · [\d.]+ kbps/,
    );
    await expect(tab.locator('.net-row[data-peer="1"]')).toContainText("host");
    await expect(tab.locator(".relay-badge")).toHaveCount(0); // loopback: a direct path
  }

  // 200 ms on what the guest sends: the round trip between it and the host grows past it.
  await guest.locator('#debug-sliders input[name="latencyMs"]').fill("200");
  expect(await guest.evaluate(() => window.starwireDemo.conditions())).toMatchObject({ latencyMs: 200 });
  await waitFor(
    tabs,
    "the host's ping of the guest",
    () => pingOf(host, guestId),
    (ping) => (ping ?? 0) >= 190,
  );
  await waitFor(
    tabs,
    "the guest's own ping",
    () => pingOf(guest, guestId),
    (ping) => (ping ?? 0) >= 190,
  );

  // Reset: back to loopback's round trip.
  await guest.getByRole("button", { name: "Reset" }).click();
  expect(await guest.evaluate(() => window.starwireDemo.conditions())).toBeNull();
  await waitFor(
    tabs,
    "the ping after reset",
    () => pingOf(host, guestId),
    (ping) => ping !== null && ping < 100,
  );

  // Backquote toggles the panel, except while typing.
  await guest.getByRole("button", { name: "Close" }).click();
  await expect(guest.locator("#debug-panel")).toBeHidden();
  await guest.keyboard.press("`");
  await expect(guest.locator("#debug-panel")).toBeVisible();
  await guest.getByLabel("Chat message").press("`");
  await expect(guest.locator("#debug-panel")).toBeVisible();
  await expect(guest.getByLabel("Chat message")).toHaveValue("`");
});
