#!/usr/bin/env bash
# Installs what `npm test` and the benchmarks need from Debian's packages: nasm (assembles the examples and
# the test programs), qemu-system-x86 with SeaBIOS (the reference emulator), bochs (a second reference for the
# CPU tests and benchmarks), clang with its libFuzzer runtime (the vCPU fuzz target), clang-format and
# clang-tidy (the C++ half of `npm run lint`). Idempotent and quiet when everything is there already. gcc and
# binutils build the C test kernels (gcc -m32 -ffreestanding needs no 32-bit libc), and gdb drives the gdb
# stub's tests. `npm run test:kvm` and `npm run test:e2e` install their own extras.
set -euo pipefail
need=()
command -v nasm >/dev/null || need+=(nasm)
command -v qemu-system-i386 >/dev/null || need+=(qemu-system-x86)
[[ -f /usr/share/seabios/bios.bin ]] || need+=(seabios)
command -v bochs >/dev/null || need+=(bochs bochsbios bochs-term)
[[ -f /usr/share/vgabios/vgabios.bin || -f /usr/share/vgabios/vgabios-cirrus.bin ]] || need+=(vgabios)
command -v clang >/dev/null || need+=(clang)
command -v gcc >/dev/null || need+=(gcc)
command -v ld >/dev/null || need+=(binutils)
command -v gdb >/dev/null || need+=(gdb)
compgen -G '/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a' >/dev/null || need+=(libclang-rt-14-dev)
command -v clang-format >/dev/null || need+=(clang-format)
command -v clang-tidy >/dev/null || need+=(clang-tidy)
[[ -f /usr/share/consolefonts/Lat15-VGA16.psf.gz ]] || need+=(console-setup-linux)
((${#need[@]} == 0)) && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "install-test-deps: missing ${need[*]}; run as root or: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
echo "install-test-deps: installing ${need[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
