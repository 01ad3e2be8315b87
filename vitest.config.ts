import { defineConfig } from "vitest/config";

/** Signaling tests that hold no rooms in a server: nothing to run again against Redis. */
const SIGNALING_WITHOUT_ROOMS = [
  "address-limits.test.ts",
  "client-address.test.ts",
  "config.test.ts",
  "rate-limit.test.ts",
  "reclaim-registry.test.ts",
  "resume-registry.test.ts",
  "room-code.test.ts",
  "room-password.test.ts",
  "rooms.test.ts",
  "tokens.test.ts",
  "turn-credentials.test.ts",
  "validate.test.ts",
];

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
          // Tests of several servers sharing a Redis: the signaling-redis project runs them.
          exclude: ["signaling-server/test/**/*.redis.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        // The signaling suite again, with every server's rooms in a real Redis (started once for
        // the run by the global setup) instead of memory: both room stores pass the same tests.
        test: {
          name: "signaling-redis",
          include: ["signaling-server/test/**/*.test.ts"],
          // Tests of the in-memory registry itself, or of parts that hold no rooms.
          exclude: SIGNALING_WITHOUT_ROOMS.map((file) => `signaling-server/test/${file}`),
          globalSetup: ["signaling-server/test/redis-global-setup.ts"],
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
