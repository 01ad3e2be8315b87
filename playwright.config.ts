import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "./tests/chromium.js";

/** Ports of the servers the e2e run starts (inside its own network namespace on Linux). */
export const ports = { signaling: 18787, harness: 15174, demo: 15173 } as const;

export default defineConfig({
  testDir: "tests/e2e",
  // The bandwidth and reconnect specs cap or cut the loopback with tc: only inside the run's own network namespace.
  testIgnore: process.env.STARWIRE_NETNS === "1" ? [] : ["**/bandwidth.spec.ts", "**/reconnect.spec.ts"],
  outputDir: "test-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: process.env.CI ? [["list"], ["html", { open: "never" }]] : "list",
  use: {
    // Chrome gathers host candidates (here: loopback) only with a media permission granted.
    permissions: ["microphone"],
    launchOptions: chromiumLaunchOptions(),
  },
  webServer: [
    {
      command: "node signaling-server/dist/main.js",
      env: {
        PORT: String(ports.signaling),
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        // All tabs come from 127.0.0.1; per-address limits are tested in signaling-server/test.
        MAX_SOCKETS_PER_ADDRESS: "0",
        ROOM_CREATES_PER_MINUTE: "0",
        JOIN_ATTEMPTS_PER_MINUTE: "0",
        FAILED_JOINS_PER_MINUTE: "0",
        MAX_ROOMS_PER_ADDRESS: "0",
      },
      url: `http://127.0.0.1:${ports.signaling}/health`,
      reuseExistingServer: false,
    },
    {
      command: `npx vite --config tests/e2e/harness/vite.config.ts --host 127.0.0.1 --port ${ports.harness} --strictPort`,
      url: `http://127.0.0.1:${ports.harness}/`,
      reuseExistingServer: false,
    },
    {
      command: `npx vite preview --config apps/lobby-demo/vite.config.ts --host 127.0.0.1 --port ${ports.demo} --strictPort`,
      url: `http://127.0.0.1:${ports.demo}/`,
      reuseExistingServer: false,
    },
  ],
});
