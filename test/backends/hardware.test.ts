// The hardware backends where no hypervisor is needed: CpuState <-> KVM register round trips, KVM exit
// translation, breakpoint patching and the hybrid's handovers against a scripted backend (native/tools/
// scripted_test.cpp, built with the addon by binding.gyp); the NVMM backend compile-checked against the
// stand-in header; and the backend choice as the facade reports it. KVM for real: npm run test:kvm.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

interface Check {
  status: 'ok' | 'not ok' | 'skip';
  text: string; // "<group>: <what>[: <detail>]"
}

function parseChecks(stdout: string): Check[] {
  const out: Check[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(ok|not ok|skip) - (.*)$/.exec(line);
    if (m) out.push({ status: m[1] as Check['status'], text: m[2] });
  }
  return out;
}

describe('hardware backends without a hypervisor (native/tools/scripted_test.cpp)', function () {
  this.timeout(600000);
  let checks: Check[] = [];
  let summary = '';
  let failure = '';

  before(function () {
    const bin = path.join(repoRoot, 'build', 'Release', 'scripted_test');
    if (!fs.existsSync(bin)) {
      failure = `${bin} is missing: build the native part (npm install, or scripts/build-native.sh)`;
      return;
    }
    const run = spawnSync(bin, [], { cwd: repoRoot, encoding: 'utf8', timeout: 120000 });
    checks = parseChecks(run.stdout ?? '');
    summary = /scripted_test: .*/.exec(run.stdout ?? '')?.[0] ?? '';
    if (!summary)
      failure = `scripted_test did not finish (status ${run.status}, signal ${run.signal}):\n${run.stdout}\n${run.stderr}`;
  });

  it('builds and runs to the end', function () {
    assert.strictEqual(failure, '', failure);
    assert.ok(checks.length >= 10, `only ${checks.length} checks ran:\n${summary}`);
  });

  // [title, the checks' prefix, at least this many, the skip line that stands for the whole group]
  const kvmLeftOut = /^kvm state and exits:/;
  const hybridLeftOut = /^hybrid: built without/;
  const groups: [string, RegExp, number, RegExp][] = [
    ['KVM state conversion round trips', /^kvm state:/, 3, kvmLeftOut],
    [
      'KVM exit translation (IO, string IO, MMIO, ROM, watched pages, debug, window, errors)',
      /^kvm exits:/,
      9,
      kvmLeftOut,
    ],
    ['breakpoint patching hides the patched bytes', /^patches:/, 1, /^$/],
    ['the hybrid on a KVM-like backend (debug registers, INT3, completed writes)', /^scripted-kvm:/, 8, hybridLeftOut],
    [
      'the hybrid on an NVMM-like backend (HLT patches, execute-only pages, software-completed writes)',
      /^scripted-nvmm:/,
      8,
      hybridLeftOut,
    ],
    ['the hybrid: pause, interrupts, software fallback', /^hybrid: /, 3, hybridLeftOut],
  ];
  for (const [title, re, min, leftOut] of groups) {
    it(title, function () {
      if (failure) this.skip();
      const skipLine = checks.find((c) => c.status === 'skip' && leftOut.test(c.text));
      if (skipLine) {
        console.log(`      skipped: ${skipLine.text}`);
        this.skip();
      }
      const mine = checks.filter((c) => re.test(c.text) && c.status !== 'skip');
      const bad = mine.filter((c) => c.status === 'not ok');
      assert.deepStrictEqual(
        bad.map((c) => c.text),
        [],
      );
      assert.ok(mine.length >= min, `expected at least ${min} checks, ran ${mine.length}`);
    });
  }
});

