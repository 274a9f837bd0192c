#!/usr/bin/env bash
# npm run fuzz [-- TARGET...]: runs fuzz targets for FUZZ_SECONDS each (default 60) and prints, per target,
# executions and executions per second, with the load average; for pc also per CPU second (the rate per
# core, which a loaded host does not halve) and coverage. Targets (default: all four):
#   pc    native/tools/fuzz_pc.cpp, the whole PC (vCPU, devices, BIOS, snapshots, debugger calls): the VMM
#         core built by scripts/build-core.sh under libFuzzer + AddressSanitizer + UBSan (Debian's clang). A
#         crash, hang (> 10 s for one input), sanitizer report or broken invariant stops it with the
#         reproducer in build/fuzz/ (rerun: build/fuzz/fuzz_pc FILE).
#   napi  scripts/fuzz-napi.js: random calls with random arguments on the addon's surface, in a child Node.
#   dap, lsp  test/fuzz/protocol-fuzz.ts: the debug adapter (with a guest launched) and the language server
#         fed random and mutated messages, probed after each input (needs `npx tsc -b` first).
# Other targets add a case below and a name to `all`.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
out=build/fuzz
mkdir -p "$out"
targets=("$@")
all=(pc napi dap lsp)
[[ ${#targets[@]} -gt 0 ]] || targets=("${all[@]}")

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

need_clang() {
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
}

# "N exec per CPU second (user+sys), load average L": the rate per core, which a loaded host does not halve.
cpuRate() {  # EXECUTIONS FILE-WITH-"user sys"
  local load
  load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
  awk -v n="$1" -v load="$load" '{ t = $1 + $2; printf "%d exec per CPU second (%.1f s user+sys), load average %s", (t > 0 ? n / t : 0), t, load }' "$2"
}

# The VMM core instrumented for libFuzzer and the sanitizers (scripts/build-core.sh: the addon's list of
# sources, objects kept between runs), and the target linked against it.
build_pc() {
  need_clang
  # -O2 and no comparison tracing in the core: trace-cmp spent half of each execution on the clock's and the
  # instruction counters' 64-bit compares (perf); the input's structure picks ports, services and registers
  # directly, so the operands it would have fed back are not what finds new paths here.
  local flags=(-std=c++17 -g -O2 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-coverage=trace-cmp
    -fno-sanitize-recover=undefined)
  local lib
  lib=$(bash scripts/build-core.sh "$out/core" "$cxx" "${flags[@]}")
  binary=$out/fuzz_pc
  if [[ ! -x $binary || native/tools/fuzz_pc.cpp -nt $binary || $lib -nt $binary ]]; then
    nice "$cxx" -std=c++17 -g -O2 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      -Inative/include -Inative/src native/tools/fuzz_pc.cpp "$lib" -o "$binary" -lpthread $(node native/sources.js --libs)
  fi
}

run_pc() {
  build_pc
  local corpus=$out/corpus-pc log=$out/fuzz-pc.log status
  mkdir -p "$corpus"
  # Seeds in the target's own input format, written by the target itself (the examples' boot sectors).
  if [[ -z $(ls -A "$corpus") ]]; then
    BOOTVISOR_FUZZ_SEEDS=$corpus BOOTVISOR_FUZZ_SEED_IMAGES=$(find examples -name '*.img' | sort | tr '\n' ':') "$binary" >/dev/null 2>&1 || true
  fi
  set +e
  # One input may run for at most 4,000 guest instructions; -timeout catches a run that never returns.
  # -reload=0: the corpus folder is this run's alone, so rereading it every few seconds (6% of the time,
  # perf) finds nothing new. -entropic=0: entropic scheduling counts every feature of every run in a 4 MiB table, a fifth of the time
  # of a target that covers thousands of edges per input. -detect_leaks=0: libFuzzer's leak check after
  # every input that allocated more than it freed (the machines' first-seen tallies do, so most inputs)
  # scans the whole heap: measured, it halves the executions per CPU second (697 -> 365 at load 15). The
  # leak check at exit stays on (detect_leaks=1 below): LeakSanitizer scans the heap once when the run ends
  # and a leak fails the run (test/pc/fuzz.test.ts makes one on purpose, BOOTVISOR_FUZZ_LEAK=1).
  # ASan's allocator: no 0xBE fill of new blocks (max_malloc_fill_size=0; ASan does not look for reads of
  # uninitialised memory anyway), a 16 MiB quarantine for use-after-free instead of 256 MiB (a freed block
  # is still poisoned for the next 16 MiB of frees, several executions' worth), and freed pages kept instead
  # of returned to the system and faulted in again: a third less CPU per execution (perf: page faults,
  # memset and quarantine recycling were a quarter of the profile).
  local TIMEFORMAT='%U %S'
  { time ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:max_malloc_fill_size=0:quarantine_size_mb=16:allocator_release_to_os_interval_ms=-1} \
    nice "$binary" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -entropic=0 -reload=0 -detect_leaks=0 -artifact_prefix="$out/" -print_final_stats=1 "$corpus" >"$log" 2>&1; } 2>"$out/fuzz-pc.cpu"
  status=$?
  set -e
  local runs rate cov cpu
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  cpu=$(cpuRate "${runs:-0}" "$out/fuzz-pc.cpu")
  if [[ $status -ne 0 ]]; then
    grep -E 'ERROR|SUMMARY|runtime error|fuzz_pc:|Test unit written|Direct leak' "$log" | head -20 >&2
    echo "fuzz pc: FAILED after ${runs:-?} executions (log: $log)" >&2
    exit "$status"
  fi
  echo "fuzz pc: ${runs:-0} executions in ${seconds} s, ${rate:-0} exec/s, coverage ${cov:-?} (edges, features); ${cpu}; no crash, hang, sanitizer report or broken invariant"
}

# A fuzzer in Node: NAME COMMAND...; its own last line, and the load average beside it (no per-CPU rate:
# the machines' and servers' own threads and processes burn CPU time that is not the fuzzer's).
run_node() {
  local name=$1 log=$out/fuzz-$1.log status
  shift
  set +e
  FUZZ_SECONDS=$seconds nice "$@" >"$log" 2>&1
  status=$?
  set -e
  if [[ $status -ne 0 ]]; then
    tail -20 "$log" >&2
    echo "fuzz $name: FAILED (status $status, log: $log)" >&2
    exit 1
  fi
  echo "$(grep "^fuzz $name:" "$log" | tail -1); load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
}

# The debug adapter's or the language server's message handling.
run_protocol() {  # dap|lsp
  if [[ ! -f out/test/fuzz/protocol-fuzz.js ]]; then
    echo "fuzz $1: out/test/fuzz/protocol-fuzz.js is missing: compile the TypeScript first (npx tsc -b)" >&2
    exit 1
  fi
  run_node "$1" node out/test/fuzz/protocol-fuzz.js "$1"
}

for t in "${targets[@]}"; do
  case $t in
    pc) run_pc ;;
    napi) run_node napi node scripts/fuzz-napi.js "$seconds" ;;
    dap | lsp) run_protocol "$t" ;;
    *) echo "fuzz: unknown target $t (${all[*]})" >&2; exit 64 ;;
  esac
done
