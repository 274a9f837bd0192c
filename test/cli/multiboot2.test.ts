// `bootvisor run KERNEL` with a Multiboot2 header, and the framebuffer a Multiboot v1 header asks for (flag
// bit 2). QEMU's -kernel loads no Multiboot2 kernel, so the reference is the specification (2.0): the test
// kernel (test/kernels/boot-info.c, mb2-entry.asm) prints every tag it was handed, and each field is checked
// against what the spec says it must hold and against the machine's own E820 map. Broken or unmeetable
// headers are refused with status 65 and what is wrong.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import { createMachine } from '../../common/machine';
import { resetSector } from '../../common/multiboot-boot';
import { buildKernel, kernelDir } from '../kernels/build';
import { runCli, runCliAsync } from './harness';

const hex = (n: number): string => '0x' + (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
const align8 = (n: number): number => (n + 7) & ~7;

/** The firmware's E820 map of a default machine (what the memory map tag must repeat). */
function e820(): { base: number; length: number; type: number }[] {
  const m = createMachine({ image: resetSector(), bootDrive: 0x80 });
  try {
    return m.memoryMap();
  } finally {
    m.dispose();
  }
}

describe('bootvisor run: Multiboot2 kernels and the framebuffer', function () {
  this.timeout(120000);
  let k: ReturnType<typeof kernelDir>;
  let mb2: string;
  let video: string;
  const moduleText = 'the module, first line\nsecond line\n';

  before(() => {
    k = kernelDir();
    mb2 = buildKernel(k.dir, 'mb2', ['boot-info.c'], '-O2', { entry: 'mb2-entry.asm' });
    video = buildKernel(k.dir, 'video', ['boot-info.c'], '-O2', { entry: 'video-entry.asm' });
    fs.writeFileSync(path.join(k.dir, 'mod.txt'), moduleText);
  });
  after(() => k?.remove());

  it('hands a Multiboot2 kernel EAX = 0x36D76289 and the tags the spec lays out, field by field', async () => {
    const r = await runCliAsync(
      ['run', 'mb2.elf', '--serial', '-', '--cmdline', 'hello mb2', '--module', 'mod.txt', '--timeout', '60'],
      { cwd: k.dir },
    );
    assert.strictEqual(r.status, 33, r.stderr);
    assert.match(r.stderr, /loading mb2\.elf as a multiboot2 kernel: .* information at 0x9018/);
    const lines = r.stdout.split('\n');
    let i = 0;
    const next = (): string => lines[i++] ?? '';
    // Machine state (3.3): protected mode, paging off.
    assert.strictEqual(next(), 'boot-info magic=0x36D76289 cr0_pe_pg=0x00000001');

    const map = e820();
    const cmdline = 'mb2.elf hello mb2';
    const sizes = {
      cmdline: 8 + cmdline.length + 1,
      loader: 8 + 'Bootvisor'.length + 1,
      module: 16 + 'mod.txt'.length + 1,
      meminfo: 16,
      mmap: 16 + 24 * map.length,
      framebuffer: 32,
      end: 8,
    };
    const total = 8 + Object.values(sizes).reduce((n, s) => n + align8(s), 0);
    // 3.6: the information is 8-byte aligned; total_size counts the end tag; reserved is 0.
    const info = /^info at=(0x[0-9A-F]{8}) aligned total_size=(0x[0-9A-F]{8}) reserved=0x00000000$/.exec(next());
    assert.ok(info, `the information header line: ${lines[i - 1]}`);
    assert.strictEqual(info[2], hex(total));

    assert.strictEqual(next(), `tag type=0x00000001 size=${hex(sizes.cmdline)} cmdline=[${cmdline}]`);
    assert.strictEqual(next(), `tag type=0x00000002 size=${hex(sizes.loader)} loader=[Bootvisor]`);
    const mod = /^tag type=0x00000003 size=(\S+) start=(\S+) end=(\S+) string=\[mod\.txt\] first=\[(.*)\]$/.exec(
      next(),
    );
    assert.ok(mod, `the module tag: ${lines[i - 1]}`);
    assert.strictEqual(mod[1], hex(sizes.module));
    const start = Number(mod[2]);
    assert.strictEqual(start % 4096, 0, 'modules are page-aligned');
    assert.ok(start >= 0x100000, 'the module lies above the kernel');
    assert.strictEqual(Number(mod[3]) - start, moduleText.length, 'mod_end - mod_start is the file size');
    assert.strictEqual(mod[4], 'the module, first line', 'the file bytes are at mod_start');

    // Basic memory information: KiB of conventional memory and of memory from 1 MiB, as in the E820 map.
    const low = map.find((e) => e.type === 1 && e.base === 0)!;
    const high = map.find((e) => e.type === 1 && e.base === 0x100000)!;
    assert.strictEqual(
      next(),
      `tag type=0x00000004 size=${hex(sizes.meminfo)} mem_lower=${hex(low.length / 1024)} mem_upper=${hex(high.length / 1024)}`,
    );
    assert.strictEqual(
      next(),
      `tag type=0x00000006 size=${hex(sizes.mmap)} entry_size=0x00000018 entry_version=0x00000000`,
    );
    for (const e of map) {
      assert.strictEqual(
        next(),
        `mmap base_hi=0x00000000 base=${hex(e.base)} length_hi=0x00000000 length=${hex(e.length)} type=${hex(e.type)}`,
      );
    }
    // The framebuffer tag: the VGA's text mode as EGA text (type 2): 80x25 cells of 16 bits at 0xB8000.
    assert.strictEqual(
      next(),
      `tag type=0x00000008 size=${hex(sizes.framebuffer)} addr_hi=0x00000000 addr=0x000B8000 pitch=0x000000A0 ` +
        'width=0x00000050 height=0x00000019 bpp=0x00000010 fbtype=0x00000002',
    );
    assert.strictEqual(next(), 'tag type=0x00000000 size=0x00000008');
    assert.strictEqual(next(), `end walked=${hex(total)}`);
    assert.strictEqual(next(), 'bye');
  });

  it('a Multiboot v1 header asking for a video mode (flag bit 2) gets the EGA text framebuffer (info flag bit 12)', () => {
    const r = runCli(['run', video, '--serial', '-', '--timeout', '60'], { cwd: k.dir });
    assert.strictEqual(r.status, 33, r.stderr);
    const lines = r.stdout.split('\n');
    assert.strictEqual(lines[0], 'boot-info magic=0x2BADB002 cr0_pe_pg=0x00000001');
    const flags = /^info flags=(0x[0-9A-F]{8}) framebuffer$/.exec(lines[1]);
    assert.ok(flags, lines[1]);
    assert.strictEqual(Number(flags[1]) & 0x1000, 0x1000);
    assert.strictEqual(
      lines[2],
      'fb addr_hi=0x00000000 addr=0x000B8000 pitch=0x000000A0 width=0x00000050 height=0x00000019 bpp=0x00000010 fbtype=0x00000002',
    );
  });

  describe('Multiboot2 headers Bootvisor cannot honour: status 65 and why', () => {
    /** mb2.elf with its header changed; the checksum is made right again unless `keepSum`. */
    const mutate = (name: string, change: (v: DataView, header: number) => void, keepSum = false): string => {
      const b = Buffer.from(fs.readFileSync(mb2));
      const header = b.indexOf(Buffer.from([0xd6, 0x50, 0x52, 0xe8]));
      const v = new DataView(b.buffer, b.byteOffset, b.length);
      change(v, header);
      if (!keepSum) {
        const sum = v.getUint32(header, true) + v.getUint32(header + 4, true) + v.getUint32(header + 8, true);
        v.setUint32(header + 12, (2 ** 32 - (sum % 2 ** 32)) % 2 ** 32, true);
      }
      const file = path.join(k.dir, name);
      fs.writeFileSync(file, b);
      return file;
    };
    const refused = (file: string, message: RegExp): void => {
      const r = runCli(['run', file, '--timeout', '30']);
      assert.strictEqual(r.status, 65, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    };
    // The first tag (the information request) starts 16 bytes into the header; its first type at +24.
    it('a bad checksum', () =>
      refused(
        mutate('sum2.elf', (v, h) => v.setUint32(h + 12, 1, true), true),
        /Multiboot2 header at offset 0x1000 has a bad checksum/,
      ));
    it('another architecture', () =>
      refused(
        mutate('mips.elf', (v, h) => v.setUint32(h + 4, 4, true)),
        /architecture 4 \(32-bit MIPS\), not i386/,
      ));
    it('a required information tag the loader does not give (ELF sections)', () =>
      refused(
        mutate('elfsec.elf', (v, h) => v.setUint32(h + 24, 9, true)),
        /requires ELF sections \(type 9\), which Bootvisor's loader does not give/,
      ));
    it('a required EFI tag', () =>
      refused(
        mutate('efi.elf', (v, h) => v.setUint16(h + 16 + 32, 7, true)), // the console flags tag becomes EFI boot services
        /requires EFI boot services, which Bootvisor's loader \(a BIOS machine, no EFI\) cannot give/,
      ));
    it('a required graphics framebuffer smaller than any VBE mode, from a kernel without EGA text support', () =>
      refused(
        mutate('gfx.elf', (v, h) => {
          v.setUint32(h + 16 + 32 + 8, 0, true); // console flags: no EGA text
          const fb = h + 16 + 32 + 16;
          v.setUint16(fb + 2, 0, true); // the framebuffer tag required
          v.setUint32(fb + 8, 100, true);
          v.setUint32(fb + 12, 100, true);
          v.setUint32(fb + 16, 32, true);
        }),
        /asks for a 100x100x32 framebuffer .*cannot use EGA text, but no VBE mode of 32 bits fits within 100x100 \(the smallest is 320x200\)/,
      ));
  });
});
