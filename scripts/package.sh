#!/usr/bin/env bash
# `npm run package`: bootvisor-<version>.vsix for linux-x64, which installs into VS Code without npm or a
# compiler. It holds the native addon as a prebuilt binary (prebuilds/linux-x64/, where node-gyp-build looks),
# one esbuild bundle per program (extension, debug adapter, language server, CLI) at the paths tsc would use,
# and the grammar. Everything is assembled in a staging folder, so the checkout's own out/ is left alone.
#   BOOTVISOR_PACKAGE_OUT=path.vsix   where to write it (default: the repository root)
#   BOOTVISOR_PACKAGE_PARTIAL=1       package even if a program is missing (for work in progress; never release it)
#   BOOTVISOR_PACKAGE_PREBUILT_ADDON=1  ship build/Release/bootvisor.node as it is, without building it first
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=$(node -p 'require("./package.json").version')
out=${BOOTVISOR_PACKAGE_OUT:-$root/bootvisor-$version.vsix}
stage=$root/.cache/vsix-stage
esbuild=$root/node_modules/.bin/esbuild
vsce=$root/node_modules/.bin/vsce
[[ -x $esbuild && -x $vsce ]] || { echo "package: run npm install first (esbuild and @vscode/vsce are dev dependencies)" >&2; exit 1; }

# The entry of each program, and where its bundle goes.
entries=(
  "client/extension.ts:out/client/extension.js"
  "debug-adapter/main.ts:out/debug-adapter/main.js"
  "server/main.ts:out/server/main.js"
  "cli/main.ts:out/cli/main.js"
)
present=()
for entry in "${entries[@]}"; do
  if [[ -f ${entry%%:*} ]]; then
    present+=("$entry")
  elif [[ ${BOOTVISOR_PACKAGE_PARTIAL:-} == 1 ]]; then
    echo "package: WARNING: ${entry%%:*} is missing; this .vsix lacks it" >&2
  else
    echo "package: ${entry%%:*} is missing, so the .vsix would not work; nothing was packaged" >&2
    exit 1
  fi
done

addon=build/Release/bootvisor.node
# Incremental (make): quick when the addon is current, and never ships a binary older than the sources.
if [[ ${BOOTVISOR_PACKAGE_PREBUILT_ADDON:-} != 1 ]]; then
  mkdir -p .cache
  echo "package: building the native addon (log: .cache/package-native.log)" >&2
  if ! bash scripts/build-native.sh >.cache/package-native.log 2>&1; then
    grep -E 'error|Error' .cache/package-native.log | head -20 >&2
    echo "package: the native addon does not build (see .cache/package-native.log); nothing was packaged" >&2
    exit 1
  fi
fi
[[ -f $addon ]] || { echo "package: there is no $addon to ship" >&2; exit 1; }

rm -rf "$stage"
mkdir -p "$stage/prebuilds/linux-x64" "$stage/client" "$stage/out/client/webview"
# N-API is ABI-stable: one binary serves every Node and Electron; node-gyp-build reads these tags from the name.
cp "$addon" "$stage/prebuilds/linux-x64/node.napi.node"

for entry in "${present[@]}"; do
  "$esbuild" "${entry%%:*}" --bundle --platform=node --target=node20 --format=cjs --external:vscode \
    --minify --keep-names --legal-comments=none --log-level=warning --outfile="$stage/${entry##*:}"
  # iced-x86 reads its WebAssembly from beside the script that includes it (now the bundle): the bundles
  # that include it (adapter, language server) read the one copy in out/ instead of one each.
  if grep -q '"iced_x86_bg.wasm"' "$stage/${entry##*:}"; then
    sed -i 's|(__dirname,"iced_x86_bg.wasm")|(__dirname,"../iced_x86_bg.wasm")|' "$stage/${entry##*:}"
    grep -q '"../iced_x86_bg.wasm"' "$stage/${entry##*:}" || { echo "package: ${entry%%:*}'s bundle loads iced-x86's WebAssembly in a way this script does not know" >&2; exit 1; }
    cp node_modules/iced-x86/iced_x86_bg.wasm "$stage/out/"
  fi
done
# The webview runs in a browser without a module loader: one self-contained script.
"$esbuild" client/webview/screen.ts --bundle --platform=browser --target=es2022 --format=iife \
  --minify --log-level=warning --outfile="$stage/out/client/webview/screen.js"

cp -r client/syntaxes client/language-configuration.json "$stage/client/"
cp README.md .vscodeignore LICENSE LICENSE-fonts.txt "$stage/"
mkdir -p "$stage/images" && cp images/icon.png "$stage/images/"
if compgen -G 'docs/screenshots/*.png' >/dev/null; then
  mkdir -p "$stage/docs/screenshots" && cp docs/screenshots/*.png "$stage/docs/screenshots/"
fi
mkdir -p "$stage/docs/walkthrough" && cp docs/walkthrough/*.md "$stage/docs/walkthrough/"
# The manifest without what only a checkout needs: npm scripts (VS Code runs none) and dependencies (bundled).
node -e '
  const fs = require("fs");
  const manifest = JSON.parse(fs.readFileSync("package.json", "utf8"));
  for (const key of ["scripts", "dependencies", "devDependencies", "bin", "allowScripts"]) delete manifest[key];
  fs.writeFileSync(process.argv[1], JSON.stringify(manifest, null, 2) + "\n");
' "$stage/package.json"

cd "$stage"
# vsce lists every file it packs; keep that in a log and show only its verdict (all of it if it failed).
if ! "$vsce" package --no-dependencies --allow-missing-repository --no-rewrite-relative-links \
  --target linux-x64 --out "$out" </dev/null >"$root/.cache/package-vsce.log" 2>&1; then
  cat "$root/.cache/package-vsce.log" >&2
  exit 1
fi
grep -E 'WARNING|DONE' "$root/.cache/package-vsce.log" >&2 || true
echo "$out"
