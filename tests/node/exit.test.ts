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
    // The child prints "done" right after closing and then what is still open; a hang is a failure.
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
  // Nothing holds the event loop once the peers are closed: not a timer (of any length), socket
  // or handle. Node lists what would keep it alive; the list must be empty.
  expect(output.trim().split("\n").slice(-2)).toEqual(["done to host to client", "open []"]);
  expect(exit).toBe(0);
}, 20_000);
