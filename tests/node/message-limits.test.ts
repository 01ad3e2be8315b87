// The receive limit and fragment checks over real WebRTC (SECURITY.md, "Limits"; WIRE.md,
// "Fragments"): a reliable message larger than the host accepts, or fragments that break the
// rules, end that client's connection for good, and the host goes on serving the others.
import { MultiplayerAPI } from "starwire/node";
import { expect, it } from "vitest";
import { Game, hostOn, joinOn, loopbackPeer, recordEvents, startSignaling, until } from "./helpers.js";
import { dropped, MiB, peerLog, rawClient, varint } from "./raw-client.js";

/** What a peer with default WebRTCPeerOptions accepts, reassembled: 1 MiB + 1 KiB. */
const DEFAULT_LIMIT = MiB + 1024;
const FIRST = 0x05;
const MORE = 0x0d;
const CHUNK = 16 * 1024;

/** The honest client still reaches the host, and the host counts only it. */
async function honestStillServed(
  host: Awaited<ReturnType<typeof hostOn>>,
  honest: Awaited<ReturnType<typeof joinOn>>,
  value: number,
) {
  honest.game.rpcId(1, "hello", value);
  await until(
    () => host.game.calls.some(([m, from, v]) => m === "hello" && from === honest.id && v === value),
    5000,
    `hello ${value} from the honest client`,
  );
  expect(host.api.getPeers()).toEqual([honest.id]);
}

it("a reliable message over the host's default receive limit drops its sender; one at the limit arrives", async () => {
  const signaling = await startSignaling();
  const host = await hostOn(signaling.url);
  const hostLog = peerLog(host.api);
  const honest = await joinOn(signaling.url, host.roomCode);
  // A client that lets itself send (and would accept) far more than the host.
  const api = new MultiplayerAPI();
  api.maxMessageBytes = 8 * MiB;
  const log = recordEvents(api);
  const peer = loopbackPeer(signaling.url, { maxMessageBytes: 8 * MiB });
  api.peer = peer;
  api.root.addChild(new Game(api));
  try {
    await peer.createClient(host.roomCode);
    await api.whenConnected();
    await until(() => host.api.getPeers().length === 2, 10_000, "both clients in the game");
    const received: number[] = [];

    host.api.on("peerPacket", (from, data) => {
      if (from === peer.uniqueId) received.push(data.length);
    });

    // RAW packets are [3][payload]: this one is exactly the limit, reassembled. (To the host
    // itself: a packet for everyone would go as a relay, 6 bytes longer.)
    api.sendBytes(new Uint8Array(DEFAULT_LIMIT - 1), 1);
    await until(
      () => received.length > 0 || !host.api.getPeers().includes(peer.uniqueId),
      10_000,
      "the message at the limit",
    );
    expect(received).toEqual([DEFAULT_LIMIT - 1]);

    // One byte more.
    api.sendBytes(new Uint8Array(DEFAULT_LIMIT), 1);
    const about = await dropped(host.api, hostLog, peer.uniqueId, "the oversized sender dropped");
    expect(about).toEqual([`peerConnected ${peer.uniqueId}`, `peerDisconnected ${peer.uniqueId}`]);
    expect(received).toEqual([DEFAULT_LIMIT - 1]);
    await honestStillServed(host, honest, 1);
    // Its own side learns that the game is over for it.
    await until(() => log.includes("serverDisconnected"), 20_000, "the dropped client told");
  } finally {
    api.peer = null;
    honest.api.peer = null;
    host.api.peer = null;
    await signaling.close();
  }
}, 60_000);

