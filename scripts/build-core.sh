#!/usr/bin/env bash
# The VMM core (native/sources.js core: cpu, pc, base, vmm, backends; no N-API) as a static library, built
# with the caller's compiler and flags, for the builds node-gyp does not make: the fuzzer's (clang with
# libFuzzer coverage, ASan, UBSan: scripts/fuzz.sh) and the nested KVM test's (static, NVMM over KVM:
# scripts/test-kvm.sh). The addon and the plain tools link the library binding.gyp builds from the same list.
#
#   scripts/build-core.sh OUT [--nested] COMPILER FLAG...    prints OUT/libbootvisor_core.a
#
# Objects stay in OUT between runs; one is compiled again when its source, or any header of the tree, is
# newer. Two compilers at a time (CI and this machine have 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
shift
nested=()
if [[ ${1:-} == --nested ]]; then
  nested=(--nested)
  shift
fi
(($# > 0)) || { echo "build-core: usage: build-core.sh OUT [--nested] COMPILER FLAG..." >&2; exit 64; }
compile=("$@")
for d in $(node native/sources.js --defines "${nested[@]}"); do compile+=("-D$d"); done
for i in $(node native/sources.js --includes "${nested[@]}") native/include native/src; do compile+=("-I$i"); done
mkdir -p "$out/obj"
exec 9>"$out/.lock"
flock 9
# The flags are part of what an object is: other flags, other objects.
stamp="$out/obj/flags"
[[ -f $stamp && $(cat "$stamp") == "${compile[*]}" ]] || { rm -f "$out"/obj/*.o; echo "${compile[*]}" >"$stamp"; }
objs=() todo=()
for s in $(node native/sources.js core "${nested[@]}"); do
  o="$out/obj/$(echo "$s" | tr '/' '_' | sed 's/\.cpp$/.o/')"
  objs+=("$o")
  if [[ ! -f $o || $s -nt $o || -n $(find native/include native/src native/tools -name '*.h' -newer "$o" -print -quit) ]]; then
    todo+=("$s:$o")
  fi
done
if ((${#todo[@]})); then
  echo "build-core: compiling ${#todo[@]} of ${#objs[@]} VMM sources with ${compile[0]}" >&2
  printf '%s\n' "${todo[@]}" | xargs -P 2 -I{} bash -c 'src=${1%%:*}; obj=${1##*:}; shift; "$@" -c "$src" -o "$obj"' _ {} \
    "${compile[@]}"
fi
lib=$out/libbootvisor_core.a
if [[ ! -f $lib || -n $(find "${objs[@]}" -newer "$lib" -print -quit) || $(ar t "$lib" | wc -l) -ne ${#objs[@]} ]]; then
  rm -f "$lib"
  ar rcs "$lib" "${objs[@]}"
fi
echo "$lib"
