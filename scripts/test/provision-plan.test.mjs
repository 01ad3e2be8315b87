import { describe, expect, it } from "vitest";
import { provisionPlan } from "../lib/provision-plan.mjs";

const ready = {
  linux: true,
  apt: true,
  root: false,
  sudo: false,
  debianChromium: true,
  bundledChromium: false,
  ip: true,
  tc: true,
  unshare: true,
  turnserver: true,
  redisServer: true,
};

describe("what npm test installs first", () => {
  it("nothing on a machine that has it all", () => {
    expect(provisionPlan(ready)).toEqual({ apt: [], playwright: false, problems: [] });
    expect(provisionPlan({ ...ready, debianChromium: false, bundledChromium: true }).playwright).toBe(false);
  });

  it("Debian's chromium and the namespace tools where apt and root (or sudo) are at hand", () => {
    const fresh = {
      ...ready,
      debianChromium: false,
      ip: false,
      tc: false,
      turnserver: false,
      redisServer: false,
    };
    expect(provisionPlan({ ...fresh, root: true })).toEqual({
      apt: ["chromium", "iproute2", "coturn", "redis-server"],
      playwright: false,
      problems: [],
    });
    expect(provisionPlan({ ...fresh, sudo: true }).apt).toEqual([
      "chromium",
      "iproute2",
      "coturn",
      "redis-server",
    ]);
  });

  it("Playwright's Chromium elsewhere, and a clear problem for tools it cannot install", () => {
    expect(provisionPlan({ ...ready, debianChromium: false })).toEqual({
      apt: [],
      playwright: true,
      problems: [],
    });
    expect(provisionPlan({ ...ready, linux: false, apt: false, debianChromium: false })).toEqual({
      apt: [],
      playwright: true,
      problems: [],
    });
    expect(provisionPlan({ ...ready, unshare: false }).problems).toEqual([
      "unshare is missing (Debian package util-linux) and cannot be installed here",
    ]);
    expect(provisionPlan({ ...ready, linux: false, apt: false, turnserver: false }).problems).toEqual([
      "turnserver is missing (Debian package coturn; Homebrew: coturn) and cannot be installed here: the TURN tests need it",
    ]);
    expect(provisionPlan({ ...ready, linux: false, apt: false, redisServer: false }).problems).toEqual([
      "redis-server is missing (Debian package redis-server; Homebrew: redis) and cannot be installed here: the signaling tests with Redis need it",
    ]);
  });
});
