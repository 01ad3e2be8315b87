import { join } from "node:path";
import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "../chromium.js";

/**
 * The consumer test's game (tests/consumer/run.mjs prepares the apps and runs this inside the
 * loopback-only namespace): everything is served from the packages as installed in the temporary
 * apps, never from the workspace.
 */
export const ports = { signaling: 18797, standard: 15183, legacy: 15184 } as const;

const standardApp = process.env.STARWIRE_CONSUMER_APP ?? "";
const legacyApp = process.env.STARWIRE_CONSUMER_LEGACY_APP ?? "";
if (standardApp === "" || legacyApp === "") {
  throw new Error("run the consumer test with `npm run test:consumer` (tests/consumer/run.mjs)");
}
const preview = (port: number) => `npx --no vite preview --host 127.0.0.1 --port ${port} --strictPort`;

export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.ts",
  outputDir: join(import.meta.dirname, "../../test-results/consumer"),
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  globalTimeout: 180_000,
  reporter: "list",
  use: {
    permissions: ["microphone"], // Chrome gathers loopback host candidates only with it
    launchOptions: chromiumLaunchOptions(),
  },
  webServer: [
    {
      // The packed server's bin, as a user starts it: `npx starwire-signaling` with PORT and HOST.
      command: "npx --no starwire-signaling",
      cwd: standardApp,
      env: { PORT: String(ports.signaling), HOST: "127.0.0.1", LOG_LEVEL: "silent" },
      url: `http://127.0.0.1:${ports.signaling}/health`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: preview(ports.standard),
      cwd: standardApp,
      url: `http://127.0.0.1:${ports.standard}/`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: preview(ports.legacy),
      cwd: legacyApp,
      url: `http://127.0.0.1:${ports.legacy}/`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
  ],
});
