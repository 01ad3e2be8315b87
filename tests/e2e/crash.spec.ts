// Abrupt endings: a renderer that crashes takes its tab down without any goodbye.
import { eventNames, expect, hostAndJoin, test } from "./fixtures.js";

test("a crashed client tab is noticed by the host and the other clients within 2 s", async ({ browser }) => {
  const { host, clients } = await hostAndJoin(browser, 3);
  const [crashed, ...others] = clients as [(typeof clients)[number], ...typeof clients];
  const cdp = await crashed.page.context().newCDPSession(crashed.page);
  // The reply never comes: the session dies with the renderer.
  void cdp.send("Page.crash").catch(() => {});
  for (const tab of [host, ...others.map((client) => client.page)]) {
    await tab.waitForFunction((id) => !window.harness.api.getPeers().includes(id), crashed.id, {
      timeout: 2000,
    });
    expect((await eventNames(tab)).at(-1)).toBe(`peerDisconnected ${crashed.id}`);
  }
});

test("a crashed host tab ends the game for every client within 2 s", async ({ browser }) => {
  const { host, clients } = await hostAndJoin(browser, 3);
  const cdp = await host.context().newCDPSession(host);
  void cdp.send("Page.crash").catch(() => {});
  for (const { page } of clients) {
    await page.waitForFunction(() => window.harness.names().includes("serverDisconnected"), null, {
      timeout: 2000,
    });
    expect((await eventNames(page)).slice(-2)).toEqual(["peerDisconnected 1", "serverDisconnected"]);
  }
});
