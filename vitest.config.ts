import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 20_000,
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "packages/*/test/**/*.test.ts",
            "signaling-server/test/**/*.test.ts",
            "apps/*/test/**/*.test.ts",
            "scripts/test/**/*.test.mjs",
          ],
          testTimeout: 20_000,
        },
      },
      {
        // Real WebRTC in Node: one file at a time, so timing checks (a process exits promptly
        // after closing) are not decided by another file's 50 connections on a 2-core machine.
        test: {
          name: "node",
          include: ["tests/node/**/*.test.ts"],
          // Link cuts (tc) only inside the run's own network namespace (scripts/in-netns.sh).
          exclude: process.env.STARWIRE_NETNS === "1" ? [] : ["tests/node/cuts.test.ts"],
          fileParallelism: false,
          testTimeout: 60_000,
        },
      },
    ],
  },
});
