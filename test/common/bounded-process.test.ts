// The bounded runner's own limits, apart from the CLI: the CPU-time limit that ends a helper whose parent was
// killed outright (no handler, no timer of ours left to stop it), and the stale-folder sweep that follows.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { describeStop, runBounded } from '../../common/bounded-process';
import { sweepStaleScratch } from '../../common/scratch';
import { requireNasm } from '../cli/harness';
import { RUNAWAY_ASM } from '../cli/leftovers';

describe('bounded helpers', function () {
  this.timeout(120000);

  it('a runaway nasm ends by its CPU limit (SIGXCPU) though its timeout is far away', async function () {
    if (process.platform === 'win32') this.skip();
    requireNasm();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-cpu-limit-'));
    try {
      const src = path.join(dir, 'runaway.asm');
      fs.writeFileSync(src, RUNAWAY_ASM);
      // 1 s of CPU: a second or a few of wall time, however loaded the host; the 100 s timeout never comes.
      const r = await runBounded({
        command: 'nasm',
        args: ['-f', 'bin', '-o', path.join(dir, 'out.img'), src],
        timeoutMs: 100000,
        cpuSeconds: 1,
        maxOutputBytes: 4096,
      });
      assert.strictEqual(r.stopped, 'cpu-limit', JSON.stringify(r));
      assert.strictEqual(r.status, null);
      assert.ok(r.elapsedMs < 100000, `${r.elapsedMs} ms`);
      assert.strictEqual(
        describeStop('nasm', r, 100000),
        'nasm used up its 1 s of CPU time and was stopped (a runaway %rep or recursive macro?)',
      );
      const core = fs.readdirSync(dir).filter((f) => /^core/.test(f));
      assert.deepStrictEqual(core, [], 'no core dump in the folder it ran in');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("sweeps a prefix's folders whose owner process is gone, and only those", () => {
    const prefix = `bootvisor-sweep-test-${process.pid}-`;
    const tmp = os.tmpdir();
    // A pid no process has (beyond Linux's and the BSDs' pid_max), ours, and a name without a pid.
    const dead = path.join(tmp, `${prefix}99999999-abcdef`);
    const mine = path.join(tmp, `${prefix}${process.pid}-abcdef`);
    const other = path.join(tmp, `${prefix}legacy`);
    for (const d of [dead, mine, other]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(dead, 'x.img'), 'x');
    try {
      assert.strictEqual(sweepStaleScratch(prefix), 1);
      assert.ok(!fs.existsSync(dead), 'the dead owner folder is gone');
      assert.ok(fs.existsSync(mine) && fs.existsSync(other), 'a live owner folder and a name without a pid stay');
    } finally {
      for (const d of [dead, mine, other]) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
