// A short run of `npm run fuzz` (scripts/fuzz.sh): the whole-PC libFuzzer target (native/tools/fuzz_pc.cpp:
// random code, port I/O, IRQs, BIOS calls with random registers and buffers, snapshots and restores, the
// debugger's calls), the N-API surface fuzzer (scripts/fuzz-napi.js) and a protocol fuzzer (test/fuzz/).
// Nothing may crash, hang, trip ASan/UBSan or break an invariant (the BIOS ROM changes only through the
// debugger). The PC target needs clang with libFuzzer; the test says so when it skips that part.
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

function runFuzz(target: string, seconds: number, env: NodeJS.ProcessEnv = {}) {
  return spawnSync('bash', [path.join(repoRoot, 'scripts', 'fuzz.sh'), target], {
    cwd: repoRoot,
    env: { ...process.env, FUZZ_SECONDS: String(seconds), ...env },
    encoding: 'utf8',
  });
}

function fuzz(target: string, seconds: number): string {
  const r = runFuzz(target, seconds);
  assert.strictEqual(r.status, 0, `fuzzing ${target} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('fuzzing (npm run fuzz)', function () {
  this.timeout(900000); // the first run compiles the VMM with ASan and UBSan

  it('the whole PC survives 3 s of random code, I/O, IRQs, BIOS calls and snapshots, and reports its figures', function () {
    if (!clangWithFuzzer()) {
      console.log(
        '      skipped: clang with libFuzzer is not installed (Debian: clang libclang-rt-14-dev); npm run fuzz installs it',
      );
      this.skip();
    }
    const out = fuzz('pc', 3);
    const m = /^fuzz pc: (\d+) executions in 3 s, (\d+) exec\/s, coverage cov: (\d+) ft: (\d+)/m.exec(out);
    assert.ok(m, `no figures in the output:\n${out}`);
    assert.ok(Number(m[1]) > 0, 'the fuzz target ran no input');
    assert.ok(Number(m[3]) > 500, `coverage ${m[3]} edges: the seeds did not reach the BIOS and devices`);
  });

  it('a block the target loses fails the run at exit (the leak check is real, not only per input)', function () {
    if (!clangWithFuzzer()) this.skip();
    const r = runFuzz('pc', 1, { BOOTVISOR_FUZZ_LEAK: '1' });
    assert.notStrictEqual(r.status, 0, `a leak passed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /ERROR: LeakSanitizer: detected memory leaks/);
    assert.match(r.stderr, /Direct leak of 48 byte\(s\) in 1 object\(s\)/);
    assert.match(r.stderr, /^fuzz pc: FAILED after \d+ executions/m);
  });

  it('the N-API surface survives 2 s of random calls with random arguments', () => {
    const out = fuzz('napi', 2);
    const m = /^fuzz napi: (\d+) calls on (\d+) machines/m.exec(out);
    assert.ok(m, `no figures in the output:\n${out}`);
    assert.ok(Number(m[1]) > 100 && Number(m[2]) > 0, out);
  });

  it("runs the language server's protocol fuzzer too, with its figures and the load average", () => {
    const out = fuzz('lsp', 2);
    const m =
      /^fuzz lsp: (\d+) executions in [\d.]+ s \(([\d.]+) exec\/s, .*every probe answered; load average [\d.]+/m.exec(
        out,
      );
    assert.ok(m, `no figures in the output:\n${out}`);
    assert.ok(Number(m[1]) > 0, out);
  });
});
