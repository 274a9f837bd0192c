#!/usr/bin/env bash
# The C++ half of `npm run lint`: clang-format's layout (.clang-format) and clang-tidy's bug checks
# (.clang-tidy) over native/, both from Debian (scripts/install-test-deps.sh installs them). Generated tables
# are left as their generator writes them.
#   scripts/lint-native.sh [format|tidy]   check (both without an argument): non-zero on a difference or a finding
#   scripts/lint-native.sh --fix           lay the files out (clang-format -i); clang-tidy's findings stay for a person
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in clang-format clang-tidy; do
  command -v $tool >/dev/null || { echo "lint-native: $tool is missing (Debian: apt-get install $tool)" >&2; exit 1; }
done
mapfile -t files < <(git ls-files 'native/*.cpp' 'native/*.h' | grep -vxF native/src/pc/vga_font_data.cpp)
if [[ ${1:-} == --fix ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
what=${1:-all}
if [[ $what == all || $what == format ]]; then
  clang-format --dry-run --Werror "${files[@]}"
  echo "lint-native: ${#files[@]} files laid out as .clang-format says"
fi
[[ $what == all || $what == tidy ]] || exit 0
# Every source as the builds compile it: the core as binding.gyp does, the binding with Node's headers, the
# tools with the stand-in <nvmm.h> of the nested test. Two at a time (CI has 2 cores).
napi_inc=$(node -p "require('node-addon-api').include_dir")
node_inc=$(dirname "$(dirname "$(command -v node)")")/include/node
common=(-std=c++17 -Inative/include -Inative/src)
for d in $(node native/sources.js --defines --nested); do common+=("-D$d"); done
{
  for f in $(node native/sources.js core --nested) native/tools/*.cpp; do echo "$f -Inative/tools/nvmm-stub -Inative/tools"; done
  for f in $(node native/sources.js napi); do echo "$f -I$napi_inc -I$node_inc -DNAPI_VERSION=8 -DNAPI_DISABLE_CPP_EXCEPTIONS"; done
} | nice xargs -P 2 -L 1 bash -c 'f=$1; shift; clang-tidy --quiet "$f" -- "$@" '"${common[*]}"' 2>/dev/null' _
echo "lint-native: clang-tidy found nothing (.clang-tidy)"
