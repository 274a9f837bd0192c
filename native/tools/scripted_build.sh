#!/usr/bin/env bash
# Builds native/tools/scripted_test (the hardware backends' tests that need no hypervisor) into
# build/tools/scripted_test, with the software vCPU when it builds. Rebuilds only when a source changed.
# Prints the path of the binary. Used by test/backends/hardware.test.ts.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/tools
bin=$out/scripted_test
mkdir -p "$out/obj"
flags=(-std=c++17 -O1 -Wall -Wno-unused-parameter -Inative/include -Inative/src -Inative/tools -pthread)
[[ -f /usr/include/linux/kvm.h ]] && flags+=(-DBV_HAVE_KVM=1)
srcs=(native/tools/scripted_test.cpp native/tools/scripted_vcpu.cpp native/src/vmm/hybrid.cpp
      native/src/vmm/hybrid_patch.cpp native/src/vmm/memory.cpp native/src/vmm/state.cpp)
[[ -f /usr/include/linux/kvm.h ]] && srcs+=(native/src/backends/kvm_state.cpp native/src/backends/kvm_exits.cpp)
mapfile -t cpu < <(find native/src/cpu -name '*.cpp' 2>/dev/null | sort)
newest=$(ls -t "${srcs[@]}" "${cpu[@]}" native/include/bootvisor/*.h native/src/vmm/*.h native/src/backends/*.h \
  native/tools/scripted_vcpu.h native/src/cpu/*.h 2>/dev/null | head -1)
if [[ -x $bin && $bin -nt $newest ]]; then echo "$bin"; exit 0; fi
obj() { echo "$out/obj/$(echo "$1" | tr / _).o"; }
build() {  # FLAGS-EXTRA FILE...
  local extra=$1
  shift
  printf '%s\n' "$@" | xargs -P2 -I{} sh -c 'nice g++ $1 $2 -c -o "$3/obj/$(echo "$4" | tr / _).o" "$4"' _ \
    "${flags[*]}" "$extra" "$out" {}
}
objs=()
for f in "${srcs[@]}" "${cpu[@]}"; do objs+=("$(obj "$f")"); done
if ((${#cpu[@]})) && build "" "${cpu[@]}" 2>"$out/cpu.log" && build "-DBV_WITH_SOFTWARE=1" "${srcs[@]}" &&
   g++ -pthread -o "$bin" "${objs[@]}" 2>>"$out/cpu.log"; then
  echo "$bin"
  exit 0
fi
# The software vCPU is someone's work in progress: everything else is still checked.
echo "scripted_build: the software vCPU does not build or link; the hybrid checks are skipped:" >&2
grep -m3 -E 'error|undefined' "$out/cpu.log" >&2 || true
build "" "${srcs[@]}"
objs=()
for f in "${srcs[@]}"; do objs+=("$(obj "$f")"); done
g++ -pthread -o "$bin" "${objs[@]}"
echo "$bin"
