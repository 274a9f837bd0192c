// One build of the VMM core (README "Layout"): native/sources.js is the one list of sources, binding.gyp
// compiles the core from it once as a static library that the addon and the test drivers link, and no other
// build script keeps a list of its own (scripts/build-core.sh, for the fuzzer's and the nested test's
// differently compiled cores, reads the same list).
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..', '..');

function sources(...args: string[]): string[] {
  const r = spawnSync(process.execPath, [path.join(root, 'native', 'sources.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.strictEqual(r.status, 0, r.stderr);
  return r.stdout.trim().split(/\s+/).filter(Boolean);
}

function cppUnder(dir: string): string[] {
  return fs
    .readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.cpp'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

describe('native/ one build of the core (native/sources.js, binding.gyp)', () => {
  it('the core is every source outside the binding (less the backends the host lacks), the binding the rest', () => {
    const core = sources('core');
    const napi = sources('napi');
    const hostless = (f: string) => /backends\/(kvm|nvmm)/.test(f);
    assert.deepStrictEqual(
      cppUnder('native/src')
        .filter((f) => !f.startsWith('native/src/napi/') && !(hostless(f) && !core.includes(f)))
        .sort(),
      core,
    );
    assert.deepStrictEqual(cppUnder('native/src/napi').sort(), napi);
    assert.deepStrictEqual(sources().sort(), [...core, ...napi].sort());
    // The nested test's core adds NVMM over the test-only libnvmm on KVM, and nothing of the binding.
    const nested = sources('core', '--nested');
    assert.ok(
      nested.includes('native/src/backends/nvmm_vcpu.cpp') && nested.includes('native/tools/nvmm-kvm/nvmm_kvm.cpp'),
    );
    assert.ok(!nested.some((f) => f.startsWith('native/src/napi/')));
  });

  it('binding.gyp builds the core once, and the addon and the drivers link it', () => {
    const gyp = JSON.parse(fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8')) as {
      targets: { target_name: string; type?: string; sources: string[]; dependencies?: string[] }[];
    };
    const core = gyp.targets.filter((t) => t.sources.some((s) => s.includes('sources.js core')));
    assert.deepStrictEqual(
      core.map((t) => [t.target_name, t.type]),
      [['bootvisor_core', 'static_library']],
    );
    for (const t of gyp.targets.filter((x) => x.target_name !== 'bootvisor_core')) {
      assert.deepStrictEqual(t.dependencies, ['bootvisor_core'], t.target_name);
      assert.ok(
        !t.sources.some(
          (s) => s.startsWith('native/src/') || s.includes('sources.js)') || s === '<!@(node native/sources.js)',
        ),
        t.target_name,
      );
    }
  });

  it("no build script keeps its own list of the core's sources", () => {
    const scripts = [
      ...fs.readdirSync(path.join(root, 'scripts')).map((f) => path.join('scripts', f)),
      ...fs.readdirSync(path.join(root, 'native', 'tools')).map((f) => path.join('native', 'tools', f)),
    ].filter((f) => f.endsWith('.sh'));
    for (const f of scripts) {
      const text = fs.readFileSync(path.join(root, f), 'utf8');
      assert.ok(
        !/native\/src\/\S*\.cpp|find native\/src\b[^|]*-name '\*\.cpp'/.test(text),
        `${f} names core sources itself`,
      );
    }
  });
});
