import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import { startSignaling } from "./helpers.js";

let stopSignaling: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stopSignaling?.();
});

it("a Node process that used Starwire exits by itself once its peers are closed", async () => {
  const signaling = await startSignaling();
  stopSignaling = signaling.close;
  const script = fileURLToPath(new URL("./fixtures/connect-and-leave.mjs", import.meta.url));
  const child = spawn(process.execPath, [script], { env: { ...process.env, SIGNALING_URL: signaling.url } });
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  let closedAt = 0;
  child.stdout.on("data", () => {
    closedAt ||= Date.now();
  });
  const exit = await new Promise<number | string>((resolve) => {
    // The child prints "done" right after closing; from then on it must need no more than a moment.
    const hung = setInterval(() => {
      if (!closedAt || Date.now() - closedAt < 4000) return;
      child.kill("SIGKILL");
      resolve("still running 4 s after closing: a handle or timer was left open");
    }, 100);
    child.on("exit", (code) => {
      clearInterval(hung);
      resolve(code ?? -1);
    });
  });
  expect(output.trim().split("\n").at(-1)).toBe("done to host to client");
  expect(exit).toBe(0);
}, 20_000);
