#!/bin/sh
# Mutation check for the packet fuzzer (not run in CI): breaks packages/starwire/src on purpose,
# one mutation at a time, in a temporary copy of the repository, runs
# packages/starwire/test/packet.fuzz.test.ts there and reports each mutation as "caught" (the
# fuzzer failed) or "missed" (it passed). The working tree is never touched: the copy takes the
# files as they are now (committed or not) and links node_modules entry by entry.
#
#   sh scripts/mutation-check.sh      exit status 1 when a mutation is missed or cannot be applied
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/starwire-mutation.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

cp "$repo/package.json" "$repo/vitest.config.ts" "$repo/tsconfig.base.json" "$work/"
mkdir -p "$work/packages/starwire" "$work/node_modules"
for entry in package.json tsconfig.json src test; do cp -R "$repo/packages/starwire/$entry" "$work/packages/starwire/"; done
# Entry by entry, so that Vite's and Vitest's caches land in the copy, not in the repository.
for entry in "$repo"/node_modules/* "$repo"/node_modules/.bin; do
  case "$entry" in */.vite | */.vitest) continue ;; esac
  ln -s "$entry" "$work/node_modules/"
done
cp -R "$work/packages/starwire/src" "$work/pristine-src"

fuzz() {
  (cd "$work" && NO_COLOR=1 ./node_modules/.bin/vitest run --project unit \
    packages/starwire/test/packet.fuzz.test.ts >"$work/log" 2>&1)
}

# What went wrong first: the failing step with its first unexpected and first missing effect.
first_failure() {
  awk '
    /Caused by: Error: / && !found { found = 1; sub(/.*Caused by: Error: /, ""); out = $0; next }
    found && /^  earlier step/ { next }
    found && /not predicted:|not observed:/ { label = ($1 == "observed," ? "seen" : "expected"); next }
    found && label != "" && /^  / { sub(/^ +/, ""); out = out " | " label ": " $0; label = ""; if (++n == 2) exit; next }
    found && /^[^ ]/ && !/observed/ { exit }
    END { print (found ? out : "a plain assertion failed, see the fuzz test") }
  ' "$work/log" | sed -E 's/([0-9a-f]{40})[0-9a-f]+/\1.../g' | cut -c1-300
}

if ! fuzz; then
  echo "baseline: the fuzzer fails without any mutation; fix that first:"
  tail -40 "$work/log"
  exit 2
fi
echo "baseline: passes"

status=0
# mutate NAME FILE FROM TO: replaces the text FROM (literally, once) with TO in src/FILE.
mutate() {
  name=$1
  file=$2
  rm -rf "$work/packages/starwire/src"
  cp -R "$work/pristine-src" "$work/packages/starwire/src"
  FROM=$3 TO=$4 perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/' "$work/packages/starwire/src/$file"
  if cmp -s "$work/packages/starwire/src/$file" "$work/pristine-src/$file"; then
    echo "$name: NOT APPLIED (src/$file no longer contains the text to change)"
    status=1
  elif fuzz; then
    echo "$name: missed"
    status=1
  elif grep -q -E "Tests +[0-9]+ failed" "$work/log"; then
    echo "$name: caught -- $(first_failure)"
  else
    echo "$name: ERROR (the fuzzer did not run; log follows)"
    tail -20 "$work/log"
    status=1
  fi
}

mutate "authority check off" rpc/rpc-interface.ts \
  'if (config.mode === "authority" && from !== node.getMultiplayerAuthority())' \
  'if (false && config.mode === "authority" && from !== node.getMultiplayerAuthority())'
mutate "relays stamped with the target instead of the sender" multiplayer/multiplayer-api.ts \
  'const stamped = encodeRelay(from, packet);' \
  'const stamped = encodeRelay(target, packet);'
# Only calls to one peer, so that the honest setup traffic (relays to everyone) stays correct.
mutate "relayed calls to one client stamped with that client's id" multiplayer/multiplayer-api.ts \
  'const stamped = encodeRelay(from, packet);' \
  'const stamped = encodeRelay((packet[0]! & 7) === 0 && target > 0 ? target : from, packet);'
mutate "host forwards calls it rejects" multiplayer/multiplayer-api.ts \
  'if (!run) return;
    if (target === HOST_PEER_ID || target === 0 || (target < 0 && target !== -HOST_PEER_ID)) run();' \
  'if (!run && target === HOST_PEER_ID) return;
    if (target === HOST_PEER_ID || target === 0 || (target < 0 && target !== -HOST_PEER_ID)) run?.();'
mutate "relays charged once, not per recipient" multiplayer/multiplayer-api.ts \
  'this.#limiter.charge(from, packet.length * (recipients.length - 1));' ''
mutate "arity not checked" rpc/rpc-interface.ts \
  'if (args.length < min || args.length > max) {' 'if (false) {'
mutate "only __proto__ and prototype refused as keys" wire/codec.ts \
  'const FORBIDDEN_KEYS = new Set(["prototype", ...Object.getOwnPropertyNames(Object.prototype)]);' \
  'const FORBIDDEN_KEYS = new Set(["prototype", "__proto__"]);'
mutate "cached ids looked up in any sender's table" wire/path-cache.ts \
  'return this.#incoming.get(sender)?.get(id);' \
  'return this.#incoming.get(sender)?.get(id) ?? [...this.#incoming.values()].find((t) => t.has(id))?.get(id);'
mutate "clock packets accepted inside a relay" multiplayer/clock.ts \
  'if (relayed || (ping ?' 'if ((ping ?'
mutate "absurd clock times accepted" wire/clock-packet.ts \
  'return time >= 0 && time <= MAX_CLOCK_TIME_MS ? time : null;' 'return time;'
exit "$status"
