// The KVM backend for real, on machines without /dev/kvm: scripts/test-kvm.sh boots Debian's Linux under QEMU
// TCG with nested SVM and runs native/tools/kvm_driver and kvm_machine there (see the README's "Hardware
// acceleration: the kvm and nvmm backends"). Not part of `npm test` by its name (*.kvm.ts): run it with
//   npx mocha out/test/kvm/nested.kvm.js     (or: npm run test:kvm, which runs the script directly)
// It needs qemu-system-x86, busybox-static and the linux-image-amd64 package from Debian (installed by the
// script when running as root) and takes about a minute.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

describe('KVM backend in a nested guest (scripts/test-kvm.sh)', function () {
  this.timeout(30 * 60 * 1000);
  let stdout = '';
  let stderr = '';
  let status: number | null = null;

  before(function () {
    const r = spawnSync('bash', [path.join(repoRoot, 'scripts', 'test-kvm.sh')], { cwd: repoRoot, encoding: 'utf8' });
    stdout = r.stdout ?? '';
    stderr = r.stderr ?? '';
    status = r.status;
  });

  it('completes, with every check of kvm_driver and kvm_machine passing', function () {
    const failures = stdout.split('\n').filter((l) => l.startsWith('not ok'));
    assert.deepStrictEqual(failures, [], `${stdout}\n${stderr}`);
    assert.match(stdout, /^kvm_driver: \d+ passed, 0 failed/m, `${stdout}\n${stderr}`);
    assert.match(stdout, /^kvm_machine: \d+ passed, 0 failed/m, `${stdout}\n${stderr}`);
    assert.strictEqual(status, 0, stderr);
  });

  it('ran the checks on KVM, not on a fallback', function () {
    assert.match(stdout, /^ok - kvm: \/dev\/kvm usable/m);
    assert.match(stdout, /^ok - machine on kvm vs software: hello/m);
  });

  it('handed x87 state over mid-computation: kvm and nvmm to the software vCPU and back, results as on software', function () {
    for (const hw of ['kvm', 'nvmm']) {
      assert.match(stdout, new RegExp(`^ok - fpu hand-over on ${hw}: at the 40th stop mid-loop`, 'm'), stdout);
      assert.match(
        stdout,
        new RegExp(`^ok - fpu hand-over on ${hw}: the hybrid's 40th stop at the breakpoint is in pass 40`, 'm'),
      );
      assert.match(
        stdout,
        new RegExp(`^ok - x87 environment software to hardware on ${hw}: FNSTENV sees the control`, 'm'),
      );
      assert.match(
        stdout,
        new RegExp(`^ok - x87 environment hardware to software on ${hw}: FNSTENV sees the control`, 'm'),
      );
      assert.match(stdout, new RegExp(`^ok - fpu hand-over on ${hw}: stepped on the software vCPU and back`, 'm'));
    }
  });

  it('ran the unchanged NVMM backend over libnvmm-on-KVM: the same boots, breakpoints and steps', function () {
    assert.match(stdout, /^ok - nvmm: libnvmm over \/dev\/kvm usable/m);
    assert.match(stdout, /^ok - nvmm: hello halts/m);
    assert.match(stdout, /^ok - hybrid on nvmm: 5 breakpoints \(HLT patches\)/m);
    assert.match(stdout, /^ok - machine on nvmm vs software: hello/m);
    assert.match(stdout, /^ok - machine on nvmm: breakpoint at 0x7C00, then two single steps/m);
  });
});
