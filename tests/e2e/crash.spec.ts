// Abrupt endings: a renderer that crashes takes its tab down without any goodbye. Silence is
// noticed within 2 s (peerReconnecting); the player is gone once the grace period is over.
import { eventNames, expect, expectHostLostAfterGrace, hostAndJoin, test } from "./fixtures.js";

const GRACE_MS = 3000;

test("a crashed client tab is reconnecting within 2 s everywhere, and gone after the grace period", async ({
  browser,
}) => {
  const { host, clients } = await hostAndJoin(browser, 3, { reconnectGraceMs: GRACE_MS });
  const [crashed, ...others] = clients as [(typeof clients)[number], ...typeof clients];
  const tabs = [host, ...others.map((client) => client.page)];
  const cdp = await crashed.page.context().newCDPSession(crashed.page);
  // The reply never comes: the session dies with the renderer.
  void cdp.send("Page.crash").catch(() => {});
  const crashedAt = Date.now();
  for (const tab of tabs) {
    await tab.waitForFunction((id) => window.harness.names().includes(`peerReconnecting ${id}`), crashed.id, {
      timeout: 2000 - (Date.now() - crashedAt),
    });
    // Still in the game while it may come back.
    expect(await tab.evaluate((id) => window.harness.api.getPeers().includes(id), crashed.id)).toBe(true);
  }
  for (const tab of tabs) {
    await tab.waitForFunction((id) => !window.harness.api.getPeers().includes(id), crashed.id, {
      timeout: GRACE_MS + 3000,
    });
    expect((await eventNames(tab)).slice(-2)).toEqual([
      `peerReconnecting ${crashed.id}`,
      `peerDisconnected ${crashed.id}`,
    ]);
  }
  expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(GRACE_MS);
});

test("a crashed host tab is reconnecting within 2 s for every client, and the game ends after the grace period", async ({
  browser,
}) => {
  const { host, clients } = await hostAndJoin(browser, 3, { reconnectGraceMs: GRACE_MS });
  const cdp = await host.context().newCDPSession(host);
  void cdp.send("Page.crash").catch(() => {});
  const crashedAt = Date.now();
  for (const { page } of clients) {
    await page.waitForFunction(() => window.harness.names().includes("peerReconnecting 1"), null, {
      timeout: 2000 - (Date.now() - crashedAt),
    });
  }
  for (const { page } of clients) {
    await expectHostLostAfterGrace(page, GRACE_MS + 3000);
  }
});
