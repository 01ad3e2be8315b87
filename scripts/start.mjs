// `npm start`: builds, then runs the signaling server and the demo side by side until Ctrl+C,
// SIGTERM or the end of whatever started it; then both stop, with everything they started.
import { execFileSync, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const signalingPort = process.env.PORT ?? "8787";
const demoPort = process.env.DEMO_PORT ?? "5173";
// Vite's own entry, run by this Node: `npx vite` would put an npx process between us and Vite,
// and a signal to npx does not reach the server it started.
const require = createRequire(import.meta.url);
const viteBin = binOf("vite", "vite");

function binOf(packageName, command) {
  const manifest = require.resolve(`${packageName}/package.json`);
  return join(dirname(manifest), require(manifest).bin[command]);
}

// Built here rather than by `npm run build && node …` in package.json: npm signals the shell it
// runs a script in, and a shell running a list of commands does not pass the signal on.
execFileSync(process.execPath, [binOf("typescript", "tsc"), "-b"], { stdio: "inherit" });

const children = [
  spawn(process.execPath, ["signaling-server/dist/main.js"], {
    stdio: "inherit",
    // A development server stops at once: draining (docs/DEPLOYING.md) is for deployments.
    env: { DRAIN_TIMEOUT_MS: "0", ...process.env, PORT: signalingPort },
  }),
  spawn(
    process.execPath,
    [viteBin, "--config", "apps/lobby-demo/vite.config.ts", "--port", demoPort, "--strictPort", "--host"],
    {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, VITE_SIGNALING_PORT: signalingPort },
    },
  ),
];

console.log(`\n  Starwire demo:     http://localhost:${demoPort}/`);
console.log(`  Signaling server:  http://localhost:${signalingPort}/health\n`);

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  // A child that does not stop in time is made to.
  const force = setTimeout(() => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }, 5000);
  force.unref();
}
for (const child of children) child.on("exit", (code) => stop(code ?? 1));
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => stop());
// Whatever started us (npm, a shell, a process manager) is gone without a signal reaching us: stop.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop();
}, 500).unref();
