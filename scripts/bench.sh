#!/bin/sh
# `npm run bench`: every benchmark, then bench/results/SUMMARY.md and the charts. Benchmarks
# report; they never fail on a threshold. Browser benchmarks run in the loopback-only namespace.
set -eu
cd "$(dirname "$0")/.."
BENCH_STARTED=$(date +%s)
export BENCH_STARTED
npx tsc -b
node bench/dist/bytes-per-rpc.js
node bench/dist/interpolation.js
node bench/dist/replication-bytes.js
node bench/dist/replication-host-cost.js
node bench/dist/codec-node.js
node bench/dist/signaling-load.js
node bench/dist/signaling-redis.js
sh scripts/in-netns.sh node bench/dist/stats-cost.js
sh scripts/in-netns.sh npx playwright test --config bench/browser/playwright.config.ts "$@"
node bench/dist/summary.js
