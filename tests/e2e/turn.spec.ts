// Relay-only games through a real coturn on loopback (started by this spec inside the run's
// namespace), with TURN credentials minted by the signaling server (TURN_URLS, TURN_SECRET).
import type { ChildProcess } from "node:child_process";
import { type Browser, expect, type Page, test } from "@playwright/test";
import { MultiplayerAPI, WebRTCMultiplayerPeer } from "starwire/node";
import { startSignaling } from "../node/helpers.js";
import { type RecordingWebRTC, recordingWebRTC, selectedPair } from "../node/recording-webrtc.js";
import { startTurnServer, type TurnServer } from "../node/turn-server.js";
import { harnessUrl, killSignalingServer, startSignalingServer, waitForPeerCount } from "./fixtures.js";
import { NodeArena } from "./node-arena.js";

const PORT = 18792;
const signal = `http://127.0.0.1:${PORT}`;

let turn: TurnServer;
let signaling: ChildProcess;
test.beforeAll(async () => {
  turn = await startTurnServer();
  signaling = await startSignalingServer(PORT, {
    TURN_URLS: turn.urls.join(","),
    TURN_SECRET: turn.secret,
    TURN_TTL_SECONDS: "3600",
  });
});
test.afterAll(async () => {
  if (signaling) await killSignalingServer(signaling);
  await turn?.stop();
});

async function relayTab(browser: Browser, signalingUrl = signal): Promise<Page> {
  const context = await browser.newContext({ permissions: ["microphone"] });
  const page = await context.newPage();
  await page.goto(harnessUrl(signalingUrl));
  await page.waitForFunction(() => window.harness !== undefined);
  return page;
}

/** Joins relay-only and waits for the outcome: connected, or the failure with its reason. */
async function joinRelayOnly(page: Page, roomCode: string, iceServers?: unknown[]) {
  const result = await page.evaluate(
    ([code, servers]) =>
      window.harness.join(code, {
        iceTransportPolicy: "relay",
        connectTimeoutMs: 60_000,
        ...(servers ? { iceServers: servers as RTCIceServer[] } : {}),
      }),
    [roomCode, iceServers] as const,
  );
  if (!result.ok) throw new Error(`the signaling server refused the join: ${result.reason}`);
  await page.waitForFunction(() =>
    window.harness.events.some((e) => e.name === "connectedToServer" || e.name === "connectionFailed"),
  );
  return page.evaluate(() => window.harness.events.find((e) => e.name === "connectionFailed")?.args ?? null);
}

