// The ELF symbol table and DWARF line-table reader (common/elf-symbols.ts, common/dwarf-line.ts) against
// binutils (addr2line, nm) on the test kernels built by gcc (DWARF 4 and 5, -O0 and -O2), clang and nasm;
// and the CLI naming a crash's C line and function, for a multiboot kernel and, with --symbols, for the
// os-tutorial pattern (a boot sector loading the kernel's flat binary).
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';

import { breakpointSites } from '../../common/breakpoint-sites';
import { ElfDebugInfo } from '../../common/elf-debug-info';
import { buildKernel, buildTutorialImage, KERNEL_SOURCES, kernelDir } from '../kernels/build';
import { runCli } from './harness';

const base = (f: string): string => f.slice(f.lastIndexOf('/') + 1);
const lineOf = (file: string, text: string): number =>
  fs
    .readFileSync(`${KERNEL_SOURCES}/${file}`, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text)) + 1;

describe('ELF symbols and DWARF lines', function () {
  this.timeout(120000);
  let k: ReturnType<typeof kernelDir>;
  before(() => (k = kernelDir()));
  after(() => k?.remove());

  const builds: { name: string; sources: string[]; opt: string; cc?: 'gcc' | 'clang'; flags: string[] }[] = [
    { name: 'bare-O0-dwarf4', sources: ['bare.c'], opt: '-O0', flags: ['-gdwarf-4'] },
    { name: 'irq-O2-dwarf5', sources: ['irq.c', 'cpu.c', 'isr.asm'], opt: '-O2', flags: ['-gdwarf-5'] },
    {
      name: 'paging-O1-clang',
      sources: ['paging.c', 'cpu.c', 'isr.asm'],
      opt: '-O1',
      cc: 'clang',
      flags: ['-gdwarf-4'],
    },
  ];
  for (const b of builds) {
    it(`${b.name}: every row's address is on the line addr2line says, and every function where nm says`, () => {
      if (b.cc === 'clang' && spawnSync('clang', ['--version']).error)
        throw new Error('clang is not installed: scripts/install-test-deps.sh');
      const elf = buildKernel(k.dir, b.name, b.sources, b.opt, { cc: b.cc, flags: b.flags });
      const info = new ElfDebugInfo(fs.readFileSync(elf));
      const files = info.lines.files().map(base);
      for (const src of [...b.sources, 'entry.asm', 'kernel.c']) assert.ok(files.includes(src), `${src} in ${files}`);
      const addresses = [...new Set(info.lines.rows.filter((r) => !r.endSequence).map((r) => r.address))];
      assert.ok(addresses.length > 100, `${addresses.length} addresses`);
      const theirs = execFileSync('addr2line', ['-e', elf, ...addresses.map((a) => '0x' + a.toString(16))], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      })
        .trim()
        .split('\n');
      addresses.forEach((a, i) => {
        const row = info.lines.lineAt(a);
        const want = theirs[i].replace(/ \(discriminator \d+\)$/, '');
        if (want.endsWith(':?') || want.endsWith(':0'))
          assert.strictEqual(row, undefined, `0x${a.toString(16)}: addr2line ${want}`);
        else assert.strictEqual(`${base(row!.file)}:${row!.line}`, base(want), `0x${a.toString(16)}`);
      });
      const nm = execFileSync('nm', [elf], { encoding: 'utf8' });
      for (const line of nm.split('\n').filter((l) => / [Tt] /.test(l))) {
        const [addr, , name] = line.split(' ');
        assert.strictEqual(info.symbols.addressOf(name), parseInt(addr, 16), name);
        assert.strictEqual(info.placeOf(parseInt(addr, 16))?.symbol, name, `${name} at its own address`);
      }
      // A line with code gives addresses on that line; a line without code moves to the next that has some.
      const kputsLine = lineOf('kernel.c', 'while (*s) kputc(*s++);');
      const at = info.lines.addressesOf('kernel.c', kputsLine);
      assert.ok(at && at.addresses.length > 0);
      // (Optimised code puts rows of several lines at one address; at -O0 each is that line's own.)
      if (b.opt === '-O0') for (const a of at.addresses) assert.strictEqual(info.lines.lineAt(a)?.line, at.line);
      const blank = lineOf('kernel.c', '#define COM1') + 1;
      const moved = info.lines.addressesOf('kernel.c', blank);
      assert.ok(moved && moved.line > blank, 'moved past a line with no code');
    });
  }

  it('a C line split in two stretches in its own function (clang -O2, DWARF 4 and 5) gets one breakpoint site, as gdb', () => {
    const loop = lineOf('cvars.c', 'BREAK loop');
    for (const dwarf of ['-gdwarf-4', '-gdwarf-5']) {
      const elf = buildKernel(k.dir, `cvars-clang${dwarf}`, ['cvars.c'], '-O2', { cc: 'clang', flags: [dwarf] });
      const info = ElfDebugInfo.fromFile(elf);
      // clang puts `sum += scale(*ptr, i);` before the call and again at the add after it, both statements.
      const stretches = info.lines.addressesOf('cvars.c', loop);
      assert.strictEqual(stretches?.addresses.length, 2, `${dwarf}: ${JSON.stringify(stretches)}`);
      assert.deepStrictEqual(breakpointSites(info, 'cvars.c', loop), {
        line: loop,
        addresses: [stretches.addresses[0]],
      });
    }
  });

  it("bootvisor run names a multiboot kernel's triple fault by C line and function", () => {
    const elf = buildKernel(k.dir, 'crash', ['crash.c'], '-O0');
    const r = runCli(['run', elf, '--timeout', '60']);
    assert.strictEqual(r.status, 2, r.stderr);
    const line = lineOf('crash.c', 'return x / divisor;');
    assert.match(
      r.stderr,
      new RegExp(`triple fault: the CPU shut down at 0008:[0-9A-F]{8} \\(.*crash\\.c:${line}: divide\\+0x[0-9a-f]+\\)`),
    );
    assert.match(r.stderr, new RegExp(`#DE at 0008:[0-9A-F]{8} \\(.*crash\\.c:${line}: divide\\+0x[0-9a-f]+\\) \\[F7`));
  });

  it('--symbols names the code of a kernel a boot sector loaded (the os-tutorial pattern)', () => {
    const { image, elf } = buildTutorialImage(k.dir, ['crash.c']);
    const line = lineOf('crash.c', 'return x / divisor;');
    const named = runCli(['run', image, '--serial', '-', '--symbols', elf, '--timeout', '60']);
    assert.strictEqual(named.stdout, 'about to divide by zero\n');
    assert.strictEqual(named.status, 2, named.stderr);
    assert.match(named.stderr, new RegExp(`#DE at 0008:[0-9A-F]{4} \\(.*crash\\.c:${line}: divide\\+0x[0-9a-f]+\\)`));
    const bare = runCli(['run', image, '--timeout', '60']);
    assert.doesNotMatch(bare.stderr, /crash\.c/, 'without --symbols nothing names the C');
    const missing = runCli(['run', image, '--symbols', `${k.dir}/nothere.elf`]);
    assert.strictEqual(missing.status, 66);
    assert.match(missing.stderr, /--symbols .*nothere\.elf: .*no such file/);
  });
});
