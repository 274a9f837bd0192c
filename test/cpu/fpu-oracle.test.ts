// The x87's 80-bit arithmetic (native/src/cpu/fpu_*.cpp) against the host's own x87, bit for bit:
// native/tools/fpu_oracle.cpp runs generated operands (denormals, pseudo-denormals, unnormals, infinities,
// quiet and signalling NaNs, ties, the edges of the exponent range) through every basic operation and
// conversion under every rounding and precision control, on the host FPU and in software. Only on x86 hosts.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { ROOT } from '../cli/harness';

const ORACLE = path.join(ROOT, 'build', 'Release', 'fpu_oracle');

describe('x87 arithmetic against the host x87 (fpu_oracle)', function () {
  this.timeout(120000);

  before(function () {
    if (os.arch() !== 'x64' && os.arch() !== 'ia32') this.skip();
    assert.ok(fs.existsSync(ORACLE), `${ORACLE} is missing: build the native part`);
  });

  // 2,500 operand pairs x 12 control words x 20 operations = 600,000 cases per seed.
  for (const seed of ['1', '0xB0075']) {
    it(`agrees bit for bit on every operation and control word (seed ${seed})`, function () {
      const r = spawnSync(ORACLE, ['2500', seed], { encoding: 'utf8', timeout: 110000 });
      if (r.error) throw r.error;
      assert.match(r.stdout, /^fadd +30000 cases +0 mismatches$/m, r.stdout);
      assert.match(r.stdout, /^total 600000 cases, 0 mismatches$/m, r.stdout);
      assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    });
  }

  // Not bit for bit (the values come from the host's long double library): what the README says of them.
  it('transcendentals operand by operand: flags agree, within 1 ulp below pi/4 and for FPATAN and FYL2X in nearest', function () {
    const r = spawnSync(ORACLE, ['--transcendental', '4000', '7'], { encoding: 'utf8', timeout: 110000 });
    if (r.error) throw r.error;
    assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    const rows = r.stdout.split('\n').filter((l) => /^f\w+ +(nearest|down|up|zero) /.test(l));
    assert.strictEqual(rows.length, 32, r.stdout);
    for (const row of rows) assert.match(row, / 100\.00% +\S+%$/, `the exception flags (C1 aside) agree: ${row}`);
    for (const op of ['fsin', 'fcos', 'fptan', 'fsincos'])
      assert.match(r.stdout, new RegExp(`^${op} +within 1 ulp by \\|a\\|: < pi/4 100\\.00% of [1-9]`, 'm'), r.stdout);
    assert.match(r.stdout, /^fpatan +nearest +4000 +[\d.]+% +[\d.]+% +0\.00% +[01] /m, r.stdout);
    assert.match(r.stdout, /^fyl2x +nearest +4000 +[\d.]+% +[\d.]+% +0\.00% +[01] /m, r.stdout);
  });
});
