// CPU time of processes from Linux's /proc (the benchmarks run on Linux, in a network namespace).
import { type ChildProcess, execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";

let ticks: number | undefined;
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat. */
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  cpuSeconds: number;
}

function stat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null; // gone
  }
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const fields = text.slice(close + 2).split(" "); // fields[0] is field 3 (state)
  return {
    pid,
    ppid: Number(fields[1]),
    comm,
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / clockTicks(), // utime + stime
  };
}

/** User + system CPU seconds one process has used. */
export function cpuSeconds(pid: number): number {
  return stat(pid)?.cpuSeconds ?? 0;
}

/** Every live descendant of `root` (children, their children, …), not `root` itself. */
export function descendants(root: number): ProcStat[] {
  const all = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => stat(Number(name)))
    .filter((s): s is ProcStat => s !== null);
  const children = new Map<number, ProcStat[]>();
  for (const s of all) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const found: ProcStat[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      walk(child.pid);
    }
  };
  walk(root);
  return found;
}

/**
 * CPU used by a process tree between two snapshots: for each process alive at the end, its CPU
 * time minus what it had at the start (a process started in between counts from zero). Processes
 * that ended in between are missed, which the result reports.
 */
export function treeCpu(before: ProcStat[], after: ProcStat[]): { cpuSeconds: number; processes: number } {
  const start = new Map(before.map((s) => [s.pid, s.cpuSeconds]));
  return {
    cpuSeconds: after.reduce((sum, s) => sum + s.cpuSeconds - (start.get(s.pid) ?? 0), 0),
    processes: after.length,
  };
}

/** CPU seconds the whole machine has spent busy (all cores; /proc/stat, everything but idle and iowait). */
export function machineBusySeconds(): number {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number) as number[];
  return (
    ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / clockTicks()
  );
}

/** Resident memory of one process, in KiB. */
export function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
  return Number(line?.[1] ?? 0);
}

/** Reads a child's stdout as one JSON object per line; fails if the child ends first. */
export function lines(child: ChildProcess): () => Promise<Record<string, unknown>> {
  const iterator = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return async () => {
    const line = await iterator.next();
    if (line.done) throw new Error(`load generator exited with ${child.exitCode}`);
    return JSON.parse(line.value) as Record<string, unknown>;
  };
}
