// A short run of the software vCPU's libFuzzer target (native/tools/fuzz_cpu.cpp through scripts/fuzz.sh):
// random states and code must not crash, hang, trip ASan/UBSan or touch memory outside guest RAM. Runs only
// where clang with libFuzzer is installed, and says so when it skips.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

function clangWithFuzzer(): boolean {
  for (const cxx of ['clang++', 'clang++-16', 'clang++-15', 'clang++-14']) {
    const r = spawnSync(cxx, ['-x', 'c++', '-fsanitize=fuzzer,address,undefined', '-o', '/dev/null', '-'], {
      input: 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long){return 0;}',
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    if (!r.error && r.status === 0) return true;
  }
  return false;
}

describe('software vCPU fuzz target (native/tools/fuzz_cpu.cpp)', function () {
  this.timeout(300000);

  it('survives 5 s of random states and code', function () {
    if (!clangWithFuzzer()) {
      console.log('      skipped: clang with libFuzzer is not installed (Debian: clang libclang-rt-14-dev); npm run fuzz installs it');
      this.skip();
    }
    const r = spawnSync('bash', [path.join(repoRoot, 'scripts', 'fuzz.sh')], {
      cwd: repoRoot,
      env: { ...process.env, FUZZ_SECONDS: '5' },
      encoding: 'utf8',
    });
    assert.strictEqual(r.status, 0, `fuzzing failed:\n${r.stdout}\n${r.stderr}`);
    const m = /fuzz: (\d+) executions survived/.exec(r.stdout);
    assert.ok(m, `no execution count in the output:\n${r.stdout}`);
    assert.ok(Number(m[1]) > 0, 'the fuzz target ran no input');
  });
});
