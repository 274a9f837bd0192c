// Builds the test kernels from their sources here the way a hobby-OS Makefile does: nasm for the multiboot
// entry (elf32), `gcc -m32 -ffreestanding -nostdlib` for the C, `ld -m elf_i386` with link.ld. A missing
// tool is an error that names the package to install, never a skipped test.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const KERNEL_SOURCES = path.resolve(__dirname, '..', '..', '..', 'test', 'kernels');

const CFLAGS = ['-m32', '-ffreestanding', '-nostdlib', '-fno-pie', '-fno-stack-protector', '-fno-asynchronous-unwind-tables', '-Wall', '-Wextra', '-Wno-array-bounds', '-g'];

function tool(command: string, args: string[], what: string): void {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error) {
    const pkg = command === 'nasm' ? 'nasm' : command === 'ld' ? 'binutils' : 'gcc gcc-multilib';
    throw new Error(`${command} is not installed, so the test kernels cannot be built: scripts/install-test-deps.sh (or sudo apt-get install ${pkg})`);
  }
  if (r.status !== 0) {
    const m32 = /gnu\/stubs-32|cannot find -lgcc|unrecognized.*-m32|bits\/libc-header-start/.test(r.stderr);
    throw new Error(`${what} failed${m32 ? ' (gcc has no 32-bit support here: install gcc-multilib)' : ''}:\n${r.stderr}`);
  }
}

/** A temporary folder the caller removes, holding the built kernels. */
export function kernelDir(): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-kernels-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Links NAME.elf in `dir` from entry.asm, kernel.c and the given C (and nasm) sources of test/kernels, at
 * -O level `opt`. Returns the ELF's path.
 */
export function buildKernel(dir: string, name: string, sources: string[], opt = '-O2'): string {
  const objects: string[] = [];
  for (const src of ['entry.asm', 'kernel.c', ...sources]) {
    const input = path.join(KERNEL_SOURCES, src);
    const object = path.join(dir, `${name}-${path.basename(src).replace(/\.\w+$/, '')}.o`);
    if (src.endsWith('.asm')) tool('nasm', ['-f', 'elf32', '-g', '-F', 'dwarf', input, '-o', object], `nasm ${src}`);
    else tool('gcc', [...CFLAGS, opt, '-c', input, '-o', object], `gcc ${src}`);
    objects.push(object);
  }
  const elf = path.join(dir, `${name}.elf`);
  tool('ld', ['-m', 'elf_i386', '-T', path.join(KERNEL_SOURCES, 'link.ld'), '-o', elf, ...objects], `ld ${name}.elf`);
  return elf;
}

/** A flat binary from a nasm source (`-f bin`), e.g. the a.out-kludge kernel. */
export function assembleFlat(dir: string, source: string): string {
  const out = path.join(dir, source.replace(/\.asm$/, '.bin'));
  tool('nasm', ['-f', 'bin', path.join(KERNEL_SOURCES, source), '-o', out], `nasm ${source}`);
  return out;
}
