// Round trips, throughput and connect time: Starwire against the raw data channel / raw simple-peer,
// measured side by side in the same tabs over the same connection.
import { test } from "@playwright/test";
import { writeResult } from "../lib/results.js";
import { round, summarize } from "../lib/stats.js";
import { chromiumVersion, openBenchTab } from "./shared.js";

const ROUND_TRIPS = 5000;
const THROUGHPUT_MESSAGES = 20_000;
const THROUGHPUT_PAIRS = 6;
const CONNECTS = 15;

const ratio = (a: number, b: number) => round(a / b, 3);
const ms = (summary: ReturnType<typeof summarize>) =>
  Object.fromEntries(
    Object.entries(summary).map(([key, value]) => [key, key === "count" ? value : round(value, 4)]),
  );

test("RPC round trip and throughput versus the raw data channel", async ({ browser }) => {
  const host = await openBenchTab(browser);
  const client = await openBenchTab(browser);
  const roomCode = await host.evaluate(() => window.bench.host(4));
  await client.evaluate((code) => window.bench.join(code), roomCode);
  await host.evaluate(() => window.bench.openRawChannels("host"));
  await client.evaluate(() => window.bench.openRawChannels("client"));

  const lanes: Record<string, unknown> = {};
  for (const lane of ["reliable", "unreliable"] as const) {
    const { sdk, raw, lost } = await client.evaluate(({ lane, n }) => window.bench.roundTrips(lane, n), {
      lane,
      n: ROUND_TRIPS,
    });
    const s = summarize(sdk);
    const r = summarize(raw);
    lanes[lane] = {
      sdk: ms(s),
      raw: ms(r),
      lost,
      ratio: { median: ratio(s.median, r.median), p95: ratio(s.p95, r.p95), p99: ratio(s.p99, r.p99) },
      samples: { sdk, raw },
    };
  }
  const isolated = await client.evaluate(() => crossOriginIsolated);
  writeResult(
    "rpc-round-trip",
    {
      unit: "ms, client → host → client",
      clockResolution: isolated ? "5 µs (cross-origin isolated)" : "100 µs",
      targets: { median: 1.1, p99: 1.25 },
      ...lanes,
    },
    chromiumVersion(browser),
  );

  // Pairs in alternating order (SDK first, then raw first, …): each side gets the same conditions.
  const pairs: Array<{ sdk: number; raw: number }> = [];
  for (let i = 0; i < THROUGHPUT_PAIRS; i++) {
    const run = async (kind: "sdk" | "raw") => {
      if (kind === "sdk") await host.evaluate((n) => window.bench.prepareSink(n), THROUGHPUT_MESSAGES);
      return client.evaluate(
        ({ kind, n }) => (kind === "sdk" ? window.bench.sdkThroughput(n) : window.bench.rawThroughput(n)),
        { kind, n: THROUGHPUT_MESSAGES },
      );
    };
    const first = i % 2 === 0 ? "sdk" : "raw";
    const a = await run(first);
    const b = await run(first === "sdk" ? "raw" : "sdk");
    pairs.push(first === "sdk" ? { sdk: a, raw: b } : { sdk: b, raw: a });
  }
  const ratios = pairs.map((pair) => pair.sdk / pair.raw);
  const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  writeResult(
    "throughput",
    {
      unit: "reliable messages per second, client → host",
      messages: THROUGHPUT_MESSAGES,
      messageBytes: { sdk: 4, raw: await client.evaluate(() => window.bench.rawMessageBytes) },
      target: 0.8,
      pairs: pairs.map((pair) => ({ sdk: Math.round(pair.sdk), raw: Math.round(pair.raw) })),
      sdk: Math.round(median(pairs.map((pair) => pair.sdk))),
      raw: Math.round(median(pairs.map((pair) => pair.raw))),
      ratio: round(median(ratios), 3),
    },
    chromiumVersion(browser),
  );
});

test("connect time versus a raw simple-peer connection through the same signaling server", async ({
  browser,
}) => {
  const sdkHost = await openBenchTab(browser);
  const rawHost = await openBenchTab(browser);
  const client = await openBenchTab(browser);
  const sdkRoom = await sdkHost.evaluate(() => window.bench.host(64));
  const rawRoom = await rawHost.evaluate(() => window.bench.hostRawRoom());
  const sdk: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < CONNECTS + 2; i++) {
    const a = await client.evaluate((code) => window.bench.sdkConnect(code), sdkRoom);
    const b = await client.evaluate((code) => window.bench.rawConnect(code), rawRoom);
    if (i < 2) continue; // warm-up
    sdk.push(a);
    raw.push(b);
  }
  const s = summarize(sdk);
  const r = summarize(raw);
  writeResult(
    "connect-time",
    {
      unit: "ms, createClient → connectedToServer (raw: socket connect → simple-peer connect)",
      target: 1.2,
      sdk: ms(s),
      raw: ms(r),
      ratio: { median: ratio(s.median, r.median) },
      samples: { sdk, raw },
    },
    chromiumVersion(browser),
  );
});
