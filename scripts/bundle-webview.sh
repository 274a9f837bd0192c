#!/usr/bin/env bash
# The guest screen webview's script: one self-contained bundle (a webview has no module loader) of
# client/webview/screen.ts and the renderer it imports from common/. `npm run build` and `npm install` run
# this after tsc; scripts/package.sh makes its own, minified. Pass --minify for the same here.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node_modules/.bin/esbuild client/webview/screen.ts --bundle --platform=browser --target=es2022 --format=iife \
  --log-level=warning --outfile=out/client/webview/screen.js "$@"
