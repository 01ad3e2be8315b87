// A hostile client floods the host and sends garbage while three honest clients play.
import { expect, it } from "vitest";
import { hostOn, joinOn, startSignaling, until } from "./helpers.js";

it("honest clients keep playing while a hostile one floods and sends garbage; the host stays up", async () => {
  const signaling = await startSignaling();
  const host = await hostOn(signaling.url);
  const honest = await Promise.all([0, 1, 2].map(() => joinOn(signaling.url, host.roomCode)));
  const hostile = await joinOn(signaling.url, host.roomCode);
  try {
    await until(
      () => host.api.getPeers().length === 4 && honest.every((c) => c.api.getPeers().length === 4),
      10_000,
      "everyone joined",
    );
    const rejected: string[] = [];
    host.api.on("rejected", (r) => rejected.push(r.reason));
    const kicked = hostile.api.next("serverDisconnected");
    host.api.rateLimits = { ...host.api.rateLimits, policy: "kick" };

    // The game: the host broadcasts state at 30 Hz for 3 s; honest clients send input at 30 Hz.
    let tick = 0;
    const game = setInterval(() => {
      host.game.rpc("tick", ++tick);
      for (const client of honest) client.game.rpcId(1, "hello", tick);
    }, 33);
    // The attack, meanwhile: garbage of every kind, then a flood far past the rate limit.
    const garbage = [
      new Uint8Array(0),
      Uint8Array.of(0xff, 0xff, 0xff),
      Uint8Array.of(0, 0x7f, 0x7f, 0xc1),
      Uint8Array.of(4, 0, 1, 0, 0, 0), // "add peer" from a client
      Uint8Array.of(4, 2, 0, 0, 0, 0, 4, 2, 0, 0, 0, 0, 3), // nested relay
      Uint8Array.of(8, 0, 9, 0x2f, 0x72, 0x6f, 0x6f, 0x74, 0x2f, 0x7a, 0x7a, 0x7a, 0, 0, 0), // a node that is not there
    ];
    for (const bytes of garbage) hostile.peer.send(1, bytes, "reliable", 0);
    const flood = setInterval(() => {
      for (let i = 0; i < 500; i++) hostile.peer.send(1, Uint8Array.of(3, i & 0xff), "unreliable", 0);
    }, 20);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    clearInterval(game);
    clearInterval(flood);
    await kicked;

    await until(
      () => honest.every((c) => c.game.calls.filter(([m]) => m === "tick").length > 0),
      5000,
      "ticks",
    );
    const sentTicks = tick;
    for (const client of honest) {
      const ticks = client.game.calls.filter(([m]) => m === "tick").length;
      expect(ticks / sentTicks).toBeGreaterThan(0.8); // unreliable on loopback: nearly all arrive
    }
    const hellos = host.game.calls.filter(([m]) => m === "hello");
    for (const client of honest) expect(hellos.some(([, sender]) => sender === client.id)).toBe(true);
    expect(hellos.some(([, sender]) => sender === hostile.id)).toBe(false);
    expect([...new Set(rejected)]).toEqual(
      expect.arrayContaining(["malformed", "forbidden", "rate_limited"]),
    );
    expect(host.api.getPeers().sort()).toEqual(honest.map((c) => c.id).sort());
    expect(host.api.connectionStatus).toBe("connected");
  } finally {
    for (const client of [...honest, hostile]) client.api.peer = null;
    host.api.peer = null;
    await signaling.close();
  }
}, 30_000);
