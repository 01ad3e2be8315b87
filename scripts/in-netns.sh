#!/bin/sh
# Runs a command inside a fresh loopback-only network namespace (unshare -rn) on Linux, so any
# WebRTC traffic it makes can only ever reach 127.0.0.1 (README, "Testing"). STARWIRE_E2E_NETNS=0
# runs it in the current namespace instead (e.g. a laptop without unshare).
set -eu
if [ "$(uname -s)" = Linux ] && [ "${STARWIRE_E2E_NETNS:-1}" != 0 ] && unshare -rn true 2>/dev/null; then
  STARWIRE_NETNS=1 exec unshare -rn sh -c 'ip link set lo up && exec "$@"' netns "$@"
fi
echo "running without a private network namespace: $*" >&2
exec "$@"
