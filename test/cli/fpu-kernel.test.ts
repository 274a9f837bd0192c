// The doubles kernel (test/kernels/fpu.c, gcc and clang -m32 -ffreestanding: its doubles are x87 code) prints
// the same COM1 output under `bootvisor run` as under QEMU -kernel at -O0 and -O2: arithmetic, conversions, every
// rounding mode, precision control, masked exceptions and their flags, transcendentals, FSAVE/FRSTOR/FSTENV,
// CPUID's FPU bit, the equipment word, #NM under CR0.TS and #MF under CR0.NE = 1. The CR0.NE = 0 part (FERR#
// to IRQ13, cleared through port F0h) runs on Bootvisor alone: QEMU 7.2 aborts there (an assertion about the
// iothread lock when its x87 raises the FERR# interrupt from translated code).
import * as assert from 'assert';

import { buildKernel, kernelDir, C_BUILDS } from '../kernels/build';
import { runKernelInQemu } from '../kernels/qemu-kernel';
import { requireQemu } from '../pc/qemu';
import { runCliAsync } from './harness';

describe('bootvisor run: a kernel that uses doubles (the x87)', function () {
  this.timeout(120000);
  let k: ReturnType<typeof kernelDir>;

  before(() => {
    requireQemu();
    k = kernelDir();
  });
  after(() => k?.remove());

  for (const [cc, opt] of C_BUILDS) {
    it(`${cc} ${opt}: prints the same as under QEMU -kernel`, async () => {
      const elf = buildKernel(k.dir, `fpu-${cc}${opt}`, ['fpu.c', 'cpu.c', 'isr.asm'], opt, { cc });
      const [ours, qemu] = await Promise.all([
        runCliAsync(['run', elf, '--serial', '-', '--timeout', '60']),
        runKernelInQemu(elf, { cwd: k.dir }),
      ]);
      assert.match(
        ours.stdout,
        /cpuid: FPU\nequipment word: coprocessor\n[^]*rc 0: 2 -2 4 0\nrc 1: 2 -3 3 -1\nrc 2: 3 -2 4 0\nrc 3: 2 -2 3 0\n[^]*1\/0 = 0x7FF00000:0x00000000 flags ZE\n[^]*CR0.TS: #NM taken 1 time\(s\)[^]*CR0.NE=1: #MF taken 1 time\(s\), status had ZE PE ES\nbye\n$/,
        ours.stderr,
      );
      assert.strictEqual(ours.stdout, qemu.serial, 'COM1 output, Bootvisor then QEMU');
      assert.strictEqual(ours.status, 33);
      assert.strictEqual(qemu.status, 33);
    });
  }

  it('with CR0.NE = 0 an unmasked exception raises IRQ13 through the slave PIC, and port F0h clears it', async () => {
    const elf = buildKernel(k.dir, 'fpu-irq13', ['fpu.c', 'cpu.c', 'isr.asm'], '-O2');
    const ours = await runCliAsync(['run', elf, '--serial', '-', '--timeout', '60', '--cmdline', 'irq13']);
    assert.match(ours.stdout, /CR0.NE=0: IRQ13 taken 1 time\(s\), #MF 1 time\(s\), status had ZE\nbye\n$/, ours.stderr);
    assert.strictEqual(ours.status, 33);
  });
});
