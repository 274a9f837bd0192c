#!/usr/bin/env bash
# npm run fuzz: builds native/tools/fuzz_cpu.cpp with the software vCPU's sources (not the addon) under
# libFuzzer + AddressSanitizer + UBSan (Debian's clang), runs it for FUZZ_SECONDS (default 60) and prints how
# many executions it survived. A crash, hang (> 10 s for one input), sanitizer report or stray access
# outside guest RAM stops it with the reproducer in build/fuzz/ (rerun: build/fuzz/fuzz_cpu FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
out=build/fuzz
mkdir -p "$out/corpus"

find_clang() {
  for c in clang++ clang++-16 clang++-15 clang++-14; do
    if command -v "$c" >/dev/null && echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long){return 0;}' |
        "$c" -x c++ -fsanitize=fuzzer,address,undefined -o /dev/null - 2>/dev/null; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

if ! cxx=$(find_clang); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "fuzz: installing clang and libFuzzer from Debian (clang, libclang-rt-14-dev)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev >/dev/null
  fi
  cxx=$(find_clang) || {
    echo "fuzz: needs clang with libFuzzer (Debian: sudo apt-get install clang libclang-rt-14-dev)" >&2
    exit 1
  }
fi

sources=(native/tools/fuzz_cpu.cpp native/src/cpu/*.cpp native/src/cpu/pm/*.cpp native/src/vmm/memory.cpp native/src/vmm/state.cpp)
binary=$out/fuzz_cpu
if [[ ! -x $binary ]] || [[ -n $(find "${sources[@]}" native/include native/src/cpu -newer "$binary" -print -quit) ]]; then
  echo "fuzz: building $binary with $cxx" >&2
  nice "$cxx" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Inative/include -Inative/src "${sources[@]}" -o "$binary"
fi

# Seeds: the examples' boot sectors behind an all-zero machine header (real mode, code at 0x7C00).
while IFS= read -r img; do
  seed=$out/corpus/seed-$(basename "$img" .img)
  [[ -f $seed ]] || { head -c 400 /dev/zero; head -c 4096 "$img"; } >"$seed"
done < <(find examples -name '*.img' 2>/dev/null)

log=$out/fuzz.log
set +e
nice "$binary" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$out/" -print_final_stats=1 "$out/corpus" >"$log" 2>&1
status=$?
set -e
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
if [[ $status -ne 0 ]]; then
  grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 >&2
  echo "fuzz: FAILED after ${runs:-?} executions (log: $log)" >&2
  exit "$status"
fi
echo "fuzz: ${runs:-0} executions survived in ${seconds} s (no crash, hang, sanitizer report or access outside guest RAM)"
