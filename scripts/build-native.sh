#!/usr/bin/env bash
# Development build of the addon. Serialised with a lock, because several people may build at once in one
# tree; configures again so that new .cpp files (listed by native/sources.js) are picked up.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/bootvisor-node-gyp.lock
flock 9
nodedir=$(npm config get nodedir 2>/dev/null || true)
gyp=(node "$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js")
[[ -n $nodedir && $nodedir != undefined && $nodedir != null ]] && gyp+=(--nodedir="$nodedir")
"${gyp[@]}" configure >/dev/null
"${gyp[@]}" build -j 2 "$@"
