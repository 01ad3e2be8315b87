// Total network cuts on the loopback of the test run's own network namespace (see
// scripts/in-netns.sh): `pfifo limit 0` drops every packet, UDP and TCP alike.
import { execFileSync } from "node:child_process";

function assertPrivateNamespace(): void {
  if (process.env.STARWIRE_NETNS !== "1") {
    throw new Error("link cuts need the test run's own network namespace (run through scripts/in-netns.sh)");
  }
}

let cut = false;

export function cutLink(): void {
  assertPrivateNamespace();
  execFileSync("tc", ["qdisc", "replace", "dev", "lo", "root", "pfifo", "limit", "0"]);
  cut = true;
}

/** Restores the link if this process cut it (safe to call any time, e.g. after each test). */
export function restoreLink(): void {
  if (!cut) return;
  execFileSync("tc", ["qdisc", "del", "dev", "lo", "root"]);
  cut = false;
}

/** Cuts the link for `ms`, then restores it (also when the wait is interrupted). */
export async function cutFor(ms: number, during: () => void | Promise<void> = () => {}): Promise<number> {
  cutLink();
  try {
    await during();
    await new Promise((resolve) => setTimeout(resolve, ms));
  } finally {
    restoreLink();
  }
  return Date.now();
}
