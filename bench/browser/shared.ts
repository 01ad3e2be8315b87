import type { Browser, Page } from "@playwright/test";
import { benchPorts } from "./playwright.config.js";

export const signalingUrl = `http://127.0.0.1:${benchPorts.signaling}`;

/** A benchmark tab in a context of its own, as a separate player's browser would be. */
export async function openBenchTab(browser: Browser, signal = signalingUrl): Promise<Page> {
  const context = await browser.newContext({ permissions: ["microphone"] });
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${benchPorts.page}/?signal=${encodeURIComponent(signal)}`);
  await page.waitForFunction(() => window.bench !== undefined);
  return page;
}

export const chromiumVersion = (browser: Browser) => `Chromium ${browser.version()}`;
