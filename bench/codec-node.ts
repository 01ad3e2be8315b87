// Codec throughput in Node; the Chromium half runs the same suite in a tab (browser/codec.bench.ts).
import { runCodecSuite } from "./lib/codec-suite.js";
import { writeResult } from "./lib/results.js";

const rows = runCodecSuite();
writeResult("codec-node", { runtime: "node", unit: "encode+decode operations per second", rows });
console.log("codec (Node): written bench/results/codec-node.json");
