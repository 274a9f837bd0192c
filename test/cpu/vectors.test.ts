// The 80286 real-mode hardware vectors (../shared/singlestep/80286): every form must pass after masking the
// flags the SDM calls undefined (UNDEFINED_FLAGS) and excluding only the 286-only behaviours listed, each
// with its reason, in EXCLUSIONS (both in vectors-lib.ts).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { EXCLUSIONS, newVectorCpu, runVectorFile, UNDEFINED_FLAGS, vectorFiles } from './vectors-lib';

const DIR = path.resolve(__dirname, '../../../../shared/singlestep/80286');

describe('software vCPU: 80286 hardware vectors', function () {
  this.timeout(300000);

  it('finds the vectors', function () {
    assert.ok(
      fs.existsSync(DIR),
      `the 80286 test vectors are missing: expected them in ${DIR} (../shared/singlestep/80286 from the repository root)`,
    );
    assert.ok(vectorFiles(DIR).length >= 300, `expected the 325 instruction-form files in ${DIR}`);
  });

  it('documents every mask and exclusion with a reason', function () {
    for (const [form, m] of Object.entries(UNDEFINED_FLAGS)) assert.ok(m.why.length > 10 && m.mask !== 0, form);
    for (const e of EXCLUSIONS) assert.ok(e.why.length > 20, e.form);
  });

  it('passes every test of every form', function () {
    if (!fs.existsSync(DIR)) this.skip();
    const cpu = newVectorCpu();
    const failures: string[] = [];
    let passed = 0,
      excluded = 0;
    for (const f of vectorFiles(DIR)) {
      const r = runVectorFile(cpu, f, 2);
      passed += r.passed;
      excluded += r.excluded;
      if (r.failed) failures.push(`${r.form}: ${r.failed} failed, e.g. ${r.failures.join(' | ')}`);
    }
    assert.deepStrictEqual(failures, [], `${failures.length} forms have failures`);
    assert.ok(passed > 31500, `only ${passed} tests passed`);
    // The exclusions are narrow: about 2 % of the suite, most of them LOCK on unlockable forms (#UD on a 386+).
    assert.ok(excluded < 800, `${excluded} tests excluded`);
  });
});
