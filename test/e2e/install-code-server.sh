#!/usr/bin/env bash
# Installs what the end-to-end suite needs, once, outside the repository: Debian's Chromium (the browser
# playwright drives), nasm (the adapter assembles the examples), ripgrep and libkrb5-dev (code-server's
# install needs them), and code-server 4.100.3 from npm under $BOOTVISOR_E2E_CACHE (default
# ~/.cache/bootvisor-e2e). 4.100.3 is the newest code-server that runs on Node 20, which is why the
# extension's engines.vscode stays at ^1.100.0.
# Prints the code-server executable's path on stdout; everything else goes to stderr.
set -euo pipefail
version=4.100.3
cache=${BOOTVISOR_E2E_CACHE:-$HOME/.cache/bootvisor-e2e}
prefix=$cache/code-server-$version
bin=$prefix/node_modules/.bin/code-server

need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
command -v rg >/dev/null || need+=(ripgrep)
[[ -f /usr/include/krb5.h || -f /usr/include/krb5/krb5.h ]] || need+=(libkrb5-dev)
command -v nasm >/dev/null || need+=(nasm)
if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "test-e2e: missing Debian packages ${need[*]}; run as root or: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "test-e2e: installing ${need[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [[ ! -x $bin || ! -f $prefix/.complete ]]; then
  echo "test-e2e: installing code-server $version into $prefix (2-3 minutes the first time)" >&2
  rm -rf "$prefix"
  mkdir -p "$prefix"
  # code-server's ripgrep dependency downloads rg from GitHub unless it finds this cached tarball.
  tmp=$prefix/.tmp
  rgcache=$tmp/vscode-ripgrep-cache-1.15.11
  mkdir -p "$rgcache" "$tmp/rg"
  cp "$(command -v rg)" "$tmp/rg/rg"
  tar -czf "$rgcache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$tmp/rg" rg
  echo '{"name":"bootvisor-e2e-code-server","private":true}' >"$prefix/package.json"
  (
    cd "$prefix"
    # As root the install script refuses to run without unsafe-perm; node-pty's `npx node-gyp` prompts without
    # yes; npm 11.10+ skips dependencies' install scripts unless allowed, and code-server is mostly install script
    # (it installs VS Code's own dependencies, several of them native). The environment reaches its nested installs.
    TMPDIR=$tmp npm_config_unsafe_perm=true npm_config_yes=true npm_config_dangerously_allow_all_scripts=true \
      npm install --no-audit --no-fund --no-save "code-server@$version" >&2
  )
  [[ -x $bin && -d $prefix/node_modules/code-server/lib/vscode/node_modules/node-pty ]] ||
    { echo "test-e2e: code-server did not install completely (see the npm output above)" >&2; exit 1; }
  touch "$prefix/.complete"
fi
echo "$bin"
