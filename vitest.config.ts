import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "packages/*/test/**/*.test.ts",
      "signaling-server/test/**/*.test.ts",
      "tests/node/**/*.test.ts",
    ],
    testTimeout: 20_000,
  },
});
