// `npm start` runs the signaling server and the demo's dev server; stopped by Ctrl+C or by a
// process manager's SIGTERM, it stops both, so the next start finds its ports free.
import { type ChildProcess, spawn } from "node:child_process";
import { expect, it } from "vitest";

const reachable = (url: string) =>
  fetch(url).then(
    (response) => response.ok,
    () => false,
  );

/** Waits until `url` answers, failing at once if `process` exits first. */
async function waitUp(url: string, process: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await reachable(url))) {
    if (process.exitCode !== null || process.signalCode !== null)
      throw new Error(`exited (${process.exitCode ?? process.signalCode}) before ${url} answered`);
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

for (const [command, signal, signalingPort, demoPort] of [
  ["node scripts/start.mjs", "SIGTERM", "18811", "18812"],
  ["node scripts/start.mjs", "SIGINT", "18813", "18814"],
  // A process manager stops `npm start` itself: npm passes nothing on to the script's shell.
  ["npm start", "SIGTERM", "18815", "18816"],
] as const) {
  it(`${command} stops the signaling server and the demo on ${signal}`, async () => {
    const health = `http://127.0.0.1:${signalingPort}/health`;
    const demo = `http://127.0.0.1:${demoPort}/`;
    const [program, ...args] = command.split(" ") as [string, ...string[]];
    const start = spawn(program === "node" ? process.execPath : program, args, {
      env: { ...process.env, PORT: signalingPort, DEMO_PORT: demoPort, LOG_LEVEL: "silent" },
      stdio: "ignore",
    });
    const exited = new Promise<number | string>((resolve) =>
      start.on("exit", (code, killedBy) => resolve(code ?? killedBy ?? "?")),
    );
    try {
      await waitUp(health, start, 60_000);
      await waitUp(demo, start, 30_000);
      start.kill(signal);
      const timeout = new Promise<string>((resolve) =>
        setTimeout(() => resolve("still running after 10 s"), 10_000),
      );
      expect(await Promise.race([exited, timeout])).not.toBe("still running after 10 s");
      // Everything it started stops with it: both ports are free again.
      await untilRefused(health, 10_000);
      await untilRefused(demo, 10_000);
    } finally {
      if (start.exitCode === null && start.signalCode === null) start.kill("SIGKILL");
    }
  }, 120_000);
}

/** Waits until nothing answers at `url` any more; fails if something still does after `timeoutMs`. */
async function untilRefused(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (await reachable(url)) {
    if (Date.now() > deadline) throw new Error(`${url} still answers ${timeoutMs} ms after the stop`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
