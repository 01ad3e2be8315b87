// Two signaling processes sharing one Redis (issue 16), with Chromium tabs: a host tab on process A,
// two player tabs on process B; their offers and answers cross the two
// processes through Redis, and the game plays. (A process killed mid-game: tests/node/two-processes.test.ts.)
import { startRedisServer } from "../../signaling-server/test/redis-server.js";
import { hostAndJoin, killSignalingServer, startSignalingServer, test } from "./fixtures.js";

const PORTS = [18791, 18792] as const;

test("a game forms and plays with its host on one signaling process and its players on another", async ({
  browser,
}) => {
  const redis = await startRedisServer();
  const env = { REDIS_URL: redis.url };
  const servers = [await startSignalingServer(PORTS[0], env), await startSignalingServer(PORTS[1], env)];
  try {
    const [onA, onB] = PORTS.map((port) => `http://127.0.0.1:${port}`) as [string, string];
    const { host, clients } = await hostAndJoin(browser, 2, {}, { host: onA, clients: onB });
    const players = clients.map(({ page }) => page);

    await players[0]!.evaluate(() => window.harness.arena.rpcId(1, "whisper", "from B"));
    await host.waitForFunction(() => window.harness.arena.heard.some(([, text]) => text === "from B"));
    await host.evaluate(() => window.harness.arena.rpc("cheer"));
    for (const page of players) await page.waitForFunction(() => window.harness.arena.cheers.length === 1);
  } finally {
    for (const server of servers) await killSignalingServer(server);
    await redis.stop();
  }
});
