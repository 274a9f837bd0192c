#!/usr/bin/env bash
# Builds the plain C++ drivers of native/tools/pc_* (no Node): the VMM core (cpu, pc, vmm) linked into each.
# Output: build/pc-tools/<name>. Used by test/pc/native-*.test.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/pc-tools
mkdir -p "$out/obj"
exec 9>/tmp/bootvisor-pc-tools.lock
flock 9
# The addon's own source list (backends the host can build included), without the N-API binding.
srcs=$(node native/sources.js | tr ' ' '\n' | grep -v '^native/src/napi/')
defs=$(node native/sources.js --defines | tr ' ' '\n' | sed -n 's/^./-D&/p' | tr '\n' ' ')
libs=$(node native/sources.js --libs)
objs=()
for s in $srcs; do
  o="$out/obj/$(echo "$s" | tr '/' '_' | sed 's/\.cpp$/.o/')"
  if [[ ! -f $o || $s -nt $o || -n $(find native/include native/src -name '*.h' -newer "$o" -print -quit) ]]; then
    g++ -std=c++17 -O2 -g -Wall -Wno-unused-parameter $defs -Inative/include -Inative/src -c "$s" -o "$o"
  fi
  objs+=("$o")
done
for t in native/tools/pc_*.cpp; do
  name=$(basename "$t" .cpp)
  g++ -std=c++17 -O2 -g -Wall -Wno-unused-parameter -Inative/include -Inative/src "$t" "${objs[@]}" -o "$out/$name" -lpthread $libs
done
