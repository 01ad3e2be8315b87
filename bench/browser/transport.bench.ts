// Round trips, throughput and connect time: Starwire against the raw data channel / raw simple-peer,
// measured side by side in the same tabs over the same connection, alternating which side goes first.
import { test } from "@playwright/test";
import { writeResult } from "../lib/results.js";
import { quartiles, round, summarize } from "../lib/stats.js";
import { chromiumVersion, openBenchTab } from "./shared.js";

const ROUND_TRIPS = 5000;
const THROUGHPUT_MESSAGES = 20_000;
/** Measured pairs, after one warm-up pair that is published but not counted. */
const THROUGHPUT_PAIRS = 10;
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
      roundTrips: ROUND_TRIPS,
      order:
        "alternating: SDK first on even iterations, raw first on odd; 200 warm-up iterations not counted",
      lostMeans: "no answer within 1 s; lost round trips are not in the samples",
      targets: { median: 1.1, p99: 1.25 },
      ...lanes,
    },
    chromiumVersion(browser),
  );

  // Each pair is one SDK run and one raw run back to back; the SDK goes first in even pairs and the
  // raw channel first in odd ones. The ratio is taken within each pair, and the summary is the
  // median of those ratios with their spread. No pair is excluded; the warm-up pair (index 0,
  // SDK first) is published and left out of every summary.
  const run = async (kind: "sdk" | "raw") => {
    if (kind === "sdk") await host.evaluate((n) => window.bench.prepareSink(n), THROUGHPUT_MESSAGES);
    return client.evaluate(
      ({ kind, n }) => (kind === "sdk" ? window.bench.sdkThroughput(n) : window.bench.rawThroughput(n)),
      { kind, n: THROUGHPUT_MESSAGES },
    );
  };
  const pairs: Array<{ first: "sdk" | "raw"; sdk: number; raw: number; ratio: number; warmup: boolean }> = [];
  for (let i = 0; i <= THROUGHPUT_PAIRS; i++) {
    const first = i % 2 === 0 ? "sdk" : "raw";
    const a = await run(first);
    const b = await run(first === "sdk" ? "raw" : "sdk");
    const [sdk, raw] = first === "sdk" ? [a, b] : [b, a];
    pairs.push({
      first,
      sdk: Math.round(sdk),
      raw: Math.round(raw),
      ratio: round(sdk / raw, 3),
      warmup: i === 0,
    });
  }
  const counted = pairs.filter((pair) => !pair.warmup);
  const spread = (values: number[], digits: number) => {
    const q = quartiles(values);
    return {
      median: round(q.median, digits),
      q1: round(q.q1, digits),
      q3: round(q.q3, digits),
      min: round(q.min, digits),
      max: round(q.max, digits),
    };
  };
  writeResult(
    "throughput",
    {
      unit: "reliable messages per second, client → host",
      messages: THROUGHPUT_MESSAGES,
      messageBytes: { sdk: 4, raw: await client.evaluate(() => window.bench.rawMessageBytes) },
      target: 0.8,
      method:
        "pairs of one SDK and one raw run back to back, alternating which goes first; ratio = SDK / raw within a pair; median, quartiles (linear interpolation) and range over the counted pairs; no pair excluded; pair 0 is a warm-up, not counted",
      pairs,
      ratio: spread(
        counted.map((pair) => pair.sdk / pair.raw),
        3,
      ),
      // The order effect the alternation cancels: the same ratio over each half of the pairs.
      ratioBySideFirst: {
        sdk: spread(
          counted.filter((pair) => pair.first === "sdk").map((pair) => pair.sdk / pair.raw),
          3,
        ),
        raw: spread(
          counted.filter((pair) => pair.first === "raw").map((pair) => pair.sdk / pair.raw),
          3,
        ),
      },
      sdk: spread(
        counted.map((pair) => pair.sdk),
        0,
      ),
      raw: spread(
        counted.map((pair) => pair.raw),
        0,
      ),
    },
    chromiumVersion(browser),
  );
  await host.context().close();
  await client.context().close();
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
  // SDK first on even iterations, raw simple-peer first on odd ones.
  const connectSdk = () => client.evaluate((code) => window.bench.sdkConnect(code), sdkRoom);
  const connectRaw = () => client.evaluate((code) => window.bench.rawConnect(code), rawRoom);
  for (let i = 0; i < CONNECTS + 2; i++) {
    let a: number;
    let b: number;
    if (i % 2 === 0) {
      a = await connectSdk();
      b = await connectRaw();
    } else {
      b = await connectRaw();
      a = await connectSdk();
    }
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
      order: "alternating: SDK first on even iterations, raw first on odd; 2 warm-up iterations not counted",
      samples: { sdk, raw },
    },
    chromiumVersion(browser),
  );
  for (const page of [client, rawHost, sdkHost]) await page.context().close();
});
