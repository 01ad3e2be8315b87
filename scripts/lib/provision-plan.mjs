// What `npm test` must install before it can run, given what this machine has. Pure, so a test can
// try every kind of machine; scripts/provision.mjs looks at the real one and carries it out.

/**
 * @param {{ linux: boolean, apt: boolean, root: boolean, sudo: boolean, debianChromium: boolean,
 *   bundledChromium: boolean, ip: boolean, tc: boolean, unshare: boolean, turnserver: boolean,
 *   redisServer: boolean }} machine
 * @returns {{ apt: string[], playwright: boolean, problems: string[] }}
 */
export function provisionPlan(machine) {
  const canApt = machine.linux && machine.apt && (machine.root || machine.sudo);
  const apt = [];
  const problems = [];
  let playwright = false;
  if (!machine.debianChromium && !machine.bundledChromium) {
    // Debian's own build where we may install it (what CI uses), else Playwright's download.
    if (canApt) apt.push("chromium");
    else playwright = true;
  }
  // The loopback-only network namespace needs unshare, ip and tc (scripts/in-netns.sh).
  if (machine.linux) {
    const tools = [
      ["ip", "iproute2"],
      ["tc", "iproute2"],
      ["unshare", "util-linux"],
    ];
    for (const [tool, debianPackage] of tools) {
      if (machine[tool]) continue;
      if (canApt) {
        if (!apt.includes(debianPackage)) apt.push(debianPackage);
      } else
        problems.push(`${tool} is missing (Debian package ${debianPackage}) and cannot be installed here`);
    }
  }
  // The TURN tests start coturn's turnserver on loopback (tests/node/turn-server.ts).
  if (!machine.turnserver) {
    if (canApt) apt.push("coturn");
    else
      problems.push(
        "turnserver is missing (Debian package coturn; Homebrew: coturn) and cannot be installed here: the TURN tests need it",
      );
  }
  // The multi-process signaling tests start a redis-server on loopback (signaling-server/test/redis-server.ts).
  if (!machine.redisServer) {
    if (canApt) apt.push("redis-server");
    else
      problems.push(
        "redis-server is missing (Debian package redis-server; Homebrew: redis) and cannot be installed here: the signaling tests with Redis need it",
      );
  }
  return { apt, playwright, problems };
}
