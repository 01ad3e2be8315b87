// A hostile client sends garbage and floods the host while three honest clients play, all over
// real WebRTC. Every piece of garbage is refused for its own reason; a flood is dropped for as long
// as it lasts ("drop") or ends with the flooder's removal ("kick"); honest clients lose nothing.
import { expect, it } from "vitest";
import { hostOn, joinOn, startSignaling, until } from "./helpers.js";

async function gameWithHostile() {
  const signaling = await startSignaling();
  const host = await hostOn(signaling.url);
  const honest = await Promise.all([0, 1, 2].map(() => joinOn(signaling.url, host.roomCode)));
  const hostile = await joinOn(signaling.url, host.roomCode);
  await until(
    () => host.api.getPeers().length === 4 && honest.every((c) => c.api.getPeers().length === 4),
    10_000,
    "everyone joined",
  );
  const fromHostile: Array<{ reason: string; at: number }> = [];
  host.api.on("rejected", (r) => {
    if (r.from === hostile.id) fromHostile.push({ reason: r.reason, at: performance.now() });
  });
  const close = async () => {
    for (const client of [...honest, hostile]) client.api.peer = null;
    host.api.peer = null;
    await signaling.close();
  };
  return { host, honest, hostile, fromHostile, close };
}

it("garbage of every kind is refused for its own reason, and the host keeps serving", async () => {
  const { host, honest, hostile, fromHostile, close } = await gameWithHostile();
  try {
    const path = [...new TextEncoder().encode("/root/zzz")];
    const garbage: Array<[bytes: Uint8Array, reason: string]> = [
      [new Uint8Array(0), "malformed"],
      [Uint8Array.of(0xff, 0xff, 0xff), "malformed"], // unknown command
      [Uint8Array.of(0, 0x7f, 0x7f, 0xc1), "unknown_node"], // a cache id never announced
      [Uint8Array.of(4, 0, 1, 0, 0, 0), "forbidden"], // "add peer" from a client
      [Uint8Array.of(4, 2, 0, 0, 0, 0, 4, 2, 0, 0, 0, 0, 3), "forbidden"], // a relay inside a relay
      [Uint8Array.of(8, 0, path.length, ...path, 0, 0, 0), "unknown_node"], // a node that is not there
      [Uint8Array.of(4, 0x7f), "malformed"], // unknown system message
    ];
    for (const [bytes] of garbage) hostile.peer.send(1, bytes, "reliable", 0);
    await until(() => fromHostile.length === garbage.length, 10_000, "a verdict on every packet");
    // One reliable channel: the verdicts come in the order the packets were sent.
    expect(fromHostile.map((r) => r.reason)).toEqual(garbage.map(([, reason]) => reason));
    expect(host.api.rejectionCount(hostile.id)).toBe(garbage.length);

    for (const client of honest) client.game.rpcId(1, "hello", client.id);
    await until(
      () => honest.every((c) => host.game.calls.some(([m, from]) => m === "hello" && from === c.id)),
      10_000,
      "every honest hello",
    );
    expect(host.game.calls.filter(([, from]) => from === hostile.id)).toEqual([]);
    expect(host.api.getPeers()).toContain(hostile.id);
  } finally {
    await close();
  }
}, 60_000);

it("a flood past the rate limit is dropped for as long as it lasts, and honest clients lose nothing", async () => {
  const { host, honest, hostile, fromHostile, close } = await gameWithHostile();
  try {
    expect(host.api.rateLimits.policy).toBe("drop");
    // The game: the host broadcasts and the honest clients send reliably at 30 Hz for 3 s.
    let round = 0;
    const game = setInterval(() => {
      round++;
      host.game.rpc("shout", `round ${round}`);
      for (const client of honest) client.game.rpcId(1, "hello", round);
    }, 33);
    // The attack, all along: 25,000 packets a second, 40 times the limit.
    const flood = setInterval(() => {
      for (let i = 0; i < 500; i++)
        hostile.api.sendBytes(Uint8Array.of(i & 0xff), 1, { transfer: "unreliable" });
    }, 20);
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    clearInterval(flood);
    clearInterval(game);
    const ended = performance.now();

    await until(
      () =>
        honest.every((c) => c.game.calls.filter(([m]) => m === "shout").length === round) &&
        honest.every(
          (c) => host.game.calls.filter(([m, from]) => m === "hello" && from === c.id).length === round,
        ),
      15_000,
      "every honest message",
    );
    for (const client of honest) {
      const shouts = client.game.calls.filter(([m]) => m === "shout").map(([, , text]) => text);
      expect(shouts).toEqual(Array.from({ length: round }, (_, i) => `round ${i + 1}`));
    }
    // Dropped, not kicked, and dropped all the way through: in every second of the flood.
    expect(host.api.getPeers()).toContain(hostile.id);
    const limited = fromHostile.filter((r) => r.reason === "rate_limited").map((r) => r.at);
    for (let second = 0; second < 3; second++) {
      const from = started + second * 1000;
      const to = Math.min(ended, from + 1000);
      expect(
        limited.some((at) => at >= from && at < to),
        `rate_limited in second ${second + 1}`,
      ).toBe(true);
    }
  } finally {
    await close();
  }
}, 60_000);

it('with policy "kick", the flooding client is removed and the others play on', async () => {
  const { host, honest, hostile, close } = await gameWithHostile();
  try {
    host.api.rateLimits = { ...host.api.rateLimits, policy: "kick" };
    const flood = setInterval(() => {
      for (let i = 0; i < 500; i++)
        hostile.api.sendBytes(Uint8Array.of(i & 0xff), 1, { transfer: "unreliable" });
    }, 20);
    try {
      await until(() => !host.api.getPeers().includes(hostile.id), 10_000, "the flooder removed");
    } finally {
      clearInterval(flood);
    }
    await until(() => hostile.log.includes("serverDisconnected"), 10_000, "the flooder told");
    expect(host.api.getPeers().sort()).toEqual(honest.map((c) => c.id).sort());
    host.game.rpc("shout", "still here");
    await until(
      () => honest.every((c) => c.game.calls.some(([m, , text]) => m === "shout" && text === "still here")),
      10_000,
      "the game goes on",
    );
  } finally {
    await close();
  }
}, 60_000);
