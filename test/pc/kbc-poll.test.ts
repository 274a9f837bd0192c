// A guest that waits for keys by polling the 8042 (test/pc/programs/kbd-poll.asm: the status port until the
// output buffer is full, the data port until it says Enter, the status with interrupts off) gets the scan codes
// QEMU gives, waits the guest time it asked for, and, once the spin probe has seen such a loop, skips to each
// timer event instead of interpreting 100 M instructions a second. Decided from the instruction count, the
// answers and the input log, so runs, replays and restores are identical.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { createMachine } from '../../common/machine';
import { requireNasm, ROOT, runCli, tempDir } from '../cli/harness';
import { results } from './boot';
import { requireQemu, runInQemu } from './qemu';

const PROGRAMS = path.join(ROOT, 'test', 'pc', 'programs');
/** a and b (make, break), then Enter's make and break. */
const SCANS = ['1E', '9E', '30', 'B0', '1C', '9C'];

describe('8042 polling', function () {
  this.timeout(120000);
  const tmp = tempDir('bootvisor-kbc-poll-');
  let img: string;

  before(() => {
    requireNasm();
    img = tmp.file('kbd-poll.img');
    const nasm = spawnSync('nasm', ['-f', 'bin', '-i', `${PROGRAMS}/`, '-o', img, path.join(PROGRAMS, 'kbd-poll.asm')]);
    assert.strictEqual(nasm.status, 0, nasm.stderr?.toString());
  });
  after(() => tmp.remove());

  const scans = (debugcon: Buffer): string[] =>
    results(debugcon)
      .filter(([k]) => k === 'scan')
      .map(([, v]) => v);
  const value = (debugcon: Buffer, name: string): number => parseInt(new Map(results(debugcon)).get(name) ?? 'NaN', 16);

  it('keys typed after 1 s and 0.5 s of polling: the right waits in guest time, few instructions, replayed', () => {
    const rec = tmp.file('kbd.bvrec');
    const again = tmp.file('again.bvrec');
    const run = (extra: string[]) =>
      runCli(['run', img, '--debugcon', '-', '--timeout', '60', '--guest-exit', 'verbatim', '--quiet', ...extra]);
    const first = run(['--keys', '{after "ready"}{wait 1s}ab{wait 500ms}\\n', '--record', rec]);
    assert.strictEqual(first.status, 0, `${first.stdout}\n${first.stderr}`);
    assert.deepStrictEqual(scans(first.stdoutBytes), SCANS, first.stdout);
    // Keys go in at the end of the CLI's slices, which a skip to the next tick can overrun by up to a tick.
    const toFirst = value(first.stdoutBytes, 'ticks_to_first');
    const toEnter = value(first.stdoutBytes, 'ticks_to_enter');
    assert.ok(toFirst >= 18 && toFirst <= 20, `${toFirst} ticks for a key typed after 1 s`);
    assert.ok(toEnter >= 9 && toEnter <= 11, `${toEnter} ticks for Enter typed 0.5 s after b`);
    const log = JSON.parse(fs.readFileSync(rec, 'utf8'));
    // Interpreted, 1.5 s of polling is 150 M instructions (151,694,475 before the skip); each new loop is found
    // by the probe within 65,536 instructions.
    assert.ok(log.end.instructions < 1_000_000, `${log.end.instructions} instructions`);
    console.log(`      1.5 s of 8042 polling: ${log.end.instructions} instructions`);

    const second = run(['--replay', rec, '--record', again]);
    assert.strictEqual(second.status, 0, second.stderr);
    assert.deepStrictEqual(second.stdoutBytes, first.stdoutBytes, 'the same output, replayed');
    const replayed = JSON.parse(fs.readFileSync(again, 'utf8'));
    assert.strictEqual(replayed.end.instructions, log.end.instructions, 'the same instruction count at the end');
    assert.deepStrictEqual(replayed.inputs, log.inputs, 'the same inputs at the same stamps');
  });

  it('keys typed live at host times while the guest skips: a restore re-delivers them at the same points', async () => {
    const m = createMachine({ image: fs.readFileSync(img), backend: 'software' });
    try {
      const start = m.snapshot();
      let debugcon = Buffer.alloc(0);
      m.on('debugcon', (b) => (debugcon = Buffer.concat([debugcon, Buffer.from(b)])));
      let typed = false;
      m.on('serial', () => {
        if (typed) return;
        typed = true;
        // Host time decides where these land; the log keeps where they did.
        setTimeout(() => m.typeText('a'), 5);
        setTimeout(() => m.typeText('b'), 30);
        setTimeout(() => m.typeText('\n'), 60);
      });
      const guard = setTimeout(() => m.pause(), 60000);
      const stop = await m.run({ maxInstructions: 2_000_000_000 });
      clearTimeout(guard);
      assert.strictEqual(stop.reason, 'guest-exit', debugcon.toString('latin1'));
      assert.deepStrictEqual(scans(debugcon), SCANS, debugcon.toString('latin1'));
      const first = debugcon;

      m.restore(start);
      debugcon = Buffer.alloc(0);
      const again = await m.run({ maxInstructions: stop.instructions });
      assert.strictEqual(again.reason, 'guest-exit');
      assert.strictEqual(again.instructions, stop.instructions, 'the same instruction count at the exit');
      assert.deepStrictEqual(debugcon, first, 'the same scan codes and tick counts');
    } finally {
      m.dispose();
    }
  });

  it('paced: the poll keeps 18.2 ticks per wall second while the host looks in; the run replays on a fast machine', async () => {
    const image = fs.readFileSync(img);
    const a = createMachine({ image, backend: 'software', clock: 'paced' });
    const b = createMachine({ image, backend: 'software', clock: 'fast' });
    try {
      let out = Buffer.alloc(0);
      let lagging = false;
      a.on('pacing', (keepingUp) => (lagging ||= !keepingUp));
      a.on('debugcon', (d) => (out = Buffer.concat([out, Buffer.from(d)])));
      let ready!: () => void;
      const isReady = new Promise<void>((r) => (ready = r));
      a.on('serial', () => ready());
      const ticks = (): number => Buffer.from(a.readMemory(0x46c, 4, 'physical')).readUInt32LE(0);
      const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
      const running = a.run({ maxInstructions: 2_000_000_000 });
      await isReady;
      await sleep(300);
      // Each look parks the guest in the middle of a paced skip, which the next run takes up where it was.
      const t1 = ticks();
      const w1 = Date.now();
      for (let i = 0; i < 30; i++) {
        await sleep(100);
        ticks(); // a look parks the guest
      }
      const t2 = ticks();
      const w2 = Date.now();
      const rate = (t2 - t1) / ((w2 - w1) / 1000);
      console.log(
        `      paced 8042 poll: ${rate.toFixed(2)} ticks/s over ${w2 - w1} ms${lagging ? ' (the host fell behind)' : ''}`,
      );
      // Each look costs the guest the time the host takes to park it; on a loaded host that is not nothing.
      assert.ok(Math.abs(rate - 18.2065) / 18.2065 <= 0.1 || lagging, `${rate.toFixed(2)} ticks per second`);
      for (const k of ['a', 'b', '\n']) {
        a.typeText(k);
        await sleep(40);
      }
      const stop = await running;
      assert.strictEqual(stop.reason, 'guest-exit', out.toString('latin1'));
      assert.deepStrictEqual(scans(out), SCANS, out.toString('latin1'));

      let again = Buffer.alloc(0);
      b.on('debugcon', (d) => (again = Buffer.concat([again, Buffer.from(d)])));
      b.loadInputLog(a.inputLog());
      const replayed = await b.run({ maxInstructions: stop.instructions });
      assert.strictEqual(replayed.reason, 'guest-exit');
      assert.strictEqual(replayed.instructions, stop.instructions, 'the same instruction count at the exit');
      assert.deepStrictEqual(again, out, 'the same scan codes and tick counts');
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('the same scan codes as QEMU with SeaBIOS', async () => {
    requireQemu();
    const floppy = tmp.file('kbd-poll-floppy.img');
    const image = Buffer.alloc(1474560); // a whole 1.44 MB floppy: QEMU guesses odd geometries for a lone sector
    fs.readFileSync(img).copy(image);
    fs.writeFileSync(floppy, image);
    const q = await runInQemu(floppy, {
      // After "ready": keys sent earlier (SeaBIOS slow under load) would be drained with the BIOS's leftovers.
      script: [{ serial: 'ready' }, 'sendkey a', 'sendkey b', 'sendkey ret'],
      minMs: 1500,
      quietMs: 500,
      maxMs: 30000,
      until: (o) => scans(o.debugcon).length === SCANS.length,
    });
    const said = `COM1: ${q.serial.toString('latin1')}\ndebugcon: ${q.debugcon.toString('latin1')}`;
    assert.deepStrictEqual(scans(q.debugcon), SCANS, said);
  });
});
