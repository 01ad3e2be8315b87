// The Chromium every Playwright run in this repository uses (e2e, consumer test, benchmarks):
// Debian's when it is installed, else Playwright's own, with the flags WebRTC between tabs over
// loopback, inside a network namespace, needs.
import { existsSync } from "node:fs";

const debianChromium = "/usr/bin/chromium";

export function chromiumLaunchOptions(extraArgs: readonly string[] = []) {
  return {
    ...(existsSync(debianChromium) ? { executablePath: debianChromium } : {}),
    args: [
      "--allow-loopback-in-peer-connection",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  };
}
