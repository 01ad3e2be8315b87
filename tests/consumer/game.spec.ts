import { type Browser, expect, type Page, test } from "@playwright/test";
import { ports } from "./playwright.config.js";

const signal = encodeURIComponent(`http://127.0.0.1:${ports.signaling}`);

interface Tab {
  page: Page;
  /** Rejects with the tab's first uncaught error: a bundle the browser refused fails at once. */
  crashed: Promise<never>;
}

/** A player's tab in its own context, on the build with standard decorators or experimentalDecorators. */
async function open(browser: Browser, flavour: "standard" | "legacy", query: string): Promise<Tab> {
  const context = await browser.newContext({ permissions: ["microphone"] });
  const page = await context.newPage();
  const crashed = new Promise<never>((_, reject) => {
    page.on("pageerror", (error) => reject(new Error(`${flavour} tab: ${error.message}`)));
    page.on("console", (message) => {
      if (message.type() === "error") reject(new Error(`${flavour} tab: ${message.text()}`));
    });
  });
  crashed.catch(() => {});
  await page.goto(`http://127.0.0.1:${ports[flavour]}/?signal=${signal}${query}`);
  return { page, crashed };
}

/** Waits (10 s at most) until `#id` reads `text`; fails at once if the tab fails or crashes. */
async function waitForText(tab: Tab, id: string, text: string): Promise<void> {
  const settled = tab.page.waitForFunction(
    ([id, text]) => document.body.dataset.failed ?? document.getElementById(id!)?.textContent === text,
    [id, text],
    { timeout: 10_000 },
  );
  const result = await Promise.race([settled.then((handle) => handle.jsonValue()), tab.crashed]);
  expect(result, `#${id} of ${tab.page.url()}`).toBe(true);
}

test("three tabs of the packed packages play a coin race to the end", async ({ browser }) => {
  const host = await open(browser, "standard", "");
  await waitForText(host, "status", "playing as 1");
  const code = await host.page.locator("#code").textContent();
  expect(code).toMatch(/^[A-Z0-9]{6}$/);

  const alice = await open(browser, "standard", `&join=${code}`);
  const bob = await open(browser, "legacy", `&join=${code}`);
  const tabs = [host, alice, bob];
  for (const tab of tabs) await waitForText(tab, "players", "3");
  const idOf = async (tab: Tab) =>
    Number((await tab.page.locator("#status").textContent())?.split(" ").pop());
  const aliceId = await idOf(alice);
  const bobId = await idOf(bob);
  expect(new Set([1, aliceId, bobId]).size).toBe(3);

  const standings = (...scores: Array<[number, number]>) =>
    scores
      .sort(([a], [b]) => a - b)
      .map(([peer, coins]) => `${peer}:${coins}`)
      .join(" ");
  await bob.page.click("#claim");
  for (const tab of tabs) await waitForText(tab, "scores", standings([bobId, 1]));
  await host.page.click("#claim");
  for (const tab of tabs) await waitForText(tab, "scores", standings([1, 1], [bobId, 1]));
  for (let coin = 1; coin <= 3; coin++) {
    await alice.page.click("#claim");
    const expected = standings([1, 1], [aliceId, coin], [bobId, 1]);
    for (const tab of tabs) await waitForText(tab, "scores", expected);
  }
  for (const tab of tabs) {
    await waitForText(tab, "winner", String(aliceId));
    await waitForText(tab, "leader", String(aliceId)); // the @networked field, set by the host's rset
    await expect(tab.page.locator("#claim")).toBeDisabled();
  }
});