test("three Chromium tabs and a Node client, all relay-only through coturn", async ({ browser }) => {
  const host = await relayTab(browser);
  const roomCode = await host.evaluate(() => window.harness.host(8, { iceTransportPolicy: "relay" }));
  const tabs = [await relayTab(browser), await relayTab(browser)];
  for (const [i, tab] of tabs.entries()) {
    expect(await joinRelayOnly(tab, roomCode)).toBeNull();
    await waitForPeerCount(host, i + 1);
  }

  const api = new MultiplayerAPI();
  const arena = api.root.addChild(new NodeArena(api));
  const recorder: RecordingWebRTC = recordingWebRTC();
  const peer = new WebRTCMultiplayerPeer({
    signalingUrl: signal,
    bindAddress: "127.0.0.1",
    iceTransportPolicy: "relay",
    channels: ["unreliable_ordered"],
    wrtc: recorder.wrtc,
  });
  api.peer = peer;
  try {
    await peer.createClient(roomCode);
    await api.whenConnected(); // or rejects with the join's failure
    for (const page of [host, ...tabs]) await waitForPeerCount(page, 3);
    await expect.poll(() => api.getPeers().length).toBe(3);
    const nodeId = api.uniqueId;
    const [ann, ben] = tabs as [Page, Page];
    const annId = await ann.evaluate(() => window.harness.api.uniqueId);

    // Tab → host, host → everyone, Node → tab through the host, tab → Node through the host.
    await ann.evaluate(() => {
      for (let seq = 0; seq < 100; seq++) window.harness.arena.rpcId(1, "count", seq);
    });
    await host.waitForFunction(() => window.harness.arena.counted.length === 100);
    expect(await host.evaluate(() => [...window.harness.arena.countSenders])).toEqual([annId]);
    await host.evaluate(() => window.harness.arena.rpc("cheer"));
    arena.rpcId(annId, "whisper", "from Node");
    await ben.evaluate((id) => window.harness.arena.rpcId(id, "whisper", "from a tab"), nodeId);
    for (const tab of tabs) await tab.waitForFunction(() => window.harness.arena.cheers.includes(1));
    await ann.waitForFunction(() => window.harness.arena.heard.length === 1);
    expect(await ann.evaluate(() => window.harness.arena.heard)).toEqual([[nodeId, "from Node"]]);
    const benId = await ben.evaluate(() => window.harness.api.uniqueId);
    await expect
      .poll(() => arena.log.filter(([m]) => m === "whisper"))
      .toEqual([["whisper", benId, "from a tab"]]);
    await expect.poll(() => arena.log.some(([m]) => m === "cheer")).toBe(true);

    // Unreliable state from the host, 20 times a second, reaches everyone.
    const sentAt = await host.evaluate(async () => {
      const filler = new Uint8Array(3000);
      let last = 0;
      for (let i = 0; i < 10; i++) {
        last = Date.now();
        window.harness.arena.rpc("state", last, filler);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return last;
    });
    for (const tab of tabs) await tab.waitForFunction((t) => window.harness.arena.newestState === t, sentAt);
    await expect.poll(() => arena.newestState).toBe(sentAt);

    // Every connection, at both ends, is relayed by coturn; no side was offered any other candidate.
    for (const page of [host, ...tabs]) {
      const pairs = await page.evaluate(() => window.harness.selectedPairs());
      expect(pairs).toHaveLength(page === host ? 3 : 1);
      for (const pair of pairs) expect(pair).toEqual({ local: "relay", remote: "relay" });
      expect(new Set(await page.evaluate(() => window.harness.candidateTypes()))).toEqual(new Set(["relay"]));
    }
    const nodeConnections = recorder.open();
    expect(nodeConnections).toHaveLength(1);
    expect(await selectedPair(nodeConnections[0]!.pc)).toEqual({ local: "relay", remote: "relay" });
    // The Node client is the DTLS client: its offer claimed it and Chromium answered passive (a
    // relaying libdatachannel DTLS server can deadlock: README, "Relay-only in Node").
    expect(nodeConnections[0]!.remoteSdp).toContain("a=setup:passive");
  } finally {
    api.peer = null;
  }
});

test("past the first credential's lifetime the relay goes on, and a reconnect relays with a fresh credential", async ({
  browser,
}) => {
  // TURN_TTL_SECONDS of 2, fresh credentials every 0.67 s: below the server's minimum of 60, so an
  // in-process server made for this test.
  const shortLived = await startSignaling({
    turnUrls: turn.urls,
    turnSecret: turn.secret,
    turnTtlSeconds: 2,
  });
  const host = await relayTab(browser, shortLived.url);
  const api = new MultiplayerAPI();
  const arena = api.root.addChild(new NodeArena(api));
  const log: string[] = [];
  for (const name of [
    "peerReconnecting",
    "peerReconnected",
    "serverDisconnected",
    "connectionFailed",
  ] as const)
    api.on(name, (...args: unknown[]) => log.push([name, ...args.slice(0, 1)].join(" ")));
  const recorder = recordingWebRTC();
  try {
    const roomCode = await host.evaluate(() => window.harness.host(8, { iceTransportPolicy: "relay" }));
    const peer = new WebRTCMultiplayerPeer({
      signalingUrl: shortLived.url,
      bindAddress: "127.0.0.1",
      iceTransportPolicy: "relay",
      channels: ["unreliable_ordered"],
      wrtc: recorder.wrtc,
    });
    api.peer = peer;
    await peer.createClient(roomCode);
    await api.whenConnected(); // or rejects with the join's failure
    const first = recorder.connections.at(-1)!;
    const expiry = Number(/^(\d+)-/.exec(first.config.iceServers![0]!.username!)![1]);

    // coturn checks the expiry when a relay is allocated, not while it is used.
    await expect.poll(() => Date.now() > expiry * 1000 + 1000, { timeout: 10_000 }).toBe(true);
    arena.rpcId(1, "count", 1);
    await host.waitForFunction(() => window.harness.arena.counted.length === 1);

    // The connection dies (as a network change would kill it): the client reconnects under its id.
    first.pc.close();
    await expect
      .poll(() => log.some((line) => line === "peerReconnected 1" || !line.startsWith("peerReconnecting")), {
        timeout: 20_000,
      })
      .toBe(true);
    expect(log).toEqual(["peerReconnecting 1", "peerReconnected 1"]);
    const second = recorder.open();
    expect(second).toHaveLength(1);
    expect(Number(/^(\d+)-/.exec(second[0]!.config.iceServers![0]!.username!)![1])).toBeGreaterThan(expiry);
    expect(await selectedPair(second[0]!.pc)).toEqual({ local: "relay", remote: "relay" });
    // The host allocated a new relay too, which coturn allows only with an unexpired credential.
    const hostPairs = await host.evaluate(() => window.harness.selectedPairs());
    expect(hostPairs).toEqual([{ local: "relay", remote: "relay" }]);

    arena.rpcId(1, "count", 2);
    await host.waitForFunction(() => window.harness.arena.counted.length === 2);
  } finally {
    api.peer = null;
    await host.context().close();
    await shortLived.close();
  }
});

test("a wrong and an expired TURN credential fail a Chromium join with turn_auth_failed", async ({
  browser,
}) => {
  const host = await relayTab(browser);
  const roomCode = await host.evaluate(() => window.harness.host(8, { iceTransportPolicy: "relay" }));

  const wrong = await joinRelayOnly(await relayTab(browser), roomCode, [
    turn.credentials(3600, "test.2", "not-the-turn-secret-0123456789"),
  ]);
  expect(wrong?.[0]).toBe("turn_auth_failed");
  expect(wrong?.[1]).toMatch(
    /^the TURN server refused this peer's credentials \(401 from turn:127\.0\.0\.1:\d+/,
  );
  expect(wrong?.[1]).not.toContain("expired");

  const expired = await joinRelayOnly(await relayTab(browser), roomCode, [turn.credentials(-60)]);
  expect(expired?.[0]).toBe("turn_auth_failed");
  expect(expired?.[1]).toMatch(/\(401 from turn:.*\); its credential expired at \d{4}-\d\d-\d\dT/);
  // The host never heard of either.
  expect(await host.evaluate(() => window.harness.names())).toEqual([]);
});
