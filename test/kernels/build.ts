// Builds the test kernels from their sources here the way a hobby-OS Makefile does: nasm for the multiboot
// entry (elf32), `gcc -m32 -ffreestanding -nostdlib` for the C, `ld -m elf_i386` with link.ld. A missing
// tool is an error that names the package to install, never a skipped test.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const KERNEL_SOURCES = path.resolve(__dirname, '..', '..', '..', 'test', 'kernels');

const CFLAGS = [
  '-m32',
  '-ffreestanding',
  '-nostdlib',
  '-fno-pie',
  '-fno-stack-protector',
  '-fno-asynchronous-unwind-tables',
  '-Wall',
  '-Wextra',
  '-Wno-array-bounds',
  '-g',
];

/** Each compiler at each optimisation level the C debugging tests cover. */
export const C_BUILDS = [
  ['gcc', '-O0'],
  ['gcc', '-O2'],
  ['clang', '-O0'],
  ['clang', '-O2'],
] as const;

/**
 * DWARF 4 builds with relative file names (issue 15), the way a hobby-OS Makefile compiles from the project
 * root: `gcc -c src/kernel.c`, with (prefixMap) or without -fdebug-prefix-map=$PWD=. (the compilation
 * directory itself then reads "."); see buildInWorkspace.
 */
export const C_DWARF4_BUILDS = [
  { tag: 'gcc -O0 -gdwarf-4, relative paths, -fdebug-prefix-map=$PWD=.', cc: 'gcc', opt: '-O0', prefixMap: true },
  { tag: 'gcc -O2 -gdwarf-4, relative paths', cc: 'gcc', opt: '-O2', prefixMap: false },
  { tag: 'clang -O0 -gdwarf-4, relative paths, -fdebug-prefix-map=$PWD=.', cc: 'clang', opt: '-O0', prefixMap: true },
  { tag: 'clang -O2 -gdwarf-4, relative paths', cc: 'clang', opt: '-O2', prefixMap: false },
] as const;

/**
 * DWARF 4 variants of C_BUILDS for the stepping, breakpoint and variable tests (issue 15), built like them from
 * test/kernels with -gdwarf-4 added: gcc -O0 (one range per function, a plain line table) and clang -O2
 * (clang's own line table and .debug_loc location lists, unlike gcc's). dwarfVersions proves them DWARF 4.
 */
export const C_DWARF4_VARIANTS = [
  { cc: 'gcc', opt: '-O0', flags: ['-gdwarf-4'] },
  { cc: 'gcc', opt: '-O2', flags: ['-gdwarf-4'] },
  { cc: 'clang', opt: '-O0', flags: ['-gdwarf-4'] },
  { cc: 'clang', opt: '-O2', flags: ['-gdwarf-4'] },
] as const;

/**
 * The versions in ELF's .debug_info unit headers and .debug_line table headers (readelf), so that a test of a
 * -gdwarf-4 build fails rather than silently running DWARF 5 (nasm's units say 2 or 3).
 */
export function dwarfVersions(elf: string): { info: number[]; line: number[] } {
  const dump = (what: string, pattern: RegExp): number[] => {
    const r = spawnSync('readelf', [`--debug-dump=${what}`, elf], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.error || r.status !== 0)
      throw new Error(`readelf --debug-dump=${what} ${elf} failed: ${r.stderr ?? r.error}`);
    return [...r.stdout.matchAll(pattern)].map((m) => Number(m[1]));
  };
  return { info: dump('info', /^\s+Version:\s+(\d+)$/gm), line: dump('rawline', /^\s+DWARF Version:\s+(\d+)$/gm) };
}

/** Throws unless ELF's C units and line tables are DWARF `version` (the newest version in each section). */
export function expectDwarfVersion(elf: string, version: number): void {
  const v = dwarfVersions(elf);
  if (Math.max(...v.info) !== version || Math.max(...v.line) !== version)
    throw new Error(
      `${path.basename(elf)} is not DWARF ${version}: .debug_info units ${v.info}, .debug_line tables ${v.line}`,
    );
}

/** Runs one build tool; a missing tool or a failure is an error that says what to install or what failed. */
export function tool(command: string, args: string[], what: string, cwd?: string): void {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd });
  if (r.error) {
    const pkg = command === 'nasm' ? 'nasm' : command === 'ld' || command === 'objcopy' ? 'binutils' : command;
    throw new Error(
      `${command} is not installed, so the test kernels cannot be built: scripts/install-test-deps.sh (or sudo apt-get install ${pkg})`,
    );
  }
  if (r.status !== 0) {
    const m32 = /gnu\/stubs-32|cannot find -lgcc|unrecognized.*-m32|bits\/libc-header-start/.test(r.stderr);
    throw new Error(
      `${what} failed${m32 ? ' (the compiler has no 32-bit support here: install gcc-multilib)' : ''}:\n${r.stderr}`,
    );
  }
}

/** A temporary folder the caller removes, holding the built kernels. */
export function kernelDir(): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-kernels-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Links NAME.elf in `dir` from entry.asm (or `options.entry`: another header), kernel.c and the given C (and
 * nasm) sources of test/kernels (of `options.sourceDir` when given: a copy in a workspace, so that the DWARF
 * names the files the user opens), at -O level `opt`, linked by `options.linkScript` (link.ld). Returns the
 * ELF's path.
 */
