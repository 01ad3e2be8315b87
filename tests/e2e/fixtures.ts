import { type ChildProcess, spawn } from "node:child_process";
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

/**
 * A host tab and `clients` client tabs in its room, once everyone sees everyone. `signal`: the
 * signaling servers the host's and the clients' tabs use (the default one otherwise).
 */
export async function hostAndJoin(
  browser: Browser,
  clients: number,
  hostOptions: JoinOptions = {},
  signal: { host?: string; clients?: string } = {},
) {
  const host = await openTab(browser, signal.host);
  const roomCode = await host.evaluate((options) => window.harness.host(8, options), hostOptions);
  const joined: Array<{ page: Page; id: number }> = [];
  for (let i = 0; i < clients; i++) {
    const page = await openTab(browser, signal.clients);
    const result = await page.evaluate((code) => window.harness.join(code), roomCode);
    if (!result.ok) throw new Error(`join failed: ${result.reason}`);
    joined.push({ page, id: result.id });
    await waitForPeerCount(host, i + 1);
    for (const { page: client } of joined) await waitForPeerCount(client, i + 1);
  }
  return { host, roomCode, clients: joined };
}

/**
 * A client whose host stayed away past the grace period: it waited (reconnecting), then the game
 * ended for it, and its transport holds nothing any more.
 */
export async function expectHostLostAfterGrace(page: Page, timeout: number): Promise<void> {
  await page.waitForFunction(() => window.harness.names().includes("serverDisconnected"), null, { timeout });
  expect((await eventNames(page)).slice(-3)).toEqual([
    "peerReconnecting 1",
    "peerDisconnected 1",
    "serverDisconnected",
  ]);
  expect(await page.evaluate(() => window.harness.stats())).toMatchObject({
    connections: 0,
    connectTimers: 0,
    signalingOpen: false,
  });
}

/**
 * A signaling server of the test's own, on `port`, that the test can kill and start again: the
 * same ROOM_SECRET each time, so hosts can reclaim their rooms and players resume. `env` adds or
 * overrides settings (TURN_URLS, say).
 */
export async function startSignalingServer(
  port: number,
  env: Record<string, string> = {},
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["signaling-server/dist/main.js"], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      ROOM_SECRET: "e2e-room-secret-shared-across-restarts",
      MAX_SOCKETS_PER_ADDRESS: "0",
      ROOM_CREATES_PER_MINUTE: "0",
      JOIN_ATTEMPTS_PER_MINUTE: "0",
      FAILED_JOINS_PER_MINUTE: "0",
      MAX_ROOMS_PER_ADDRESS: "0",
      ...env,
    },
    stdio: "ignore",
  });
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`signaling server exited (${code})`))),
  );
  exited.catch(() => {}); // it exits when the test kills it, long after startup

  for (let i = 0; i < 100; i++) {
    try {
      const healthy = await Promise.race([fetch(`http://127.0.0.1:${port}/health`), exited]);
      if (healthy.ok) return child;
    } catch (error) {
      if (child.exitCode !== null) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error("signaling server did not start");
}

/** Kills a server started by startSignalingServer and waits until it is gone. */
export async function killSignalingServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await gone;
}

export const test = base;
export { expect };