/** Pieces no Starwire peer sends, each breaking one rule of WIRE.md's "Fragments". */
const BROKEN: Array<[string, Uint8Array[]]> = [
  ["a continuation without a first piece", [Uint8Array.of(MORE, 1, 2, 3)]],
  [
    "a first piece announcing more than the receive limit",
    [Uint8Array.of(FIRST, ...varint(DEFAULT_LIMIT + 1), ...new Uint8Array(CHUNK - 4))],
  ],
  ["a first piece with a truncated length", [Uint8Array.of(FIRST, 0x80)]],
  ["a fragmented message that fits one piece", [Uint8Array.of(FIRST, 4, 3, 1, 2, 3)]],
  [
    "a whole message in the middle of a fragmented one",
    [Uint8Array.of(FIRST, ...varint(40_000), 3, ...new Uint8Array(CHUNK - 4)), Uint8Array.of(3, 1, 2, 3)],
  ],
  [
    "a new first piece before the last message ended",
    [
      Uint8Array.of(FIRST, ...varint(40_000), 3, ...new Uint8Array(CHUNK - 4)),
      Uint8Array.of(FIRST, ...varint(40_000), 3, ...new Uint8Array(CHUNK - 4)),
    ],
  ],
  [
    "pieces beyond the announced length",
    [
      Uint8Array.of(FIRST, ...varint(20_000), 3, ...new Uint8Array(CHUNK - 4)),
      Uint8Array.of(MORE, ...new Uint8Array(CHUNK - 1)),
    ],
  ],
];

it("fragments that break the rules end the sender's connection; well-formed ones sent the same way arrive", async () => {
  const signaling = await startSignaling();
  const host = await hostOn(signaling.url);
  const hostLog = peerLog(host.api);
  const honest = await joinOn(signaling.url, host.roomCode);
  const packets: Array<[number, Uint8Array]> = [];
  host.api.on("peerPacket", (from, data) => packets.push([from, data]));
  const clients: ReturnType<typeof rawClient>[] = [];
  const join = async () => {
    const client = rawClient(signaling.url);
    clients.push(client);
    await client.peer.createClient(host.roomCode);
    await until(
      () => host.api.getPeers().includes(client.peer.uniqueId),
      10_000,
      "the raw client in the game",
    );
    return client;
  };
  try {
    // Control: a 40,000-byte RAW packet in three pieces, built by hand as WIRE.md describes them.
    const payload = Uint8Array.from({ length: 39_999 }, (_, i) => i % 251);
    const whole = Uint8Array.of(3, ...payload);
    const header = [FIRST, ...varint(whole.length)];
    const firstBody = CHUNK - header.length;
    const pieces = [Uint8Array.of(...header, ...whole.subarray(0, firstBody))];
    for (let offset = firstBody; offset < whole.length; offset += CHUNK - 1)
      pieces.push(Uint8Array.of(MORE, ...whole.subarray(offset, offset + CHUNK - 1)));
    expect(pieces.map((piece) => piece.length <= CHUNK)).toEqual([true, true, true]);
    const control = await join();
    for (const piece of pieces) control.reliable().send(piece as Uint8Array<ArrayBuffer>);
    await until(
      () =>
        packets.some(([from]) => from === control.peer.uniqueId) ||
        !host.api.getPeers().includes(control.peer.uniqueId),
      10_000,
      "the hand-built fragmented message",
    );
    expect(packets.filter(([from]) => from === control.peer.uniqueId).map(([, data]) => data)).toEqual([
      payload,
    ]);
    // (The host now acknowledges one message more than the client's session sent, which that
    // session takes for a broken host: the control client is done either way.)
    control.peer.close();
    await dropped(host.api, hostLog, control.peer.uniqueId, "the control client gone");

    let value = 0;
    for (const [rule, broken] of BROKEN) {
      const client = await join();
      for (const piece of broken) client.reliable().send(piece as Uint8Array<ArrayBuffer>);
      const about = await dropped(host.api, hostLog, client.peer.uniqueId, `dropped for ${rule}`);
      expect(about, rule).toEqual([
        `peerConnected ${client.peer.uniqueId}`,
        `peerDisconnected ${client.peer.uniqueId}`,
      ]);
      expect(
        packets.filter(([from]) => from === client.peer.uniqueId),
        rule,
      ).toEqual([]);
      await honestStillServed(host, honest, ++value);
    }
  } finally {
    for (const client of clients) client.peer.close();
    honest.api.peer = null;
    host.api.peer = null;
    await signaling.close();
  }
}, 120_000);
