// A player refused by one of the signaling server's limits is told so, with when to try again,
// instead of a generic signaling_error (issue 16): the game can say "too many attempts, retry in N s".
import { ConnectionError, MultiplayerAPI, type WebRTCMultiplayerPeer } from "starwire/node";
import { afterEach, expect, it } from "vitest";
import { hostOn, loopbackPeer, recordEvents, startSignaling } from "./helpers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A client's createClient outcome: the ConnectionError it rejected with, and what the API heard. */
async function refusedJoin(url: string, roomCode: string) {
  const api = new MultiplayerAPI();
  const log = recordEvents(api);
  const peer: WebRTCMultiplayerPeer = loopbackPeer(url);
  api.peer = peer;
  cleanups.push(() => {
    api.peer = null;
  });
  const error = await peer.createClient(roomCode).then(
    () => new Error("joined"),
    (failure: unknown) => failure,
  );
  return { error, log };
}

it("the join past JOIN_ATTEMPTS_PER_MINUTE rejects with rate_limited and when to retry", async () => {
  const signaling = await startSignaling({ joinAttemptsPerMinute: 2 });
  cleanups.push(signaling.close);
  const host = await hostOn(signaling.url);
  cleanups.push(() => {
    host.api.peer = null;
  });
  // Two joins from this address are allowed; they need not complete for the limit to count them.
  for (let i = 0; i < 2; i++) {
    const peer = loopbackPeer(signaling.url);
    cleanups.push(() => peer.close());
    await peer.createClient(host.roomCode);
  }
  const { error, log } = await refusedJoin(signaling.url, host.roomCode);
  expect(error).toBeInstanceOf(ConnectionError);
  expect(error).toMatchObject({
    reason: "rate_limited",
    signalingCode: "rate_limited",
    retryAfterSeconds: 30,
  });
  expect(log).toEqual(["connectionFailed rate_limited"]);
});

it("a socket past MAX_SOCKETS_PER_ADDRESS rejects with rate_limited at once, not after a timeout", async () => {
  const signaling = await startSignaling({ maxSocketsPerAddress: 1 });
  cleanups.push(signaling.close);
  const host = await hostOn(signaling.url);
  cleanups.push(() => {
    host.api.peer = null;
  });
  const { error, log } = await refusedJoin(signaling.url, host.roomCode);
  expect(error).toMatchObject({ reason: "rate_limited", signalingCode: "rate_limited" });
  expect((error as Error).message).toMatch(/^too many connections from your address/);
  expect(log).toEqual(["connectionFailed rate_limited"]);
});
