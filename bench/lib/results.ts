import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";

/** Benchmarks run from the repository root (npm run bench); results land in bench/results. */
export const RESULTS_DIR = resolve(process.cwd(), "bench/results");

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  node: string;
  chromium: string | null;
  date: string;
  /** The machine's 1-minute load average when the result was written (it is shared). */
  loadAverage: number;
}

export function machineInfo(chromium: string | null = null): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    node: process.version,
    chromium: chromium ?? chromiumVersion(),
    date: new Date().toISOString(),
    loadAverage: Number(loadavg()[0]!.toFixed(2)),
  };
}

function chromiumVersion(): string | null {
  try {
    return execFileSync("/usr/bin/chromium", ["--version"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null;
  }
}

/** Writes bench/results/<name>.json: what was measured, on what, and the summaries. */
export function writeResult(
  name: string,
  data: Record<string, unknown>,
  chromium: string | null = null,
): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const body = { benchmark: name, machine: machineInfo(chromium), ...data };
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(body, null, 2)}\n`);
}
