// Under a bandwidth cap, unreliable state must not queue up: the newest state a client holds
// stays fresh instead of falling further behind. Needs the e2e network namespace: the cap is put
// on its loopback with tc (playwright.config.ts only runs this spec there).
import { execFileSync } from "node:child_process";
import { expect, hostAndJoin, test } from "./fixtures.js";

const CAP = [
  "qdisc",
  "add",
  "dev",
  "lo",
  "root",
  "tbf",
  "rate",
  "600kbit",
  "burst",
  "16kbit",
  "latency",
  "100ms",
];

test("state older than a moment is dropped, not queued, when the link is too slow", async ({ browser }) => {
  const { host, clients } = await hostAndJoin(browser, 1);
  const client = clients[0]!.page;
  execFileSync("tc", CAP);
  try {
    // 30 Hz × 3 KB = 720 kbit/s of state through a 600 kbit/s link, for 8 s. Each state carries
    // its sequence number; both tabs read one browser's clock (timeOrigin + now).
    const [sent, samples] = await Promise.all([
      host.evaluate(async () => {
        const filler = new Uint8Array(3000);
        const sentAt: number[] = [];
        const end = performance.now() + 8000;
        while (performance.now() < end) {
          sentAt.push(performance.timeOrigin + performance.now());
          window.harness.arena.rpc("state", sentAt.length, filler);
          await new Promise((resolve) => setTimeout(resolve, 1000 / 30));
        }
        return sentAt;
      }),
      client.evaluate(async () => {
        const samples: Array<[at: number, newest: number]> = [];
        const end = performance.now() + 8000;
        while (performance.now() < end) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          samples.push([performance.timeOrigin + performance.now(), window.harness.arena.newestState]);
        }
        return samples;
      }),
    ]);
    const dropped = await host.evaluate(
      () =>
        (window.harness.api.peer as unknown as { debugStats(): { unreliableDropped: number } }).debugStats()
          .unreliableDropped,
    );
    // How far behind the client is at each sample: states sent by then that are newer than its newest.
    const behind = samples.map(([at, newest]) => sent.filter((t) => t <= at).length - newest);
    const staleness = samples.map(([at, newest]) => (newest > 0 ? at - sent[newest - 1]! : Number.NaN));
    console.log("behind (states)", behind.join(" "));
    console.log(
      "staleness (ms)",
      staleness.map(Math.round).join(" "),
      "sent",
      sent.length,
      "dropped",
      dropped,
    );
    // Queued, the backlog would grow by 120 kbit/s, 5 states a second: 25 to 40 behind in the last
    // 3 s. Dropped, the client stays behind only by what the channel's buffer (16 KiB, ~5 states),
    // the link's 100 ms queue (~3 states) and the states in flight hold, however long the overload
    // lasts: 5 to 10 in our runs.
    const lastSeconds = behind.slice(-12);
    expect(Math.max(...lastSeconds)).toBeLessThanOrEqual(15);
    // A sixth of the states cannot fit the link: they are dropped at the sender, not sent late.
    expect(dropped).toBeGreaterThanOrEqual(sent.length / 10);
  } finally {
    execFileSync("tc", ["qdisc", "del", "dev", "lo", "root"]);
  }
});
