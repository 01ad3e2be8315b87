#!/bin/sh
# Runs a command inside a fresh loopback-only network namespace (unshare -rn) on Linux, so any
# WebRTC traffic it makes can only ever reach 127.0.0.1 (README, "Testing"). Without one the
# browsers would not be confined to loopback, and the specs that cut or cap the link cannot run:
# that is an error, unless a developer opts out on purpose with STARWIRE_E2E_NETNS=0 (never in CI).
set -eu
if [ "$(uname -s)" = Linux ] && [ "${STARWIRE_E2E_NETNS:-1}" != 0 ] && unshare -rn true 2>/dev/null; then
  STARWIRE_NETNS=1 exec unshare -rn sh -c 'ip link set lo up && exec "$@"' netns "$@"
fi
if [ "${CI:-}" = true ] || [ "${STARWIRE_E2E_NETNS:-1}" != 0 ]; then
  echo "in-netns.sh: cannot create a loopback-only network namespace (unshare -rn failed, or not Linux)." >&2
  echo "Tests must not run outside one: browsers would not be confined to loopback, and the link-cut" >&2
  echo "and bandwidth tests could not run. Enable unprivileged user namespaces" >&2
  echo "(sysctl kernel.unprivileged_userns_clone=1), or on a developer machine opt out knowingly with" >&2
  echo "STARWIRE_E2E_NETNS=0 (refused when CI=true)." >&2
  exit 1
fi
echo "STARWIRE_E2E_NETNS=0: running WITHOUT a private network namespace, and WITHOUT the link-cut and" >&2
echo "bandwidth tests (tests/e2e/bandwidth.spec.ts, reconnect.spec.ts, tests/node/cuts.test.ts): $*" >&2
exec "$@"
