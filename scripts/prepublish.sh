#!/usr/bin/env bash
# vscode:prepublish, which `vsce package` runs before packing the checkout: compiles the TypeScript, bundles
# the screen's webview script and builds the native addon, so that plain `npx vsce package` in a checkout makes
# a working .vsix (out/ as tsc writes it, build/Release/bootvisor.node, the production dependencies; the
# .vscodeignore keeps tests and sources out). `npm run package` (scripts/package.sh) makes the smaller one, of
# bundles, in a staging folder whose manifest has no scripts, so this does not run there.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -b
bash scripts/bundle-webview.sh
bash scripts/build-native.sh >/dev/null
[[ -f build/Release/bootvisor.node ]] || { echo "prepublish: the native addon did not build" >&2; exit 1; }
