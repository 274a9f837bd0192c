// Host memory follows what the guest touches: RAM pages cost nothing until written, and a disk image file is
// mapped copy-on-write (never read whole, never written), so a 3 GiB guest or a 2 GiB image starts at once.
// Measured in a child process so that the test's own heap does not blur the figures.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { CLI, requireNasm, ROOT, tempDir } from '../cli/harness';
import { writeBigImage } from './big-image';

const MACHINE = path.join(ROOT, 'out', 'common', 'machine.js');
const MiB = 1 << 20;

/** Creates a machine in a fresh Node, runs it to its stop, and reports the growth of anonymous memory. */
function measure(config: string): { reason: string; debugcon: number[]; anonGrowthMiB: number; drive: number } {
  const script = `
    const anon = () => Number(/RssAnon:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
    const { createMachine } = require(${JSON.stringify(MACHINE)});
    const before = anon();
    const m = createMachine(${config});
    const debugcon = [];
    m.on('debugcon', (b) => debugcon.push(...b));
    m.run({ maxInstructions: 1000000 }).then((s) => {
      process.stdout.write(JSON.stringify({ reason: s.reason, debugcon, anonGrowthMiB: (anon() - before) / ${MiB}, drive: m.bootDrive }));
      m.dispose();
    });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 });
  assert.strictEqual(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('PC: host memory follows what the guest touches', function () {
  this.timeout(60000);
  const tmp = tempDir('bootvisor-lazy-');
  after(() => tmp.remove());
  before(function () {
    if (!fs.existsSync('/proc/self/status')) this.skip(); // the figures come from Linux's /proc
    requireNasm();
  });

  it('--memory 3072 for a guest that touches nothing costs a few MiB', () => {
    const hello = path.join(ROOT, 'examples', 'hello', 'hello.img');
    const r = measure(`{ image: require('fs').readFileSync(${JSON.stringify(hello)}), memoryMiB: 3072 }`);
    assert.strictEqual(r.reason, 'hlt-cli');
    assert.ok(r.anonGrowthMiB < 48, `3 GiB guest: ${r.anonGrowthMiB.toFixed(1)} MiB of host memory`);
  });

  it("a 2 GiB image by path: its last sector read, the guest's write kept in the VM, the file untouched", () => {
    const file = tmp.file('big.img');
    const big = writeBigImage(file);

    const r = measure(`{ imagePath: ${JSON.stringify(file)}, memoryMiB: 32 }`);
    assert.strictEqual(r.reason, 'hlt-cli');
    assert.deepStrictEqual(
      r.debugcon,
      [0, 'Z'.charCodeAt(0), 'W'.charCodeAt(0)],
      'CF clear, the last sector, the write read back',
    );
    assert.strictEqual(r.drive, 0x80);
    assert.ok(r.anonGrowthMiB < 48, `2 GiB image: ${r.anonGrowthMiB.toFixed(1)} MiB of host memory`);
    big.assertUntouched();

    // The CLI maps it too (it reads the first sector only), and says which drive it booted as first.
    const cli = spawnSync(process.execPath, [CLI, 'run', file, '--debugcon', '-'], {
      encoding: 'latin1',
      timeout: 60000,
    });
    assert.strictEqual(cli.status, 0, cli.stderr);
    assert.strictEqual(cli.stdout, '\x00ZW');
    assert.match(
      cli.stderr.split('\n')[0],
      /^bootvisor: booting .*big\.img as a hard disk \(DL=80h\): no partition table, BPB or floppy size/,
    );
  });
});
