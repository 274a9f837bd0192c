// The x87 registers through `bootvisor run --gdb`, read and written by the real gdb on the doubles kernel
// (test/kernels/fpu.c): `finish` out of series() reads the double it returns in ST0, `info float` shows the
// stack, the tag, control and status words and the last instruction's pointers, and `set $st0` changes what
// the kernel goes on to print on COM1.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import { buildKernel, kernelDir } from '../kernels/build';
import { gdbBatch as gdb, requireGdb } from '../kernels/gdb-batch';
import { startGdbStub as startStub } from './harness';

describe('bootvisor run --gdb: the x87 registers in the real gdb', function () {
  this.timeout(180000);
  let k: ReturnType<typeof kernelDir>;
  before(() => {
    requireGdb();
    k = kernelDir();
  });
  after(() => k?.remove());

  it('reads ST0-ST7 and the control registers (info float, p $st0) and writes them (set $st0, $st1, $fctrl)', async () => {
    const elf = buildKernel(k.dir, 'fpu-gdb', ['fpu.c', 'cpu.c', 'isr.asm'], '-O0');
    const serial = path.join(k.dir, 'serial.txt');
    const s = await startStub([elf, '--serial', serial]);
    const out = await gdb(
      s.port,
      [
        'break series',
        'continue',
        'finish',
        'info float',
        'p $st0',
        'p/x $fctrl',
        'p $fstat',
        'p/x $ftag',
        'echo --- writes\\n',
        'set $st1 = -2.25',
        'p $st1',
        'p/x $ftag',
        'set $fctrl = 0x27f',
        'info float',
        'set $fctrl = 0x37f',
        'set $st0 = 1.5',
        'p $st0',
        'detach',
      ],
      elf,
    );
    const [reads, writes] = out.split('--- writes');
    assert.ok(writes, out);
    // sum 1/k^2 for k <= 1000 in the extended precision series() computed it in (its double is 1.6439345666815612).
    assert.match(reads, /Value returned is \$1 = 1\.6439345666815612/, out);
    assert.match(reads, /=>R7: Valid {3}0x3fffd26c72a854a36800 \+1\.643934566681561238/, out);
    assert.match(reads, /R6: Empty {3}0x[0-9a-f]{20}/, out);
    assert.match(reads, /Status Word: +0x3820 +PE/, out);
    assert.match(reads, /TOP: 7/, out);
    assert.match(reads, /Control Word: +0x037f {3}IM DM ZM OM UM PM/, out);
    assert.match(reads, /Tag Word: +0x3fff/, out);
    assert.match(reads, /Instruction Pointer: 0x08:0x0010[0-9a-f]{4}/, out);
    assert.match(reads, /Operand Pointer: +0x10:0x0010[0-9a-f]{4}/, out);
    assert.match(reads, /Opcode: +0xd[8-f][0-9a-f]{2}/, out);
    assert.match(reads, /\$2 = 1\.6439345666815612379/, out);
    assert.match(reads, /\$3 = 0x37f/, out);
    assert.match(reads, /\$4 = 14368/, out); // 0x3820
    assert.match(reads, /\$5 = 0x3fff/, out);
    // ST1 is physical R0: written, it is valid; the tag word says so.
    assert.match(writes, /\$6 = -2\.25/, out);
    assert.match(writes, /\$7 = 0x3ffc/, out);
    assert.match(writes, /R0: Valid {3}0xc0009000000000000000 -2\.25/, out);
    assert.match(writes, /PC: Double Precision \(53-bits\)/, out);
    assert.match(writes, /\$8 = 1\.5/, out);
    assert.strictEqual(await s.exited, 33, s.stderr());
    // The kernel stored ST0 into its sum after the return: the value gdb wrote.
    const com1 = fs.readFileSync(serial, 'latin1');
    assert.match(com1, /sum 1\/k\^2, k <= 1000: 1\.500000000000 bits 0x3FF80000:0x00000000\n/, com1);
    assert.match(com1, /bye\n$/, com1);
  });
});
