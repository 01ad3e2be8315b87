// Installs what `npm test` needs beyond npm packages, saying what it does: a Chromium (Debian's
// where apt and root are at hand, else Playwright's download), coturn (the TURN tests' server),
// redis-server (the signaling tests with several processes sharing a Redis) and,
// on Linux, the tools of the loopback-only network namespace. Does nothing on a machine that has them.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chromium } from "@playwright/test";
import { provisionPlan } from "./lib/provision-plan.mjs";

const has = (command) => {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
const root = process.getuid?.() === 0;
const sudo = !root && has("sudo") && succeeds("sudo", ["-n", "true"]);

const plan = provisionPlan({
  linux: process.platform === "linux",
  apt: has("apt-get"),
  root,
  sudo,
  debianChromium: existsSync("/usr/bin/chromium"),
  bundledChromium: existsSync(chromium.executablePath()),
  ip: has("ip"),
  tc: has("tc"),
  unshare: has("unshare"),
  turnserver: existsSync("/usr/bin/turnserver") || has("turnserver"),
  redisServer: existsSync("/usr/bin/redis-server") || has("redis-server"),
});

if (plan.apt.length > 0) {
  console.log(`provision: installing ${plan.apt.join(", ")} from Debian (the tests need them)`);
  const asRoot = (args) =>
    root
      ? execFileSync(args[0], args.slice(1), { stdio: "inherit" })
      : execFileSync("sudo", ["-n", ...args], { stdio: "inherit" });
  asRoot(["apt-get", "update", "-qq"]);
  asRoot([
    "env",
    "DEBIAN_FRONTEND=noninteractive",
    "apt-get",
    "install",
    "-y",
    "-qq",
    "--no-install-recommends",
    ...plan.apt,
  ]);
}
if (plan.playwright) {
  console.log("provision: no Chromium found; downloading Playwright's (npx playwright install chromium)");
  execFileSync("npx", ["playwright", "install", "chromium"], { stdio: "inherit" });
}
if (plan.problems.length > 0) {
  for (const problem of plan.problems) console.error(`provision: ${problem}`);
  process.exit(1);
}

function succeeds(command, args) {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
