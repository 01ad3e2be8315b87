// A server process for the tests (redis-server, coturn), started on loopback and stopped by the pid
// it started. Lives here because tests/ already imports from signaling-server/test, never the reverse.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/** `name` in /usr/bin (what scripts/provision.mjs installs), else on the PATH. */
export function findBinary(name: string): string | null {
  const dirs = ["/usr/bin", ...(process.env.PATH ?? "").split(delimiter)];
  for (const dir of dirs) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return null;
}

export interface LoopbackProcess {
  pid: number;
  /** What the process wrote to stdout and stderr (the last 20 000 characters). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Spawns `binary` and resolves once `answers` (given the child's pid) does. If `answers` rejects or the process exits first,
 * stops it, runs `cleanUp` and rejects with its log appended: what it said is what tells why it did
 * not answer.
 */
export async function startLoopbackProcess(
  binary: string,
  args: string[],
  answers: (pid: number) => Promise<void>,
  cleanUp: () => Promise<void> = async () => {},
): Promise<LoopbackProcess> {
  const name = binary.split("/").pop();
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code, signal) =>
      reject(new Error(`${name} exited (${signal ?? code}) before it answered:\n${log}`)),
    ),
  );
  exited.catch(() => {}); // it exits when stopped, long after startup
  try {
    await Promise.race([answers(child.pid!), exited]);
  } catch (error) {
    await stopProcess(child);
    await cleanUp();
    if (error instanceof Error && !error.message.includes(log)) error.message += `\n${name}'s log:\n${log}`;
    throw error;
  }
  return {
    pid: child.pid!,
    log: () => log,
    async stop() {
      await stopProcess(child);
      await cleanUp();
    },
  };
}

/** SIGTERM to the pid we started, SIGKILL if it lingers; resolves once it is gone. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await gone;
  clearTimeout(timer);
}
