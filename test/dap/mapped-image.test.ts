// F5 on a disk image maps the file as `bootvisor run` does (copy-on-write, never read whole, never written):
// a 2 GiB sparse image launches with the adapter's peak memory far below the image's size, the guest reads
// its last sector, and its writes stay in the VM. Measured as memory (the adapter's peak RSS), not time.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';

import { requireNasm, tempDir } from '../cli/harness';
import { writeBigImage } from '../pc/big-image';
import { RawDap } from './raw-dap';

/** The peak resident memory of a process, from Linux's /proc. */
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmHWM for ${pid}`);
  return Number(m[1]) / 1024;
}

describe('debug adapter: a disk image is mapped, not read', function () {
  this.timeout(120000);
  const tmp = tempDir('bootvisor-dap-mapped-');
  let dap: RawDap | undefined;
  before(function () {
    if (!fs.existsSync('/proc/self/status')) this.skip();
    requireNasm();
  });
  afterEach(async () => {
    dap?.kill();
    await dap?.exit().catch(() => undefined);
  });
  after(() => tmp.remove());

  it('refuses /dev/zero, a FIFO and a folder as the program at once, naming what each is', async () => {
    const fifo = tmp.file('pipe.img');
    execFileSync('mkfifo', [fifo]);
    fs.mkdirSync(tmp.file('folder.img'));
    for (const [program, what] of [
      ['/dev/zero', 'a device'],
      [fifo, 'a FIFO'],
      [tmp.file('folder.img'), 'a folder'],
    ]) {
      dap = new RawDap();
      await dap.request('initialize', { adapterID: 'bootvisor', pathFormat: 'path' });
      const r = await dap.request('launch', { cwd: tmp.dir, program }, 10000);
      assert.strictEqual(r.success, false);
      assert.ok(r.message?.includes(`${program} is ${what};`), `${program}: ${r.message}`);
      dap.kill();
      await dap.exit();
    }
    dap = undefined;
  });

  it('launches a 2 GiB sparse image with a small peak RSS; the guest reads its last sector; the file is untouched', async () => {
    const file = tmp.file('big.img');
    const big = writeBigImage(file);

    dap = new RawDap();
    assert.strictEqual(
      (
        await dap.request('initialize', {
          adapterID: 'bootvisor',
          pathFormat: 'path',
          linesStartAt1: true,
          columnsStartAt1: true,
        })
      ).success,
      true,
    );
    const launch = dap.send('launch', { cwd: tmp.dir, program: file, serial: 'debugConsole' });
    await dap.waitFor((m) => m.type === 'event' && m.event === 'initialized', 60000, 'initialized');
    await dap.request('configurationDone');
    const launched = await dap.response(launch, 60000);
    assert.strictEqual(launched.success, true, JSON.stringify(launched));
    // Port 0xE9 comes out as stdout output: CF clear, the last sector's first byte, the guest's write read back.
    const text = () =>
      dap!.messages
        .filter((m) => m.type === 'event' && m.event === 'output' && m.body?.category === 'stdout')
        .map((m) => String(m.body!.output))
        .join('');
    await dap.waitFor(() => text().length >= 3, 60000, 'three bytes on port 0xE9');
    assert.strictEqual(text(), '\x00ZW');
    const peak = peakRssMiB(dap.child.pid!);
    // Node and the addon take some tens of MiB; reading the image whole would take 2,048 more.
    assert.ok(peak < 400, `the adapter peaked at ${peak.toFixed(0)} MiB for a 2 GiB image`);
    await dap.request('disconnect', { terminateDebuggee: true });
    await dap.exit();

    big.assertUntouched();
  });
});
