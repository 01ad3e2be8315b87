// `npm start`: the signaling server and the demo, side by side, until Ctrl+C.
import { spawn } from "node:child_process";

const signalingPort = process.env.PORT ?? "8787";
const demoPort = process.env.DEMO_PORT ?? "5173";

const children = [
  spawn(process.execPath, ["signaling-server/dist/main.js"], {
    stdio: "inherit",
    env: { ...process.env, PORT: signalingPort },
  }),
  spawn(
    "npx",
    ["vite", "--config", "apps/lobby-demo/vite.config.ts", "--port", demoPort, "--strictPort", "--host"],
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
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  process.exitCode = code;
}
for (const child of children) child.on("exit", (code) => stop(code ?? 1));
process.on("SIGINT", () => stop());
process.on("SIGTERM", () => stop());
