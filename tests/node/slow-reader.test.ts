// A client that stops reading (SECURITY.md, "Limits": the reliable send queue and the reliable
// messages kept until acknowledged, 64 MiB each per peer). The client runs in its own process,
// stopped with SIGSTOP: it reads nothing at all, not even at the WebRTC layer, and acknowledges
// nothing. The host sends the same 1 MiB updates to it and to an honest client in this process;
// the stopped one is dropped for good as soon as more than 64 MiB would wait for it, while the
// honest one, which reads and acknowledges, gets every update and plays on.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import { hostOn, joinOn, startSignaling, until } from "./helpers.js";
import { MiB, peerLog } from "./raw-client.js";

let child: ChildProcess | undefined;
afterEach(() => {
  // SIGKILL ends a stopped process too.
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = undefined;
});

const LIMIT = 64 * MiB;
/** Each update's packet: RAW [3] + payload. 64 of them fit in the limit with room to spare, 65 do not. */
const PACKET = MiB - 1024;

it("a client that stops reading is dropped once over 64 MiB wait for it; the host keeps serving the others", async () => {
  const signaling = await startSignaling();
  const host = await hostOn(signaling.url);
  const honest = await joinOn(signaling.url, host.roomCode);
  const script = fileURLToPath(new URL("./fixtures/stoppable-client.mjs", import.meta.url));
  const reader = spawn(process.execPath, [script], {
    env: { ...process.env, SIGNALING_URL: signaling.url, ROOM_CODE: host.roomCode },
  });
  child = reader;
  let output = "";
  reader.stdout.on("data", (chunk) => {
    output += chunk;
  });
  reader.stderr.on("data", (chunk) => {
    output += chunk;
  });
  try {
    await until(
      () => /joined (\d+)/.test(output) || reader.exitCode !== null,
      15_000,
      "the child in the game",
    );
    const readerId = Number(/joined (\d+)/.exec(output)?.[1]);
    expect(readerId, output).toBeGreaterThan(1);
    await until(() => host.api.getPeers().length === 2, 10_000, "both clients on the host");
    const hostLog = peerLog(host.api);
    let honestReceived = 0;
    honest.api.on("peerPacket", (from, data) => {
      if (from === 1 && data.length === PACKET - 1) honestReceived++;
    });

    reader.kill("SIGSTOP");
    // The game sends an update to everyone every 20 ms at most, and no faster than the honest
    // client takes them in, so what waits for the honest client stays far below the limit.
    let sent = 0;
    let droppedAt = 0;
    while (droppedAt === 0 && sent < 80) {
      host.api.sendBytes(new Uint8Array(PACKET - 1));
      sent++;
      if (!host.api.getPeers().includes(readerId)) droppedAt = sent;
      await new Promise((resolve) => setTimeout(resolve, 20));
      await until(
        () => honestReceived === sent || !host.api.getPeers().includes(honest.id),
        10_000,
        `update ${sent} at the honest client`,
      );
    }
    // Dropped by the update that would have passed the 64 MiB kept for it, not one before or after.
    expect(Math.floor(LIMIT / PACKET) + 1).toBe(65);
    expect(droppedAt).toBe(65);
    const about = hostLog.filter((line) => line.endsWith(` ${readerId}`));
    expect(about.at(-1)).toBe(`peerDisconnected ${readerId}`);
    expect(about).not.toContain(`peerReconnected ${readerId}`);

    // The honest client got every update, is still in, and the host let go of the 64 MiB.
    expect(honestReceived).toBe(sent);
    expect(hostLog.filter((line) => line.endsWith(` ${honest.id}`))).toEqual([]);
    await until(() => host.peer.debugStats().unacknowledgedBytes < 4 * MiB, 10_000, "the host's memory back");
    honest.game.rpcId(1, "hello", 1);
    host.game.rpc("shout", "still here");
    await until(
      () => host.game.calls.length > 0 && honest.game.calls.some(([m]) => m === "shout"),
      5000,
      "a call each way",
    );
    expect(host.game.calls).toEqual([["hello", honest.id, 1]]);
    expect(host.api.getPeers()).toEqual([honest.id]);

    // Woken up, the reader learns that it is out of the game.
    reader.kill("SIGCONT");
    await until(
      () => /serverDisconnected|connectionFailed/.test(output) || reader.exitCode !== null,
      20_000,
      "the reader told it is out",
    );
    expect(output).toContain("serverDisconnected");
  } finally {
    reader.kill("SIGCONT");
    honest.api.peer = null;
    host.api.peer = null;
    await signaling.close();
  }
}, 90_000);
