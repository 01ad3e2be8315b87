import { type Browser, test as base, expect, type Page } from "@playwright/test";
import { ports } from "../../playwright.config.js";
import type { JoinOptions } from "./harness/harness.js";

export const signalingUrl = `http://127.0.0.1:${ports.signaling}`;
export const harnessUrl = (signal = signalingUrl) =>
  `http://127.0.0.1:${ports.harness}/?signal=${encodeURIComponent(signal)}`;

const pageErrors = new WeakMap<Page, string[]>();
/** Uncaught errors and console errors a tab has shown so far. */
export const errorsOf = (page: Page): string[] => pageErrors.get(page) ?? [];

/** Opens the harness in its own browser context: a separate tab as a separate player would have. */
export async function openTab(browser: Browser, signal?: string): Promise<Page> {
  const context = await browser.newContext({ permissions: ["microphone"] });
  const page = await context.newPage();
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  await page.goto(harnessUrl(signal));
  await page.waitForFunction(() => window.harness !== undefined);
  return page;
}

export const eventNames = (page: Page) => page.evaluate(() => window.harness.names());
export const peersOf = (page: Page) =>
  page.evaluate(() => window.harness.api.getPeers().sort((a: number, b: number) => a - b));

/** Waits until the tab's MultiplayerAPI knows exactly `count` other peers. */
export async function waitForPeerCount(page: Page, count: number, timeout = 10_000): Promise<void> {
  await page.waitForFunction((n) => window.harness.api.getPeers().length === n, count, { timeout });
}

export async function hostAndJoin(browser: Browser, clients: number, hostOptions: JoinOptions = {}) {
  const host = await openTab(browser);
  const roomCode = await host.evaluate((options) => window.harness.host(8, options), hostOptions);
  const joined: Array<{ page: Page; id: number }> = [];
  for (let i = 0; i < clients; i++) {
    const page = await openTab(browser);
    const result = await page.evaluate((code) => window.harness.join(code), roomCode);
    if (!result.ok) throw new Error(`join failed: ${result.reason}`);
    joined.push({ page, id: result.id });
    await waitForPeerCount(host, i + 1);
    for (const { page: client } of joined) await waitForPeerCount(client, i + 1);
  }
  return { host, roomCode, clients: joined };
}

export const test = base;
export { expect };
