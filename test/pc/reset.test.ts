// A reset pulse (8042 command FEh, port 0x92 bit 0) reboots the machine as a PC does: sector 0 runs again
// with RAM kept; a guest that resets over and over is stopped with the reason instead of spinning.
import * as assert from 'assert';
import * as path from 'path';

import { createMachine } from '../../common/machine';
import { assemble } from '../../common/nasm';
import { requireNasm, ROOT } from '../cli/harness';
import { boot, results } from './boot';
import { sectorBench } from './sector';

const PROGRAMS = path.join(ROOT, 'test', 'pc', 'programs');

function image(name: string): Uint8Array {
  const a = assemble(path.join(PROGRAMS, `${name}.asm`)); // throws with nasm's messages on failure
  const bytes = Uint8Array.from(a.image);
  a.remove();
  return bytes;
}

describe('warm reset', function () {
  this.timeout(60000);
  before(requireNasm);

  it('reboots through the 8042 and through port 0x92, keeping RAM, and runs on', async () => {
    const r = await boot(image('reset'));
    assert.strictEqual(r.stop.reason, 'guest-exit', JSON.stringify(r.stop));
    assert.strictEqual(r.stop.exitCode, 1);
    assert.deepStrictEqual(results(r.debugcon), [
      ['boot', '01'],
      ['boot', '02'],
      ['boot', '03'],
    ]);
  });

  it('stops a reset loop with a message that says so', async () => {
    const img = image('reset-loop');
    const r = await boot(img);
    assert.strictEqual(r.stop.reason, 'error', JSON.stringify(r.stop));
    assert.match(
      r.stop.message ?? '',
      /reset the machine 6 times within 1 s of virtual time .*keyboard controller.*reset loop/,
    );
    assert.strictEqual(results(r.debugcon).length, 6, 'five reboots after the first boot, then the stop');
    const at = r.stop.linear - 0x7c00;
    assert.deepStrictEqual([img[at], img[at + 1]], [0xe6, 0x64], 'the stop names the `out 0x64, al` that reset');
  });

  it('a reset the host pulsed before restoring a snapshot does not reboot the restored state', async () => {
    // The pending reset outlived the restore (fuzz_pc's host port writes and restores): the next run rebooted.
    const lab = sectorBench('bootvisor-reset-');
    const m = createMachine({ image: lab.sector('inc byte [0x600]\nspin:\n  jmp spin'), backend: 'software' });
    try {
      await m.run({ maxInstructions: 10_000 });
      assert.strictEqual(m.readMemory(0x600, 1)[0], 1, 'booted once');
      const s = m.snapshot();
      m.portWrite(0x64, 0xfe);
      m.restore(s);
      const r = await m.run({ maxInstructions: 200_000 });
      assert.strictEqual(r.reason, 'instruction-limit', `${r.reason}: ${r.message ?? ''}`);
      assert.strictEqual(m.readMemory(0x600, 1)[0], 1, 'sector 0 did not run again');
    } finally {
      m.dispose();
      lab.dispose();
    }
  });
});
