import { io } from "socket.io-client";
import {
  errorsOf,
  eventNames,
  expect,
  hostAndJoin,
  openTab,
  peersOf,
  signalingUrl,
  test,
  waitForPeerCount,
} from "./fixtures.js";

test("host + 3 client tabs form one star and see Godot's event order", async ({ browser }) => {
  const { host, clients } = await hostAndJoin(browser, 3);
  const [a, b, c] = clients.map((client) => client.id) as [number, number, number];
  const everyone = [1, a, b, c];

  for (const tab of [host, ...clients.map((client) => client.page)]) {
    const self = await tab.evaluate(() => window.harness.api.uniqueId);
    expect(await peersOf(tab)).toEqual(everyone.filter((id) => id !== self).sort((x, y) => x - y));
  }
  expect(await eventNames(host)).toEqual([`peerConnected ${a}`, `peerConnected ${b}`, `peerConnected ${c}`]);
  expect(await eventNames(clients[0]!.page)).toEqual([
    "connectedToServer",
    "peerConnected 1",
    `peerConnected ${b}`,
    `peerConnected ${c}`,
  ]);
  expect(await eventNames(clients[1]!.page)).toEqual([
    "connectedToServer",
    "peerConnected 1",
    `peerConnected ${a}`,
    `peerConnected ${c}`,
  ]);
  expect(await eventNames(clients[2]!.page)).toEqual([
    "connectedToServer",
    "peerConnected 1",
    `peerConnected ${a}`,
    `peerConnected ${b}`,
  ]);
  expect(await host.evaluate(() => window.harness.api.isServer())).toBe(true);
  expect(await clients[0]!.page.evaluate(() => window.harness.api.isServer())).toBe(false);
});

test("each connection has its negotiated channels and a message on each arrives", async ({ browser }) => {
  const { host, clients } = await hostAndJoin(browser, 2);
  const [first, second] = clients as [(typeof clients)[number], (typeof clients)[number]];

  const channels = await first.page.evaluate(() => window.harness.channels.filter((ch) => ch.negotiated));
  expect(channels).toEqual([
    { label: "reliable", negotiated: true, id: 10, ordered: true },
    { label: "unreliable", negotiated: true, id: 11, ordered: false, maxRetransmits: 0 },
    { label: "unreliable_ordered", negotiated: true, id: 12, ordered: true, maxRetransmits: 0 },
    // the harness declares one extra channel (WebRTCPeerOptions.channels)
    { label: "channel 1 unreliable_ordered", negotiated: true, id: 13, ordered: true, maxRetransmits: 0 },
  ]);

  const transfers = ["reliable", "unreliable", "unreliable_ordered"] as const;
  await first.page.evaluate((modes) => {
    for (const transfer of modes) {
      window.harness.api.sendBytes(new TextEncoder().encode(`to-host ${transfer}`), 1, { transfer });
      window.harness.api.sendBytes(new TextEncoder().encode(`to-all ${transfer}`), 0, { transfer });
    }
  }, transfers);
  await host.evaluate((modes) => {
    for (const transfer of modes)
      window.harness.api.sendBytes(new TextEncoder().encode(`from-host ${transfer}`), 0, { transfer });
  }, transfers);

  const packets = (page: typeof host) =>
    page.evaluate(() =>
      window.harness.events
        .filter((e) => e.name === "peerPacket")
        .map((e) => `${e.args[0]} ${e.args[1]}`)
        .sort(),
    );
  await host.waitForFunction(() => window.harness.events.filter((e) => e.name === "peerPacket").length === 6);
  await second.page.waitForFunction(
    () => window.harness.events.filter((e) => e.name === "peerPacket").length === 6,
  );
  expect(await packets(host)).toEqual(
    transfers.flatMap((t) => [`${first.id} to-all ${t}`, `${first.id} to-host ${t}`]).sort(),
  );
  expect(await packets(second.page)).toEqual(
    transfers.flatMap((t) => [`${first.id} to-all ${t}`, `1 from-host ${t}`]).sort(),
  );
});

test("a closed client tab is noticed by the host and the other clients within 2 s", async ({ browser }) => {
  const { host, clients } = await hostAndJoin(browser, 3);
  const [gone, ...stay] = clients as [(typeof clients)[number], ...typeof clients];
  await gone.page.context().close();
  for (const tab of [host, ...stay.map((client) => client.page)]) {
    await tab.waitForFunction((id) => !window.harness.api.getPeers().includes(id), gone.id, {
      timeout: 2000,
    });
    expect((await eventNames(tab)).at(-1)).toBe(`peerDisconnected ${gone.id}`);
  }
});

test("a closed host tab ends the game for every client within 2 s", async ({ browser }) => {
  const { host, clients } = await hostAndJoin(browser, 3);
  await host.context().close();
  for (const { page } of clients) {
    await page.waitForFunction(() => window.harness.names().includes("serverDisconnected"), null, {
      timeout: 2000,
    });
    const names = await eventNames(page);
    expect(names.slice(-2)).toEqual(["peerDisconnected 1", "serverDisconnected"]);
    expect(await peersOf(page)).toEqual([]);
    expect(await page.evaluate(() => window.harness.api.connectionStatus)).toBe("disconnected");
  }
});

