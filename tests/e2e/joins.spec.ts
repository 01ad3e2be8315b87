// Joins always come up: 100 joins in a row from Chromium tabs, not one may fail.
import { expect, openTab, test } from "./fixtures.js";

const JOINS = 100;
const TABS = 4;

test(`${JOINS} sequential joins from Chromium tabs all connect`, async ({ browser }) => {
  test.setTimeout(240_000);
  const host = await openTab(browser);
  const roomCode = await host.evaluate(() => window.harness.host(8));
  const tabs = await Promise.all(Array.from({ length: TABS }, () => openTab(browser)));
  const outcomes: string[] = [];
  for (let i = 0; i < JOINS; i++) {
    const tab = tabs[i % TABS]!;
    const joined = await tab.evaluate((code) => {
      window.harness.events.length = 0;
      return window.harness.join(code);
    }, roomCode);
    if (!joined.ok) throw new Error(`join ${i} refused: ${joined.reason}`);
    // Connected, or the failure that replaces it: whichever comes first ends the wait.
    const outcome = await tab.waitForFunction(
      () => window.harness.names().find((n) => n === "connectedToServer" || n.startsWith("connectionFailed")),
      null,
      { timeout: 20_000 },
    );
    outcomes.push(String(await outcome.jsonValue()));
    expect(outcomes.at(-1), `join ${i}`).toBe("connectedToServer");
    await host.waitForFunction((id) => window.harness.api.getPeers().includes(id), joined.id);
    await tab.evaluate(() => {
      window.harness.api.peer = null;
    });
    await host.waitForFunction((id) => !window.harness.api.getPeers().includes(id), joined.id, {
      timeout: 5000,
    });
  }
  expect(outcomes.filter((o) => o !== "connectedToServer")).toEqual([]);
  expect(outcomes).toHaveLength(JOINS);
  await expect
    .poll(() => host.evaluate(() => window.harness.stats()))
    .toMatchObject({ connections: 0, connectTimers: 0, reconnecting: 0 });
});
