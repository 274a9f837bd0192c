// The x86-64 test kernel (x64-entry.asm, x64.c, x64.ld): nasm -f elf64, gcc -m64 (no red zone, no SSE: the
// kernel saves no vector state), ld -m elf_x86_64; and its elf32-i386 copy (objcopy), which QEMU's -kernel
// takes as a Multiboot v1 kernel where it refuses the ELF64 file.
import { spawnSync } from 'child_process';
import * as path from 'path';

import { KERNEL_SOURCES } from './build';

function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${command} is not installed: run scripts/install-test-deps.sh`);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
}

export function buildX64Kernel(dir: string): { elf64: string; elf32: string } {
  const entry = path.join(dir, 'x64-entry.o');
  const c = path.join(dir, 'x64.o');
  const elf64 = path.join(dir, 'x64.elf');
  const elf32 = path.join(dir, 'x64-elf32.elf');
  run('nasm', ['-f', 'elf64', path.join(KERNEL_SOURCES, 'x64-entry.asm'), '-o', entry]);
  run('gcc', [
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
  ]);
  run('ld', ['-m', 'elf_x86_64', '-T', path.join(KERNEL_SOURCES, 'x64.ld'), '-o', elf64, entry, c]);
  run('objcopy', ['-O', 'elf32-i386', elf64, elf32]);
  return { elf64, elf32 };
}