test("joining an unknown, a full or a refusing room fails with the reason", async ({ browser }) => {
  const host = await openTab(browser);
  const roomCode = await host.evaluate(() => window.harness.host(1));
  const first = await openTab(browser);
  expect(await first.evaluate((code) => window.harness.join(code), roomCode)).toMatchObject({ ok: true });
  await waitForPeerCount(host, 1);

  const attempt = async (code: string) => {
    const tab = await openTab(browser);
    const result = await tab.evaluate((c) => window.harness.join(c), code);
    await tab.waitForFunction(() => window.harness.names().some((n) => n.startsWith("connectionFailed")));
    const names = await eventNames(tab);
    await tab.context().close();
    return { result, names };
  };
  expect(await attempt("ZZZZZZ")).toEqual({
    result: { ok: false, reason: "no_such_room" },
    names: ["connectionFailed no_such_room"],
  });
  expect(await attempt(roomCode)).toEqual({
    result: { ok: false, reason: "room_full" },
    names: ["connectionFailed room_full"],
  });

  const open = await openTab(browser);
  const openCode = await open.evaluate(() => window.harness.host(8));
  await open.evaluate(() => {
    window.harness.api.refuseNewConnections = true;
  });
  expect(await attempt(openCode)).toEqual({
    result: { ok: false, reason: "room_refusing" },
    names: ["connectionFailed room_refusing"],
  });
});

test("an unreachable signaling server fails the join instead of hanging", async ({ browser }) => {
  const tab = await openTab(browser, "http://127.0.0.1:9");
  expect(await tab.evaluate(() => window.harness.join("ABCDEF"))).toEqual({
    ok: false,
    reason: "signaling_unreachable",
  });
  expect(await eventNames(tab)).toEqual(["connectionFailed signaling_unreachable"]);
});

test("a host that never answers makes the join time out with connectionFailed", async ({ browser }) => {
  // A bare signaling client plays a host that accepts the join but never completes WebRTC.
  const silentHost = io(signalingUrl, { transports: ["websocket"], reconnection: false });
  try {
    const reply = await silentHost.timeout(5000).emitWithAck("create", { maxPlayers: 4 });
    const tab = await openTab(browser);
    expect(
      await tab.evaluate((code) => window.harness.join(code, { connectTimeoutMs: 1500 }), reply.roomCode),
    ).toMatchObject({ ok: true });
    await tab.waitForFunction(() => window.harness.names().length > 0, null, { timeout: 5000 });
    expect(await eventNames(tab)).toEqual(["connectionFailed timeout"]);
    expect(await tab.evaluate(() => window.harness.api.connectionStatus)).toBe("disconnected");
  } finally {
    silentHost.close();
  }
});

test("multiplayer.peer = null closes cleanly on a client and on the host", async ({ browser }) => {
  const { host, clients } = await hostAndJoin(browser, 2);
  const [leaver, stayer] = clients as [(typeof clients)[number], (typeof clients)[number]];
  await leaver.page.evaluate(() => {
    window.harness.api.peer = null;
  });
  await waitForPeerCount(host, 1, 2000);
  await waitForPeerCount(stayer.page, 1, 2000);
  expect(
    await leaver.page.evaluate(() => [window.harness.api.uniqueId, window.harness.api.isServer()]),
  ).toEqual([1, true]);
  expect(await eventNames(leaver.page)).not.toContain("serverDisconnected");

  await host.evaluate(() => {
    window.harness.api.peer = null;
  });
  await stayer.page.waitForFunction(() => window.harness.names().includes("serverDisconnected"), null, {
    timeout: 2000,
  });
  for (const tab of [host, leaver.page, stayer.page]) expect(errorsOf(tab)).toEqual([]);
});

test("a failed DTLS handshake fails the join with ice_failed", async ({ browser }) => {
  const host = await openTab(browser);
  const roomCode = await host.evaluate(() => window.harness.host(4));
  const tab = await openTab(browser);
  await tab.evaluate(() => window.harness.breakDtls());
  expect(await tab.evaluate((code) => window.harness.join(code), roomCode)).toMatchObject({ ok: true });
  await tab.waitForFunction(() => window.harness.names().length > 0, null, { timeout: 15_000 });
  expect(await eventNames(tab)).toEqual(["connectionFailed ice_failed"]);
  expect(await tab.evaluate(() => window.harness.api.connectionStatus)).toBe("disconnected");
  // The host never saw a connected peer and frees its place.
  expect(await eventNames(host)).toEqual([]);
  expect(await peersOf(host)).toEqual([]);
});

test("the host kicks a client with disconnectPeer", async ({ browser }) => {
  const { host, clients } = await hostAndJoin(browser, 2);
  const [kicked, stays] = clients as [(typeof clients)[number], (typeof clients)[number]];
  await host.evaluate((id) => window.harness.api.peer.disconnectPeer(id), kicked.id);
  await kicked.page.waitForFunction(() => window.harness.names().includes("serverDisconnected"), null, {
    timeout: 2000,
  });
  await waitForPeerCount(stays.page, 1, 2000);
  expect((await eventNames(host)).at(-1)).toBe(`peerDisconnected ${kicked.id}`);
  expect((await eventNames(stays.page)).at(-1)).toBe(`peerDisconnected ${kicked.id}`);
  expect(await peersOf(host)).toEqual([stays.id]);
});
