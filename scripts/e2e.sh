#!/bin/sh
# The Playwright suite, in a loopback-only network namespace (see in-netns.sh).
set -eu
cd "$(dirname "$0")/.."
exec sh scripts/in-netns.sh npx playwright test "$@"
