import { expect, type Page, test } from "@playwright/test";
import { ports } from "../../playwright.config.js";
import { signalingUrl } from "./fixtures.js";

const demoUrl = `http://127.0.0.1:${ports.demo}/?signal=${encodeURIComponent(signalingUrl)}`;

async function openDemo(browser: import("@playwright/test").Browser, url = demoUrl): Promise<Page> {
  const context = await browser.newContext({ permissions: ["microphone"] });
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

const peerItems = (page: Page) => page.locator("#peers li");

test("the demo creates a room, joins by link and by code, and lists peers live", async ({ browser }) => {
  const host = await openDemo(browser);
  await host.getByRole("button", { name: "Create room" }).click();
  await expect(host.locator("#code")).toHaveText(/^[A-Z2-9]{6}$/);
  const code = (await host.locator("#code").textContent())!;
  const link = await host.locator("#join-link").getAttribute("href");
  expect(link).toContain(`room=${code}`);
  await expect(host.locator("#me")).toHaveText("You are peer 1 (host)");

  const byLink = await openDemo(browser, link!);
  await expect(byLink.locator("#code")).toHaveText(code);
  await expect(peerItems(byLink)).toHaveText(["1 (host)"]);

  const byCode = await openDemo(browser);
  await byCode.getByLabel("Room code").fill(code.toLowerCase());
  await byCode.getByRole("button", { name: "Join" }).click();
  await expect(peerItems(byCode)).toHaveCount(2);
  await expect(peerItems(host)).toHaveCount(2);
  await expect(peerItems(byLink)).toHaveCount(2);

  await byCode.getByRole("button", { name: "Leave" }).click();
  await expect(peerItems(host)).toHaveCount(1);
  await expect(peerItems(byLink)).toHaveText(["1 (host)"]);

  await host.context().close();
  await expect(byLink.locator("#notice")).toHaveText("The host left the room.");
  await expect(byLink.locator("#home")).toBeVisible();
});

test("the demo explains a failed join", async ({ browser }) => {
  const page = await openDemo(browser);
  await page.getByLabel("Room code").fill("ZZZZZZ");
  await page.getByRole("button", { name: "Join" }).click();
  await expect(page.locator("#notice")).toHaveText("There is no room with that code.");
  await expect(page.locator("#home")).toBeVisible();
});
