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
    // 30 Hz × 3 KB = 720 kbit/s of state through a 600 kbit/s link, for 8 s.
    const staleness = await Promise.all([
      host.evaluate(async () => {
        const filler = new Uint8Array(3000);
        const end = performance.now() + 8000;
        while (performance.now() < end) {
          window.harness.arena.rpc("state", performance.timeOrigin + performance.now(), filler);
          await new Promise((resolve) => setTimeout(resolve, 1000 / 30));
        }
      }),
      client.evaluate(async () => {
        const samples: number[] = [];
        const end = performance.now() + 8000;
        while (performance.now() < end) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          const newest = window.harness.arena.newestState;
          samples.push(newest ? performance.timeOrigin + performance.now() - newest : Number.NaN);
        }
        return samples;
      }),
    ]).then(([, samples]) => samples);
    const dropped = await host.evaluate(
      () =>
        (window.harness.api.peer as unknown as { debugStats(): { unreliableDropped: number } }).debugStats()
          .unreliableDropped,
    );
    console.log("staleness (ms)", staleness.map(Math.round).join(" "), "dropped", dropped);
    const lastSeconds = staleness.slice(-12); // the last 3 s
    expect(Math.max(...lastSeconds)).toBeLessThan(1500);
    expect(dropped).toBeGreaterThan(0);
  } finally {
    execFileSync("tc", ["qdisc", "del", "dev", "lo", "root"]);
  }
});