export function buildKernel(
  dir: string,
  name: string,
  sources: string[],
  opt = '-O2',
  options: { cc?: 'gcc' | 'clang'; flags?: string[]; entry?: string; sourceDir?: string; linkScript?: string } = {},
): string {
  const cc = options.cc ?? 'gcc';
  const cflags = cc === 'clang' ? [...CFLAGS.filter((f) => f !== '-Wno-array-bounds'), '--target=i386-elf'] : CFLAGS;
  const objects: string[] = [];
  for (const src of [options.entry ?? 'entry.asm', 'kernel.c', ...sources]) {
    const input = path.join(options.sourceDir ?? KERNEL_SOURCES, src);
    const object = path.join(dir, `${name}-${path.basename(src).replace(/\.\w+$/, '')}.o`);
    if (src.endsWith('.asm'))
      tool(
        'nasm',
        ['-f', 'elf32', '-g', '-F', 'dwarf', '-i', KERNEL_SOURCES + path.sep, input, '-o', object],
        `nasm ${src}`,
      );
    else tool(cc, [...cflags, ...(options.flags ?? []), opt, '-c', input, '-o', object], `${cc} ${src}`);
    objects.push(object);
  }
  const elf = path.join(dir, `${name}.elf`);
  const ld = path.join(options.sourceDir ?? KERNEL_SOURCES, options.linkScript ?? 'link.ld');
  tool('ld', ['-m', 'elf_i386', '-T', ld, '-o', elf, ...objects], `ld ${name}.elf`);
  return elf;
}

/**
 * A copy of test/kernels in `dir`/src (the workspace a user opens), and NAME.elf built from `dir` with
 * relative names (`src/entry.asm`, `src/kernel.c`, the given sources) and -gdwarf-4, as C_DWARF4_BUILDS
 * describes; returns the ELF and the copy's folder (the DWARF names the files there).
 */
export function buildInWorkspace(
  dir: string,
  name: string,
  sources: string[],
  build: { cc: 'gcc' | 'clang'; opt: string; prefixMap: boolean },
): { elf: string; src: string } {
  const src = path.join(dir, 'src');
  fs.mkdirSync(src, { recursive: true });
  for (const f of fs.readdirSync(KERNEL_SOURCES))
    if (/\.(c|h|asm|inc|ld)$/.test(f)) fs.copyFileSync(path.join(KERNEL_SOURCES, f), path.join(src, f));
  const cflags =
    build.cc === 'clang' ? [...CFLAGS.filter((f) => f !== '-Wno-array-bounds'), '--target=i386-elf'] : CFLAGS;
  const extra = ['-gdwarf-4', ...(build.prefixMap ? [`-fdebug-prefix-map=${dir}=.`] : [])];
  const objects: string[] = [];
  for (const file of ['entry.asm', 'kernel.c', ...sources]) {
    const input = `src/${file}`;
    const object = `${name}-${file.replace(/\.\w+$/, '')}.o`;
    if (file.endsWith('.asm'))
      tool('nasm', ['-f', 'elf32', '-g', '-F', 'dwarf', '-i', 'src/', input, '-o', object], `nasm ${file}`, dir);
    else tool(build.cc, [...cflags, ...extra, build.opt, '-c', input, '-o', object], `${build.cc} ${file}`, dir);
    objects.push(object);
  }
  tool('ld', ['-m', 'elf_i386', '-T', 'src/link.ld', '-o', `${name}.elf`, ...objects], `ld ${name}.elf`, dir);
  return { elf: path.join(dir, `${name}.elf`), src };
}

/** A flat binary from a nasm source (`-f bin`), e.g. the a.out-kludge kernel. */
export function assembleFlat(dir: string, source: string): string {
  const out = path.join(dir, source.replace(/\.asm$/, '.bin'));
  tool('nasm', ['-f', 'bin', path.join(KERNEL_SOURCES, source), '-o', out], `nasm ${source}`);
  return out;
}

/**
 * The os-tutorial pattern: tutorial-boot.asm's boot sector, then the kernel (tutorial-entry.asm, kernel.c and
 * `sources`) linked at 0x1000 and stripped to a flat binary with objcopy, on a 1.44 MB floppy image. Returns
 * the image and the ELF the binary came from (its symbols and DWARF).
 */
export function buildTutorialImage(dir: string, sources: string[], opt = '-O0'): { image: string; elf: string } {
  const objects = [path.join(dir, 'tutorial-entry.o')];
  tool(
    'nasm',
    ['-f', 'elf32', path.join(KERNEL_SOURCES, 'tutorial-entry.asm'), '-o', objects[0]],
    'nasm tutorial-entry.asm',
  );
  for (const src of ['kernel.c', ...sources]) {
    const object = path.join(dir, `tutorial-${src.replace(/\.c$/, '')}.o`);
    tool('gcc', [...CFLAGS, opt, '-c', path.join(KERNEL_SOURCES, src), '-o', object], `gcc ${src}`);
    objects.push(object);
  }
  const elf = path.join(dir, 'tutorial-kernel.elf');
  tool(
    'ld',
    ['-m', 'elf_i386', '-T', path.join(KERNEL_SOURCES, 'tutorial.ld'), '-o', elf, ...objects],
    'ld tutorial-kernel.elf',
  );
  const bin = path.join(dir, 'tutorial-kernel.bin');
  tool('objcopy', ['-O', 'binary', elf, bin], 'objcopy');
  const boot = path.join(dir, 'tutorial-boot.bin');
  tool('nasm', ['-f', 'bin', path.join(KERNEL_SOURCES, 'tutorial-boot.asm'), '-o', boot], 'nasm tutorial-boot.asm');
  const kernel = fs.readFileSync(bin);
  if (kernel.length > 16 * 512)
    throw new Error(`the tutorial kernel is ${kernel.length} bytes; the boot sector loads 16 sectors`);
  const image = Buffer.alloc(1474560);
  fs.readFileSync(boot).copy(image, 0);
  kernel.copy(image, 512);
  const file = path.join(dir, 'tutorial.img');
  fs.writeFileSync(file, image);
  return { image: file, elf };
}
