// The signaling server goes away mid-game and comes back: games keep playing over their data
// channels, the host reclaims its room, and new players can join it again with the same code.
import {
  expect,
  killSignalingServer,
  openTab,
  startSignalingServer,
  test,
  waitForPeerCount,
} from "./fixtures.js";

const PORT = 18790;
const url = `http://127.0.0.1:${PORT}`;
const startServer = () => startSignalingServer(PORT);

test("a signaling server restart does not end games, and joins work again once it is back", async ({
  browser,
}) => {
  let server = await startServer();
  try {
    const host = await openTab(browser, url);
    const roomCode = await host.evaluate(() => window.harness.host(8));
    const clients = [];
    for (let i = 0; i < 2; i++) {
      const page = await openTab(browser, url);
      const joined = await page.evaluate((code) => window.harness.join(code), roomCode);
      expect(joined).toMatchObject({ ok: true });
      clients.push(page);
      await waitForPeerCount(host, i + 1);
    }
    for (const page of clients) await waitForPeerCount(page, 2);

    await killSignalingServer(server);

    // Playing on without the server.
    await clients[0]!.evaluate(() => window.harness.arena.rpcId(1, "whisper", "still here"));
    await host.waitForFunction(() => window.harness.arena.heard.some(([, text]) => text === "still here"));
    await host.evaluate(() => window.harness.arena.rpc("cheer"));
    for (const page of clients) await page.waitForFunction(() => window.harness.arena.cheers.length === 1);
    expect(await host.evaluate(() => window.harness.api.getPeers().length)).toBe(2);

    server = await startServer();
    // The host takes its room back (it retries with backoff); then a newcomer joins by the old code.
    const newcomer = await openTab(browser, url);
    await expect
      .poll(async () => (await newcomer.evaluate((code) => window.harness.join(code), roomCode)).ok, {
        timeout: 15_000,
        intervals: [500],
      })
      .toBe(true);
    await waitForPeerCount(newcomer, 3);
    await waitForPeerCount(host, 3);
    for (const page of clients) await waitForPeerCount(page, 3);
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
    const host = await openTab(browser, tabUrl);
    const roomCode = await host.evaluate(() => window.harness.host(8));
    const clients = [];
    for (let i = 0; i < 2; i++) {
      const page = await openTab(browser, tabUrl);
      expect(await page.evaluate((code) => window.harness.join(code), roomCode)).toMatchObject({ ok: true });
      clients.push(page);
      await waitForPeerCount(host, i + 1);
    }
    for (const page of clients) await waitForPeerCount(page, 2);

    const exited = new Promise<number | null>((resolve) => server.once("exit", (code) => resolve(code)));
    server.kill("SIGTERM");
    expect(await exited).toBe(0);

    await clients[1]!.evaluate(() => window.harness.arena.rpcId(1, "whisper", "through the drain"));
    await host.waitForFunction(() =>
      window.harness.arena.heard.some(([, text]) => text === "through the drain"),
    );
    expect(await host.evaluate(() => window.harness.api.getPeers().length)).toBe(2);

    server = await start();
    const newcomer = await openTab(browser, tabUrl);
    await expect
      .poll(async () => (await newcomer.evaluate((code) => window.harness.join(code), roomCode)).ok, {
        timeout: 15_000,
        intervals: [500],
      })
      .toBe(true);
    await waitForPeerCount(newcomer, 3);
    await waitForPeerCount(host, 3);
    for (const page of clients) await waitForPeerCount(page, 3);
  } finally {
    await killSignalingServer(server);
  }
});
