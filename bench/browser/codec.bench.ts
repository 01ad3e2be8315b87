// The codec suite of bench/lib/codec-suite.ts, in Chromium (the Node half is bench/codec-node.ts).
import { test } from "@playwright/test";
import { writeResult } from "../lib/results.js";
import { chromiumVersion, openBenchTab } from "./shared.js";

test("codec throughput in Chromium", async ({ browser }) => {
  const page = await openBenchTab(browser);
  const rows = await page.evaluate(() => window.bench.runCodecSuite());
  writeResult(
    "codec-chromium",
    { runtime: "chromium", unit: "encode+decode operations per second", rows },
    chromiumVersion(browser),
  );
  await page.context().close();
});
