#!/usr/bin/env bash
# Boots an image under QEMU the way the differential tests do (test/pc/qemu.ts): TCG, SeaBIOS, COM1 on
# standard output, port 0xE9 on standard error, QEMU's isa-debug-exit on port 0xF4, and a triple fault
# pauses the VM instead of rebooting it. To compare with `bootvisor run IMAGE --serial -` by hand.
#   scripts/qemu-run.sh examples/hello/hello.img [hdd] [extra qemu options...]
# Quit with Ctrl-C (or the guest writing to port 0xF4).
set -euo pipefail
if [[ $# -lt 1 || ! -f $1 ]]; then
  echo "usage: $0 IMAGE [floppy|hdd] [qemu options...]" >&2
  exit 64
fi
image=$1
shift
drive=floppy
if [[ ${1:-} == hdd || ${1:-} == floppy ]]; then
  [[ $1 == hdd ]] && drive=ide
  shift
fi
command -v qemu-system-i386 >/dev/null || {
  echo "qemu-system-i386 is missing: scripts/install-test-deps.sh (or sudo apt-get install qemu-system-x86)" >&2
  exit 69
}
exec qemu-system-i386 -accel tcg -display none -no-reboot -action reboot=shutdown,shutdown=pause -m 32 \
  -serial stdio -monitor none -debugcon file:/dev/stderr -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  -drive "file=$image,format=raw,if=$drive,snapshot=on" "$@"
