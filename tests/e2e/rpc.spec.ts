import { expect, hostAndJoin, test } from "./fixtures.js";

test("RPCs between real tabs: order, relay, call_local, authority and channels", async ({ browser }) => {
  const { host, clients } = await hostAndJoin(browser, 3);
  const [a, b, c] = clients as [(typeof clients)[number], (typeof clients)[number], (typeof clients)[number]];

  // 10,000 reliable RPCs from a client arrive at the host complete and in order.
  const total = 10_000;
  await a.page.evaluate((n) => {
    for (let seq = 0; seq < n; seq++) window.harness.arena.rpcId(1, "count", seq);
  }, total);
  await host.waitForFunction((n) => window.harness.arena.counted.length === n, total, { timeout: 30_000 });
  expect(
    await host.evaluate(() => {
      const counted = window.harness.arena.counted;
      return {
        inOrder: counted.every((seq, i) => seq === i),
        senders: [...window.harness.arena.countSenders],
      };
    }),
  ).toEqual({ inOrder: true, senders: [a.id] });

  // Unreliable RPCs from the host arrive at the clients (loopback loses nothing to speak of).
  await host.evaluate(() => {
    for (let seq = 0; seq < 100; seq++) window.harness.arena.rpc("blip", seq);
  });
  for (const client of clients) {
    await client.page.waitForFunction(() => window.harness.arena.blips.length > 0);
    const blips = await client.page.evaluate(() => window.harness.arena.blips);
    expect(new Set(blips).size).toBe(blips.length);
    expect(blips.every((seq) => seq >= 0 && seq < 100)).toBe(true);
  }

  // A client-to-client rpcId goes through the host, which stamps the true sender.
  await a.page.evaluate((target) => window.harness.arena.rpcId(target, "whisper", "psst"), b.id);
  await b.page.waitForFunction(() => window.harness.arena.heard.length === 1);
  expect(await b.page.evaluate(() => window.harness.arena.heard)).toEqual([[a.id, "psst"]]);
  expect(await c.page.evaluate(() => window.harness.arena.heard)).toEqual([]);

  // call_local runs once on the caller, with its own id, and once on every other peer.
  await c.page.evaluate(() => window.harness.arena.rpc("cheer"));
  for (const tab of [host, a.page, b.page, c.page]) {
    await tab.waitForFunction(() => window.harness.arena.cheers.length === 1);
    expect(await tab.evaluate(() => window.harness.arena.cheers)).toEqual([c.id]);
  }

  // An authority-only RPC from a client is rejected on the host and never runs.
  await b.page.evaluate(() => window.harness.arena.rpcId(1, "hostOnly"));
  await host.waitForFunction(() => window.harness.events.some((e) => e.name === "rejected"));
  expect(
    await host.evaluate(() => ({
      calls: window.harness.arena.hostOnlyCalls,
      rejections: window.harness.events.filter((e) => e.name === "rejected").map((e) => e.args),
      count: window.harness.api.rejectionCount(
        window.harness.events.find((e) => e.name === "rejected")!.args[1] as number,
      ),
    })),
  ).toEqual({
    calls: [],
    rejections: [
      ["forbidden", b.id, "hostOnly", `/root/arena.hostOnly is authority-only (authority 1, caller ${b.id})`],
    ],
    count: 1,
  });

  // remoteSenderId survives await in an async handler, also with calls from two peers interleaved.
  // Both calls wait in the host at once; they go on in the opposite order to their arrival.
  await a.page.evaluate(() => window.harness.arena.rpcId(1, "later", "a"));
  await b.page.evaluate(() => window.harness.arena.rpcId(1, "later", "b"));
  await host.waitForFunction(() => window.harness.arena.lateArrivals === 2);
  await host.evaluate(() => window.harness.arena.openGate("b"));
  await host.waitForFunction(() => window.harness.arena.lateSenders.length === 1);
  await host.evaluate(() => window.harness.arena.openGate("a"));
  await host.waitForFunction(() => window.harness.arena.lateSenders.length === 2);
  expect(await host.evaluate(() => window.harness.arena.lateSenders)).toEqual([
    [b.id, "b"],
    [a.id, "a"],
  ]);
  expect(await host.evaluate(() => window.harness.api.remoteSenderId)).toBe(0);

  // An RPC declared on channel 1 travels on the extra data channel and arrives.
  await a.page.evaluate(() => window.harness.arena.rpc("onChannel", 7));
  for (const tab of [host, b.page, c.page]) {
    await tab.waitForFunction(() => window.harness.arena.onChannelCalls.length === 1);
    expect(await tab.evaluate(() => window.harness.arena.onChannelCalls)).toEqual([[a.id, 7]]);
  }
});

test("a 1 MiB RPC argument arrives intact, relayed too; a bigger one is refused at the sender", async ({
  browser,
}) => {
  const { host, clients } = await hostAndJoin(browser, 2);
  const [a, b] = clients as [(typeof clients)[number], (typeof clients)[number]];
  const sent = await a.page.evaluate((target) => {
    const data = new Uint8Array(1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum = (sum * 31 + data[i]!) >>> 0;
    window.harness.arena.rpcId(1, "big", data.subarray(0, data.length - 64)); // leaves room for the header
    window.harness.arena.rpcId(target, "big", data.subarray(0, data.length - 64));
    let sumShort = 0;
    for (let i = 0; i < data.length - 64; i++) sumShort = (sumShort * 31 + data[i]!) >>> 0;
    let refused = "";
    try {
      window.harness.arena.rpcId(1, "big", data); // 1 MiB of arguments plus the header: over the limit
    } catch (error) {
      refused = (error as Error).message;
    }
    return { sum: sumShort, refused };
  }, b.id);
  expect(sent.refused).toMatch(/exceeds maxMessageBytes/);
  const expected = [{ sender: a.id, length: 1024 * 1024 - 64, sum: sent.sum }];
  await host.waitForFunction(() => window.harness.arena.bigPayloads.length === 1, null, { timeout: 20_000 });
  expect(await host.evaluate(() => window.harness.arena.bigPayloads)).toEqual(expected);
  await b.page.waitForFunction(() => window.harness.arena.bigPayloads.length === 1, null, {
    timeout: 20_000,
  });
  expect(await b.page.evaluate(() => window.harness.arena.bigPayloads)).toEqual(expected);
  // The connection is still fine afterwards.
  await a.page.evaluate(() => window.harness.arena.rpcId(1, "whisper", "after"));
  await host.waitForFunction(() => window.harness.arena.heard.length === 1);
});
