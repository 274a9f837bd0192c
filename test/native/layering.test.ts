// The C++ layers of native/ (README "Layout"): no #include runs up them. scripts/check-layers.js is the check;
// this runs it on the tree, and on a scratch tree with one upward include to show that it can fail.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..', '..');
const script = path.join(root, 'scripts', 'check-layers.js');

function check(tree: string): { status: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [script, tree], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout };
}

describe('native/ layering (scripts/check-layers.js)', function () {
  it('no include in native/ runs up the layers', function () {
    const r = check(root);
    assert.strictEqual(r.status, 0, r.stdout);
  });

  it('fails on a device that includes the machine, and on a binding that includes a device', function () {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-layers-'));
    try {
      const put = (rel: string, text: string): void => {
        fs.mkdirSync(path.dirname(path.join(tree, rel)), { recursive: true });
        fs.writeFileSync(path.join(tree, rel), text);
      };
      put('native/include/bootvisor/vcpu.h', '#pragma once\n');
      put('native/src/base/clock.h', '#pragma once\n#include "bootvisor/vcpu.h"\n');
      put('native/src/pc/pit.h', '#pragma once\n#include "base/clock.h"\n#include "vmm/machine_impl.h"\n');
      put('native/src/vmm/machine_impl.h', '#pragma once\n#include "pc/pit.h"\n#include <vector>\n');
      put('native/src/napi/module.cpp', '#include "bootvisor/vcpu.h"\n#include "napi/x.h"\n#include "pc/pit.h"\n');
      const r = check(tree);
      assert.strictEqual(r.status, 1, r.stdout);
      const bad = r.stdout.split('\n').filter((l) => l.includes('may not include'));
      assert.deepStrictEqual(bad.map((l) => l.split(':').slice(0, 2).join(':')).sort(), [
        'native/src/napi/module.cpp:3',
        'native/src/pc/pit.h:3',
      ]);
    } finally {
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });
});
