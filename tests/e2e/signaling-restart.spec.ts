// The signaling server goes away mid-game and comes back: games keep playing over their data
// channels, the host reclaims its room, and new players can join it again with the same code.
import type { Browser, Page } from "@playwright/test";
import {
  expect,
  hostAndJoin,
  killSignalingServer,
  openTab,
  startSignalingServer,
  test,
  waitForPeerCount,
} from "./fixtures.js";

const PORT = 18790;
const url = `http://127.0.0.1:${PORT}`;
const startServer = () => startSignalingServer(PORT);

/**
 * Once the host has taken its room back (it retries with backoff), a newcomer on `signal` joins by
 * the old code, and everyone sees everyone.
 */
async function newcomerJoins(browser: Browser, signal: string, roomCode: string, players: Page[]) {
  const newcomer = await openTab(browser, signal);
  await expect
    .poll(async () => (await newcomer.evaluate((code) => window.harness.join(code), roomCode)).ok, {
      timeout: 15_000,
      intervals: [500],
    })
    .toBe(true);
  for (const page of [newcomer, ...players]) await waitForPeerCount(page, players.length);
}

test("a signaling server restart does not end games, and joins work again once it is back", async ({
  browser,
}) => {
  let server = await startServer();
  try {
    const game = await hostAndJoin(browser, 2, {}, { host: url, clients: url });
    const { host, roomCode } = game;
    const clients = game.clients.map(({ page }) => page);

    await killSignalingServer(server);

    // Playing on without the server.
    await clients[0]!.evaluate(() => window.harness.arena.rpcId(1, "whisper", "still here"));
    await host.waitForFunction(() => window.harness.arena.heard.some(([, text]) => text === "still here"));
    await host.evaluate(() => window.harness.arena.rpc("cheer"));
    for (const page of clients) await page.waitForFunction(() => window.harness.arena.cheers.length === 1);
    expect(await host.evaluate(() => window.harness.api.getPeers().length)).toBe(2);

    server = await startServer();
    // The host takes its room back (it retries with backoff); then a newcomer joins by the old code.
    await newcomerJoins(browser, url, roomCode, [host, ...clients]);
  } finally {
    await killSignalingServer(server);
  }
});

test("SIGTERM on the signaling server drains it: tabs keep playing, and the room is back on the next server", async ({
  browser,
}) => {
  const port = PORT + 1;
  const tabUrl = `http://127.0.0.1:${port}`;
  const start = () => startSignalingServer(port, { DRAIN_TIMEOUT_MS: "2000" });
  let server = await start();
  try {
    const game = await hostAndJoin(browser, 2, {}, { host: tabUrl, clients: tabUrl });
    const { host, roomCode } = game;
    const clients = game.clients.map(({ page }) => page);

    const exited = new Promise<number | null>((resolve) => server.once("exit", (code) => resolve(code)));
    server.kill("SIGTERM");
    expect(await exited).toBe(0);

    await clients[1]!.evaluate(() => window.harness.arena.rpcId(1, "whisper", "through the drain"));
    await host.waitForFunction(() =>
      window.harness.arena.heard.some(([, text]) => text === "through the drain"),
    );
    expect(await host.evaluate(() => window.harness.api.getPeers().length)).toBe(2);

    server = await start();
    await newcomerJoins(browser, tabUrl, roomCode, [host, ...clients]);
  } finally {
    await killSignalingServer(server);
  }
});
