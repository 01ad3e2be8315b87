import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "../../tests/chromium.js";

/** Ports of the servers the benchmark run starts (inside its own network namespace on Linux). */
export const benchPorts = { signaling: 28787, page: 25175 } as const;

export default defineConfig({
  testDir: ".",
  testMatch: "*.bench.ts",
  outputDir: "../../test-results/bench",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 300_000,
  reporter: "list",
  use: {
    permissions: ["microphone"],
    launchOptions: chromiumLaunchOptions([
      // Background tabs get their timers throttled; every benchmark tab must run at full speed.
      "--disable-background-timer-throttling",
      "--disable-renderer-backgrounding",
      "--disable-backgrounding-occluded-windows",
    ]),
  },
  webServer: [
    {
      command: "node signaling-server/dist/main.js",
      cwd: "../..",
      env: {
        PORT: String(benchPorts.signaling),
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        // All tabs come from 127.0.0.1; per-address limits are tested in signaling-server/test.
        MAX_SOCKETS_PER_ADDRESS: "0",
        ROOM_CREATES_PER_MINUTE: "0",
        JOIN_ATTEMPTS_PER_MINUTE: "0",
        FAILED_JOINS_PER_MINUTE: "0",
        MAX_ROOMS_PER_ADDRESS: "0",
        EVENTS_PER_SECOND: "5000",
        EVENT_BURST: "10000",
      },
      url: `http://127.0.0.1:${benchPorts.signaling}/health`,
    },
    {
      command: `npx vite --config bench/browser/page/vite.config.ts --host 127.0.0.1 --port ${benchPorts.page} --strictPort`,
      cwd: "../..",
      url: `http://127.0.0.1:${benchPorts.page}/`,
    },
  ],
});
