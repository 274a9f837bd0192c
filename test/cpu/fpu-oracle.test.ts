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
});