describe('NVMM backend (native/src/backends/nvmm_*.cpp)', function () {
  this.timeout(120000);
  it('compiles against the stand-in <nvmm.h> (syntax only; the real header lives on NetBSD)', function () {
    const files = ['nvmm_state.cpp', 'nvmm_vcpu.cpp', 'select.cpp'].map((f) =>
      path.join('native', 'src', 'backends', f),
    );
    const r = spawnSync(
      'g++',
      [
        '-std=c++17',
        '-fsyntax-only',
        '-Wall',
        '-Wextra',
        '-Wno-unused-parameter',
        '-Werror',
        '-DBV_HAVE_NVMM=1',
        '-Inative/tools/nvmm-stub',
        '-Inative/include',
        '-Inative/src',
        ...files,
      ],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    assert.strictEqual(r.status, 0, r.stderr);
  });
  it('has its test-only libnvmm over KVM (native/tools/nvmm-kvm) compiling against the same header', function () {
    if (process.platform !== 'linux') this.skip();
    const dir = path.join('native', 'tools', 'nvmm-kvm');
    const files = fs
      .readdirSync(path.join(repoRoot, dir))
      .filter((f) => f.endsWith('.cpp'))
      .map((f) => path.join(dir, f));
    assert.ok(files.length >= 3, files.join(' '));
    const r = spawnSync(
      'g++',
      [
        '-std=c++17',
        '-fsyntax-only',
        '-Wall',
        '-Wextra',
        '-Wno-unused-parameter',
        '-Werror',
        '-Inative/tools/nvmm-stub',
        '-Inative/include',
        '-Inative/src',
        ...files,
      ],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    assert.strictEqual(r.status, 0, r.stderr);
  });
  it('is left out of builds without <nvmm.h>', function () {
    const hasNvmm = ['/usr/include/nvmm.h', '/usr/pkg/include/nvmm.h'].some((f) => fs.existsSync(f));
    const r = spawnSync('node', [path.join('native', 'sources.js')], { cwd: repoRoot, encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(/backends\/nvmm_vcpu\.cpp/.test(r.stdout), hasNvmm);
    assert.ok(/backends\/select\.cpp/.test(r.stdout), 'select.cpp must always be built');
  });
});

describe('backend choice through the facade (native/src/backends/select.cpp)', function () {
  this.timeout(60000);
  // Loaded lazily: the binding must have been built (scripts/build-native.sh).
  const { createMachine } = require('../../common/machine') as typeof import('../../common/machine');
  const image = fs.readFileSync(path.join(repoRoot, 'examples', 'hello', 'hello.img'));

  it('auto says which backend it picked and why each other one was not used', function () {
    const m = createMachine({ image, backend: 'auto' });
    try {
      assert.ok(['software', 'kvm', 'nvmm'].includes(m.backend), m.backend);
      if (m.backend === 'software') {
        assert.match(m.backendNote, /nvmm: /);
        assert.match(m.backendNote, /kvm: /);
      } else {
        assert.match(m.backendNote, new RegExp(`^${m.backend} \\(auto\\)`));
      }
    } finally {
      m.dispose();
    }
  });

  it('an explicitly requested backend that cannot be used is an error saying why, never a fallback', function () {
    const hasNvmm = ['/usr/include/nvmm.h', '/usr/pkg/include/nvmm.h'].some((f) => fs.existsSync(f));
    if (hasNvmm) this.skip();
    assert.throws(
      () => createMachine({ image, backend: 'nvmm' }),
      /nvmm backend was asked for but cannot be used: nvmm: not built in/,
    );
  });

  it('kvm, where /dev/kvm is missing or closed, explains what to do', function () {
    let usable = false;
    try {
      fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
      usable = true;
    } catch {
      usable = false;
    }
    if (usable) {
      const m = createMachine({ image, backend: 'kvm' });
      try {
        assert.strictEqual(m.backend, 'kvm');
      } finally {
        m.dispose();
      }
      return;
    }
    assert.throws(
      () => createMachine({ image, backend: 'kvm' }),
      /kvm backend was asked for but cannot be used: kvm: (no \/dev\/kvm|no permission)/,
    );
  });
});
