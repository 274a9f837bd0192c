// `bootvisor run KERNEL`: multiboot kernels built from test/kernels with gcc -m32 boot as under QEMU -kernel
// (the same COM1 output and exit status), the information structure carries the E820 map, the command line
// and the modules, and every kind of broken kernel is refused with status 65 and a message saying what is wrong.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import { createMultibootMachine } from '../../common/multiboot-boot';
import { parseMultibootKernel } from '../../common/multiboot';
import { assembleFlat, buildKernel, kernelDir } from '../kernels/build';
import { runKernelInQemu } from '../kernels/qemu-kernel';
import { requireQemu } from '../pc/qemu';
import { runCli, runCliAsync } from './harness';

describe('bootvisor run: multiboot kernels', function () {
  this.timeout(120000);
  let k: ReturnType<typeof kernelDir>;
  let bare: string;

  before(() => {
    requireQemu();
    k = kernelDir();
    bare = buildKernel(k.dir, 'bare', ['bare.c']);
    fs.writeFileSync(path.join(k.dir, 'first.txt'), 'first module line\nsecond line\n');
    fs.writeFileSync(path.join(k.dir, 'second.txt'), 'another module');
  });
  after(() => k?.remove());

  it('the Bare Bones kernel prints the same as under QEMU -kernel, command line and modules included', async () => {
    const args = { cmdline: 'hello world --verbose', modules: ['first.txt', 'second.txt'] };
    const [ours, qemu] = await Promise.all([
      runCliAsync(
        [
          'run',
          'bare.elf',
          '--serial',
          '-',
          '--cmdline',
          args.cmdline,
          '--module',
          'first.txt',
          '--module',
          'second.txt',
          '--timeout',
          '60',
        ],
        { cwd: k.dir },
      ),
      runKernelInQemu('bare.elf', { cwd: k.dir, ...args }),
    ]);
    assert.match(ours.stdout, /magic 0x2BADB002 ok\n/);
    assert.match(ours.stdout, /cmdline \[bare\.elf hello world --verbose\]\n/);
    assert.match(
      ours.stdout,
      /\[first\.txt\] 30 bytes, page-aligned: yes, after the kernel: yes, first line: first module line\n/,
    );
    assert.match(ours.stdout, /bye\n$/);
    assert.strictEqual(ours.stdout, qemu.serial, 'COM1 output, Bootvisor then QEMU');
    assert.strictEqual(ours.status, 33, ours.stderr);
    assert.strictEqual(qemu.status, 33);
    assert.match(
      ours.stderr,
      /loading bare\.elf as a multiboot kernel: 0x100000-0x1[0-9A-F]{5}, entry 0x1[0-9A-F]{5}, 2 modules from 0x1[0-9A-F]{2}000, information at 0x9018/,
    );
  });

  it('with no --cmdline the command line is the kernel name and a space, as QEMU gives it; the VGA screen shows the text', async () => {
    const [ours, qemu] = await Promise.all([
      runCliAsync(['run', bare, '--serial', '-', '--screen', path.join(k.dir, 'screen.txt'), '--timeout', '60'], {
        cwd: k.dir,
      }),
      runKernelInQemu(bare, { cwd: k.dir }),
    ]);
    assert.match(ours.stdout, new RegExp(`cmdline \\[${bare.replace(/[.\\/]/g, '\\$&')} \\]`));
    assert.match(ours.stdout, /modules 0\n/);
    assert.strictEqual(ours.stdout, qemu.serial);
    const screen = fs.readFileSync(path.join(k.dir, 'screen.txt'), 'utf8');
    assert.match(screen, /^Hello from a multiboot kernel\nmagic 0x2BADB002 ok\n/);
  });

  const KERNELS: { name: string; sources: string[]; expect: RegExp }[] = [
    {
      name: 'irq',
      sources: ['irq.c', 'cpu.c', 'isr.asm'],
      expect:
        /#BP: INT3 trapped[^]*#UD at the ud2[^]*timer: 5 ticks on IRQ0\nkeyboard: IRQ1 brought 0x0000001E and 0x0000009E\nbye\n$/,
    },
    {
      name: 'paging',
      sources: ['paging.c', 'cpu.c', 'isr.asm'],
      expect:
        /the 4 MiB page reads: written through 0xC0000000\nPTE of 0xC0000000: accessed yes, dirty yes\n#PF at 0xD0001234, error code 0x00000002[^]*store landed: 0xFEEDF00D\nbye\n$/,
    },
  ];
  for (const kernel of KERNELS) {
    for (const opt of ['-O0', '-O2']) {
      it(`the ${kernel.name} kernel at ${opt} prints the same as under QEMU -kernel`, async () => {
        const elf = buildKernel(k.dir, `${kernel.name}${opt}`, kernel.sources, opt);
        const [ours, qemu] = await Promise.all([
          runCliAsync(['run', elf, '--serial', '-', '--timeout', '60']),
          runKernelInQemu(elf, { cwd: k.dir }),
        ]);
        assert.match(ours.stdout, kernel.expect, ours.stderr);
        assert.strictEqual(ours.stdout, qemu.serial, 'COM1 output, Bootvisor then QEMU');
        assert.strictEqual(ours.status, 33);
        assert.strictEqual(qemu.status, 33);
      });
    }
  }

  it('an a.out-kludge kernel (a flat binary whose header gives the addresses) loads as under QEMU', async () => {
    const flat = assembleFlat(k.dir, 'aout.asm');
    const [ours, qemu] = await Promise.all([
      runCliAsync(['run', flat, '--serial', '-', '--timeout', '60']),
      runKernelInQemu(flat, { cwd: k.dir }),
    ]);
    assert.strictEqual(ours.stdout, 'a.out kludge kernel: magic ok\nbss zeroed\n');
    assert.strictEqual(ours.stdout, qemu.serial);
    assert.strictEqual(ours.status, 33);
  });

  it('the CPU starts as the Multiboot spec says, and the information structure holds the E820 map, command line and modules', () => {
    const bytes = fs.readFileSync(bare);
    const kernel = parseMultibootKernel(bytes, 'bare.elf');
    const mod = new TextEncoder().encode('module bytes');
    const { machine: m, placement } = createMultibootMachine({ memoryMiB: 64 }, kernel, {
      kernelName: 'bare.elf',
      cmdline: 'a=1',
      modules: [{ name: 'm.bin', data: mod }],
    });
    try {
      const r = m.getRegisters();
      assert.strictEqual(r.eax, 0x2badb002);
      assert.strictEqual(r.ebx, placement.infoAddress);
      assert.strictEqual(r.eip, kernel.entry);
      assert.strictEqual(r.cr0 & 0x80000001, 1, 'PE on, PG off');
      assert.strictEqual(r.eflags & 0x20200, 0, 'IF and VM clear');
      for (const s of [r.cs, r.ds, r.es, r.fs, r.gs, r.ss]) {
        assert.strictEqual(s.base, 0);
        assert.strictEqual(s.limit, 0xffffffff);
        assert.ok(s.attrib & 0x400, '32-bit');
      }
      assert.strictEqual(r.cs.attrib & 0x8, 0x8, 'CS is code');
      assert.strictEqual(r.ds.attrib & 0xa, 0x2, 'DS is writable data');
      assert.ok(m.portRead(0x92) & 2, 'A20 on');
      const u32 = (a: number): number => new DataView(m.readMemory(a, 4, 'physical').buffer).getUint32(0, true);
      const str = (a: number): string =>
        Buffer.from(m.readMemory(a, 64, 'physical'))
          .toString('latin1')
          .split('\0')[0];
      const mbi = placement.infoAddress;
      assert.strictEqual(u32(mbi) & 0x24d, 0x24d, 'flags: memory, cmdline, modules, mmap, loader name');
      const map = m.memoryMap();
      assert.strictEqual(u32(mbi + 4), map[0].length / 1024, 'mem_lower from the E820 map');
      assert.strictEqual(u32(mbi + 8), (64 << 10) - 1024, 'mem_upper from the E820 map');
      assert.strictEqual(str(u32(mbi + 16)), 'bare.elf a=1');
      assert.strictEqual(str(u32(mbi + 64)), 'Bootvisor');
      assert.strictEqual(u32(mbi + 20), 1);
      const entry = u32(mbi + 24);
      const start = u32(entry);
      assert.strictEqual(start % 4096, 0);
      assert.strictEqual(u32(entry + 4) - start, mod.length);
      assert.deepStrictEqual(Buffer.from(m.readMemory(start, mod.length, 'physical')).toString(), 'module bytes');
      assert.strictEqual(str(u32(entry + 8)), 'm.bin');
      // The memory map: one 24-byte entry (size 20) per E820 entry, the same values.
      assert.strictEqual(u32(mbi + 44), map.length * 24);
      const mmap = m.readMemory(u32(mbi + 48), map.length * 24, 'physical');
      const view = new DataView(mmap.buffer, mmap.byteOffset);
      map.forEach((e, i) => {
        assert.strictEqual(view.getUint32(i * 24, true), 20);
        assert.strictEqual(Number(view.getBigUint64(i * 24 + 4, true)), e.base);
        assert.strictEqual(Number(view.getBigUint64(i * 24 + 12, true)), e.length);
        assert.strictEqual(view.getUint32(i * 24 + 20, true), e.type);
      });
      // The segments are where the program headers say, and the bss is zero.
      for (const s of kernel.segments) {
        assert.deepStrictEqual(Buffer.from(m.readMemory(s.address, s.data.length, 'physical')), Buffer.from(s.data));
        const bss = m.readMemory(s.address + s.data.length, s.memorySize - s.data.length, 'physical');
        assert.ok(bss.every((b) => b === 0));
      }
      assert.strictEqual(fs.readFileSync(bare).compare(bytes), 0, 'the kernel file is never written');
    } finally {
      m.dispose();
    }
  });

  describe('broken kernels: status 65 and what is wrong', () => {
    /** The bare kernel with some bytes changed. */
    const mutate = (name: string, change: (b: Buffer, v: DataView) => void): string => {
      const b = Buffer.from(fs.readFileSync(bare));
      change(b, new DataView(b.buffer, b.byteOffset, b.length));
      const file = path.join(k.dir, name);
      fs.writeFileSync(file, b);
      return file;
    };
    const headerAt = (b: Buffer): number => b.indexOf(Buffer.from([0x02, 0xb0, 0xad, 0x1b]));
    const refused = (file: string, message: RegExp, extra: string[] = []): void => {
      const r = runCli(['run', file, '--timeout', '30', ...extra]);
      assert.strictEqual(r.status, 65, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    };

    it('a 64-bit ELF', () =>
      refused(
        mutate('x64.elf', (b) => (b[4] = 2)),
        /64-bit ELF without a Multiboot2 header; Multiboot v1 loads 32-bit kernels.*-m32/,
      ));
    it('an ELF for another machine', () =>
      refused(
        mutate('arm.elf', (_b, v) => v.setUint16(18, 40, true)),
        /machine 40, not i386/,
      ));
    it('a relocatable object', () =>
      refused(
        mutate('obj.elf', (_b, v) => v.setUint16(16, 1, true)),
        /relocatable object: link it/,
      ));
    it('no multiboot header in the first 8 KiB', () =>
      refused(
        mutate('nohdr.elf', (b) => b.writeUInt32LE(0, headerAt(b))),
        /no multiboot header \(magic 0x1BADB002, 32-bit aligned\) in the first 8192 bytes/,
      ));
    it('a bad checksum', () =>
      refused(
        mutate('sum.elf', (b) => b.writeUInt32LE(0x12345678, headerAt(b) + 8)),
        /multiboot header at offset 0x1000 has a bad checksum: 0x12345678/,
      ));
    const withFlags = (flags: number) => (b: Buffer) => {
      const at = headerAt(b);
      b.writeUInt32LE(flags, at + 4);
      b.writeUInt32LE(-(0x1badb002 + flags) >>> 0, at + 8);
    };
    it('a requirement the spec does not define (flag bit 5)', () =>
      refused(mutate('bit5.elf', withFlags(0x23)), /set bit 5, requirements Multiboot 0\.6\.96 does not define/));
    it('a segment beyond RAM', () =>
      refused(bare, /beyond the guest's 1 MiB of RAM \(give it more with --memory/, ['--memory', '1']));
    it('a segment over the BIOS', () =>
      refused(
        mutate('bios.elf', (b, v) => {
          const phoff = v.getUint32(28, true);
          v.setUint32(phoff + 12, 0xf0000, true); // the first PT_LOAD's physical address
        }),
        /segment at 0xF0000-0x.* overlaps memory the firmware reserves/,
      ));
    it('an ELF cut inside its segments', () => {
      const whole = fs.readFileSync(bare);
      const file = path.join(k.dir, 'cut.elf');
      fs.writeFileSync(file, whole.subarray(0, 0x1100));
      refused(file, /runs past the end of the file .*cut short/);
    });
    it('a .elf that is not an ELF', () => {
      const file = path.join(k.dir, 'text.elf');
      fs.writeFileSync(file, 'just text\n');
      refused(file, /text\.elf is not an ELF file/);
    });
    it('--cmdline and --module on a disk image are a usage error', () => {
      const r = runCli([
        'run',
        path.join(__dirname, '..', '..', '..', 'examples', 'hello', 'hello.img'),
        '--cmdline',
        'x',
      ]);
      assert.strictEqual(r.status, 64);
      assert.match(r.stderr, /--cmdline is for multiboot kernels/);
    });
    it('a missing module: status 66', () => {
      const r = runCli(['run', bare, '--module', path.join(k.dir, 'nothere.bin')]);
      assert.strictEqual(r.status, 66);
      assert.match(r.stderr, /nothere\.bin: no such file/);
    });
  });
});
