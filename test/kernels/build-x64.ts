// The x86-64 test kernel (x64-entry.asm, x64.c, x64.ld): nasm -f elf64, gcc -m64 (no red zone, no SSE: the
// kernel saves no vector state), ld -m elf_x86_64; and its elf32-i386 copy (objcopy), which QEMU's -kernel
// takes as a Multiboot v1 kernel where it refuses the ELF64 file.
import * as path from 'path';

import { KERNEL_SOURCES, tool } from './build';

export function buildX64Kernel(dir: string): { elf64: string; elf32: string } {
  const entry = path.join(dir, 'x64-entry.o');
  const c = path.join(dir, 'x64.o');
  const elf64 = path.join(dir, 'x64.elf');
  const elf32 = path.join(dir, 'x64-elf32.elf');
  tool('nasm', ['-f', 'elf64', path.join(KERNEL_SOURCES, 'x64-entry.asm'), '-o', entry], 'nasm x64-entry.asm');
  tool(
    'gcc',
    [
      '-m64',
      '-ffreestanding',
      '-nostdlib',
      '-fno-pie',
      '-fno-stack-protector',
      '-fno-asynchronous-unwind-tables',
      '-mno-red-zone',
      '-mgeneral-regs-only',
      '-O2',
      '-c',
      path.join(KERNEL_SOURCES, 'x64.c'),
      '-o',
      c,
    ],
    'gcc -m64 x64.c',
  );
  tool('ld', ['-m', 'elf_x86_64', '-T', path.join(KERNEL_SOURCES, 'x64.ld'), '-o', elf64, entry, c], 'ld x64.elf');
  tool('objcopy', ['-O', 'elf32-i386', elf64, elf32], 'objcopy x64-elf32.elf');
  return { elf64, elf32 };
}
