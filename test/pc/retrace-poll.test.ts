// A guest that paces itself by polling the VGA's retrace bit (3DAh) runs at a PC's pace in guest time, and,
// once the poll is seen, skips to each edge of the status bits instead of interpreting 1.4 million
// instructions per 70 Hz frame. Decided from the instruction count and the answers, so runs are identical.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { requireNasm, ROOT, tempDir } from '../cli/harness';
import { boot, results } from './boot';

const PROGRAMS = path.join(ROOT, 'test', 'pc', 'programs');

describe('VGA retrace polling', function () {
  this.timeout(60000);
  const tmp = tempDir('bootvisor-retrace-');
  after(() => tmp.remove());

  it('70 retraces take one second of guest time (18 or 19 ticks) and few instructions, the same every run', async () => {
    requireNasm();
    const img = tmp.file('retrace.img');
    const nasm = spawnSync('nasm', ['-f', 'bin', '-i', `${PROGRAMS}/`, '-o', img, path.join(PROGRAMS, 'retrace.asm')]);
    assert.strictEqual(nasm.status, 0, nasm.stderr?.toString());
    const image = fs.readFileSync(img);
    const first = await boot(image);
    assert.strictEqual(first.stop.reason, 'guest-exit', first.debugcon.toString('latin1'));
    const ticks = parseInt(new Map(results(first.debugcon)).get('ticks') ?? '', 16);
    assert.ok(ticks >= 18 && ticks <= 19, `${ticks} ticks for 70 frames at 70.09 Hz (0.999 s)`);
    // Without the skip, one second of polling is 100 M instructions at 10 ns each.
    assert.ok(first.stop.instructions < 10_000_000, `${first.stop.instructions} instructions`);
    const second = await boot(image);
    assert.strictEqual(second.stop.instructions, first.stop.instructions, 'the same instruction count');
    assert.deepStrictEqual(second.debugcon, first.debugcon);
    console.log(`      70 frames: ${ticks} ticks, ${first.stop.instructions} instructions`);
  });
});
