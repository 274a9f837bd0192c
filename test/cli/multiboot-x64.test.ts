// ELF64 (x86-64) Multiboot2 kernels, loaded as GRUB's multiboot2 loads them: PT_LOAD segments at their physical
// addresses, entered at the 32-bit entry in the Multiboot2 machine state. QEMU's -kernel refuses ELF64 files,
// so QEMU (qemu-system-x86_64) boots the same kernel converted with objcopy to elf32-i386 through its
// Multiboot v1 header, as tutorials do. The software vCPU has no long mode: under it the kernel's 32-bit
// bootstrap runs and finds no long mode in CPUID, and the run says that 64-bit code needs the kvm backend.
import * as assert from 'assert';
import * as fs from 'fs';

import { createMultibootMachine } from '../../common/multiboot-boot';
import { MultibootError, parseMultibootKernel } from '../../common/multiboot';
import { LONG_MODE_NOTE } from '../../cli/run';
import { buildX64Kernel } from '../kernels/build-x64';
import { kernelDir } from '../kernels/build';
import { runKernelInQemu } from '../kernels/qemu-kernel';
import { requireQemu } from '../pc/qemu';
import { runCli } from './harness';

const QEMU_X64 = process.env.BOOTVISOR_QEMU_X64 || 'qemu-system-x86_64';

describe('ELF64 Multiboot2 kernels (x86-64)', function () {
  this.timeout(300000);
  const k = kernelDir();
  let elf64: string;
  let elf32: string;
  before(() => {
    requireQemu();
    ({ elf64, elf32 } = buildX64Kernel(k.dir));
  });
  after(() => k.remove());

  it('QEMU boots the elf32-i386 copy into long mode (and refuses the ELF64 file itself)', async () => {
    const q = await runKernelInQemu(elf32, { cwd: k.dir, qemu: QEMU_X64 });
    assert.strictEqual(
      q.serial,
      'boot32\nlong mode: pointers of 8 bytes\nproduct 0x0001234567890000\nEFER 0x0000000000000500\nloader multiboot, information given\n',
    );
    assert.strictEqual(q.status, 33);
    await assert.rejects(runKernelInQemu(elf64, { cwd: k.dir, qemu: QEMU_X64 }), /64|ELF|kernel/i);
  });

  it('loads the segments at their physical addresses and enters the 32-bit entry in the Multiboot2 state', () => {
    const bytes = fs.readFileSync(elf64);
    const kernel = parseMultibootKernel(bytes, 'x64.elf');
    assert.strictEqual(kernel.version, 2);
    assert.strictEqual(kernel.elfClass, 64);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    assert.strictEqual(kernel.entry, Number(view.getBigUint64(24, true)));
    const phoff = Number(view.getBigUint64(32, true));
    const loads: number[] = [];
    for (let i = 0; i < view.getUint16(56, true); i++) {
      const at = phoff + i * view.getUint16(54, true);
      if (view.getUint32(at, true) === 1 && view.getBigUint64(at + 40, true) > 0n)
        loads.push(Number(view.getBigUint64(at + 24, true)));
    }
    assert.deepStrictEqual(
      kernel.segments.map((s) => s.address),
      loads,
    );
    const { machine: m, placement } = createMultibootMachine({ memoryMiB: 32 }, kernel, { kernelName: 'x64.elf' });
    try {
      assert.strictEqual(placement.elfClass, 64);
      const r = m.getRegisters();
      assert.strictEqual(r.eax, 0x36d76289);
      assert.strictEqual(r.ebx, placement.infoAddress);
      assert.strictEqual(r.eip, kernel.entry);
      assert.strictEqual(r.cr0 & 0x80000001, 1, 'protected mode, no paging');
      assert.ok(r.cs.attrib & 0x400, '32-bit code');
      for (const s of kernel.segments) {
        const got = Buffer.from(m.readMemory(s.address, s.data.length, 'physical'));
        assert.ok(got.equals(Buffer.from(s.data)), `segment at 0x${s.address.toString(16)}`);
      }
    } finally {
      m.dispose();
    }
  });

  it('bootvisor run: the 32-bit bootstrap prints what it prints under QEMU, then finds no long mode, and the run says why', () => {
    const r = runCli(['run', elf64, '--serial', '-', '--timeout', '60']);
    assert.strictEqual(r.stdout, 'boot32\nno long mode\n');
    assert.ok(r.stderr.includes('as a multiboot2 kernel'), r.stderr);
    assert.ok(r.stderr.includes(LONG_MODE_NOTE), r.stderr);
    assert.strictEqual(r.status, 17);
  });

  it('bad ELF64 files get a message: cut short, no Multiboot2 header, another machine, a segment past 4 GiB, 2,000 mutations', () => {
    const bytes = fs.readFileSync(elf64);
    const refused = (b: Uint8Array, pattern: RegExp): void =>
      assert.throws(
        () => parseMultibootKernel(b, 'x64.elf'),
        (e: Error) => e instanceof MultibootError && pattern.test(e.message),
      );
    refused(bytes.subarray(0, 40), /cut short \(40 bytes; its header alone is 64\)/);
    const noMb2 = Buffer.from(bytes);
    for (
      let at = noMb2.indexOf(Buffer.from([0xd6, 0x50, 0x52, 0xe8]));
      at >= 0;
      at = noMb2.indexOf(Buffer.from([0xd6, 0x50, 0x52, 0xe8]))
    )
      noMb2[at] = 0;
    refused(noMb2, /64-bit ELF without a Multiboot2 header/);
    const arm = Buffer.from(bytes);
    arm.writeUInt16LE(183, 18);
    refused(arm, /machine 183, not x86-64/);
    const high = Buffer.from(bytes);
    const phoff = Number(high.readBigUInt64LE(32));
    high.writeBigUInt64LE(0x1_0000_0000n, phoff + 24);
    refused(high, /ends past 4 GiB/);
    let seed = 1;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(bytes.subarray(0, 1 + Math.floor(random() * bytes.length)));
      for (let n = 0; n < 4; n++) b[Math.floor(random() * Math.min(b.length, 256))] = Math.floor(random() * 256);
      try {
        parseMultibootKernel(b, 'x64.elf');
      } catch (e) {
        if (!(e instanceof MultibootError)) throw new Error(`mutation ${i}: ${(e as Error).stack}`);
      }
    }
  });
});
