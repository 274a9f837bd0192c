#!/usr/bin/env bash
# `npm run test:e2e`: the extension in a real VS Code. Installs (once, cached in ~/.cache/bootvisor-e2e)
# code-server 4.100.3 and Debian's Chromium, packages the .vsix (scripts/package.sh), installs it into a
# private code-server and drives the workbench with playwright-core (test/e2e/*.e2e.ts). Screenshots of each
# step land in test-artifacts/e2e/; with --update-docs, a passing run also copies them to docs/screenshots/.
# With --plain-vsce the .vsix is the one plain `npx vsce package` makes in this checkout (vscode:prepublish
# and .vscodeignore: unbundled out/, build/Release, production dependencies) instead of scripts/package.sh's.
# With --grep PATTERN only the steps whose title matches run (mocha's --grep; the workbench is still opened
# once), e.g. --grep '^.*5\. keys' for the key-to-screen figure alone.
set -euo pipefail
cd "$(dirname "$0")/.."
update_docs=0
plain_vsce=0
grep=()
while (($#)); do
  case $1 in
    --update-docs) update_docs=1 ;;
    --plain-vsce) plain_vsce=1 ;;
    --grep)
      (($# >= 2)) || { echo "test-e2e: --grep needs a pattern" >&2; exit 2; }
      grep=(--grep "$2")
      shift
      ;;
    *) echo "test-e2e: unknown option $1 (known: --update-docs, --plain-vsce, --grep PATTERN)" >&2; exit 2 ;;
  esac
  shift
done
start=$(date +%s)
code_server=$(bash test/e2e/install-code-server.sh)
# The examples the suite boots are assembled by the debug adapter, with nasm.
command -v nasm >/dev/null || {
  echo "test-e2e: nasm is missing; run scripts/install-test-deps.sh (or apt-get install nasm)" >&2
  exit 1
}
if ((plain_vsce)); then
  vsix=$PWD/.cache/bootvisor-e2e-plain.vsix
  mkdir -p .cache
  npx vsce package --out "$vsix" </dev/null >.cache/e2e-vsce.log 2>&1 || { cat .cache/e2e-vsce.log >&2; exit 1; }
  grep -E 'WARNING|DONE' .cache/e2e-vsce.log >&2 || true
else
  vsix=$(BOOTVISOR_PACKAGE_OUT="$PWD/.cache/bootvisor-e2e.vsix" bash scripts/package.sh)
fi
npx tsc -b test
BOOTVISOR_E2E_CODE_SERVER=$code_server BOOTVISOR_E2E_VSIX=$vsix \
  npx mocha --no-config --reporter test/reporter.js --timeout 240000 ${grep[@]+"${grep[@]}"} 'out/test/e2e/*.e2e.js'
if ((update_docs)); then
  mkdir -p docs/screenshots
  cp test-artifacts/e2e/[0-9]*-*.png docs/screenshots/
  echo "test-e2e: docs/screenshots/ updated from this run" >&2
fi
echo "test-e2e: $(( $(date +%s) - start )) s in all" >&2
