// `bootvisor run` with the time model and the input log: --record/--replay round trips on every example
// (instruction count, screen, serial and the log itself compared), --serial-in, --expect-screen seeing text
// drawn just before the guest idles, and the issue's clock-polling program and a PIT-timed delay loop timed
// against QEMU in the same test.
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { exampleImg, exampleNames, requireNasm, ROOT, runCli, runCliAsync, tempDir } from './harness';
import { QEMU, requireQemu } from '../pc/qemu';

const tmp = tempDir('bootvisor-time-');
const program = (name: string): string => path.join(ROOT, 'test', 'cli', 'programs', name);

/** test/pc/programs/NAME.asm assembled into the scratch folder. */
function assembleProgram(name: string): string {
  const img = tmp.file(`${name}.img`);
  const nasm = spawnSync('nasm', ['-f', 'bin', '-o', img, path.join(ROOT, 'test', 'pc', 'programs', `${name}.asm`)]);
  assert.strictEqual(nasm.status, 0, nasm.stderr?.toString());
  return img;
}

/** The image under QEMU until it leaves through isa-debug-exit: its COM1 output and how long it took. */
function timedQemu(img: string): { serial: string; ms: number } {
  const t = Date.now();
  const q = spawnSync(
    QEMU,
    [
      '-drive',
      `format=raw,file=${img},if=floppy`,
      '-device',
      'isa-debug-exit,iobase=0xf4,iosize=0x04',
      '-serial',
      'stdio',
      '-display',
      'none',
      '-no-reboot',
    ],
    { timeout: 90000 },
  );
  return { serial: q.stdout.toString(), ms: Date.now() - t };
}

describe('CLI: clocks, recordings and input', function () {
  this.timeout(120000);
  after(() => tmp.remove());

  for (const name of exampleNames()) {
    it(`--record then --replay reproduces ${name} to the instruction`, () => {
      const rec = tmp.file(`${name}.bvrec`);
      const again = tmp.file(`${name}-again.bvrec`);
      const first = runCli([
        'run',
        exampleImg(name),
        '--max-instructions',
        '3000000',
        '--timeout',
        '4',
        '--keys',
        'hi\\n',
        '--serial',
        '-',
        '--screenshot',
        tmp.file(`${name}-1.png`),
        '--record',
        rec,
        '--quiet',
      ]);
      const second = runCli([
        'run',
        exampleImg(name),
        '--replay',
        rec,
        '--serial',
        '-',
        '--screenshot',
        tmp.file(`${name}-2.png`),
        '--record',
        again,
        '--quiet',
      ]);
      assert.strictEqual(second.status, first.status, second.stderr);
      assert.deepStrictEqual(second.stdoutBytes, first.stdoutBytes, 'the same serial bytes');
      assert.deepStrictEqual(
        fs.readFileSync(tmp.file(`${name}-2.png`)),
        fs.readFileSync(tmp.file(`${name}-1.png`)),
        'the same screen',
      );
      const a = JSON.parse(fs.readFileSync(rec, 'utf8'));
      const b = JSON.parse(fs.readFileSync(again, 'utf8'));
      assert.strictEqual(b.end.instructions, a.end.instructions, 'the same instruction count at the stop');
      assert.strictEqual(b.end.reason, a.end.reason === 'pause' ? 'instruction-limit' : a.end.reason);
      assert.deepStrictEqual(b.inputs, a.inputs, 'the same inputs at the same stamps');
    });
  }

  it('--replay refuses another image, and --keys with a recording', () => {
    const rec = tmp.file('hello.bvrec');
    runCli(['run', exampleImg('hello'), '--max-instructions', '1000', '--record', rec, '--quiet']);
    const other = runCli(['run', exampleImg('echo'), '--replay', rec]);
    assert.strictEqual(other.status, 65);
    assert.match(other.stderr, /recorded with another image \(hello\.img/);
    assert.strictEqual(runCli(['run', exampleImg('hello'), '--replay', rec, '--keys', 'x']).status, 64);
    fs.writeFileSync(tmp.file('junk.bvrec'), '{"format":"bootvisor-recording","version":1}');
    assert.match(runCli(['run', exampleImg('hello'), '--replay', tmp.file('junk.bvrec')]).stderr, /names no image/);
  });

  it('--serial-in feeds COM1 from a file and from standard input', () => {
    requireNasm();
    fs.writeFileSync(tmp.file('in.txt'), 'abc\0');
    const fromFile = runCli([
      'run',
      program('serial-sum.asm'),
      '--serial-in',
      tmp.file('in.txt'),
      '--serial',
      '-',
      '--quiet',
    ]);
    assert.strictEqual(fromFile.stdout, '0003 0126\n', fromFile.stderr);
    const r = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'out', 'cli', 'main.js'),
        'run',
        program('serial-sum.asm'),
        '--serial-in',
        '-',
        '--serial',
        '-',
        '--quiet',
      ],
      { input: 'hello\0', timeout: 60000 },
    );
    assert.strictEqual(r.stdout.toString(), '0005 0214\n', r.stderr.toString());
  });

  it('--keys: named keys, holds, waits in guest time and triggers on the screen', () => {
    requireNasm();
    const r = runCli([
      'run',
      program('key-words.asm'),
      '--keys',
      '{after "login:"}{up}a{wait 100ms}{ctrl down}c{ctrl up}{f1}{rshift down}x{rshift up}{enter}',
      '--serial',
      '-',
      '--expect-serial',
      '1C0D ',
      '--timeout',
      '30',
      '--quiet',
    ]);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(r.stdout, '4800 1E61 2E03 3B00 2D58 1C0D ');
    const bad = runCli(['run', program('key-words.asm'), '--keys', '{hyper}']);
    assert.strictEqual(bad.status, 64);
    assert.match(bad.stderr, /unknown key \{hyper\}/);
    assert.match(runCli(['run', program('key-words.asm'), '--keys', '{wait soon}']).stderr, /\{wait 500ms\}/);
  });

  it('--keys with waits is the same run on every run, however busy the host (waits and key gaps in guest time)', async () => {
    requireNasm();
    const args = [
      'run',
      program('key-times.asm'),
      '--keys',
      'a{wait 500ms}b{wait 1s}cd{wait 2s}q',
      '--serial',
      '-',
      '--quiet',
      '--guest-exit',
      'verbatim',
    ];
    const once = async (i: number, busy: boolean): Promise<{ out: string; instructions: number }> => {
      const report = tmp.file(`key-times-${i}.json`);
      // A busy host: two processes spinning beside the run, so host timing differs from the quiet runs.
      const hogs = busy ? [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })) : [];
      try {
        const r = await runCliAsync([...args, '--report', report]);
        assert.strictEqual(r.status, 0, r.stderr);
        return {
          out: r.stdout,
          instructions: (JSON.parse(fs.readFileSync(report, 'utf8')) as { stop: { instructions: number } }).stop
            .instructions,
        };
      } finally {
        for (const h of hogs) h.kill();
      }
    };
    const runs = [await once(0, false), await once(1, true), await once(2, false)];
    console.log(`      key-times: ${runs[0].out} (${runs[0].instructions} instructions)`);
    assert.deepStrictEqual(runs.slice(1), [runs[0], runs[0]], 'the same serial output and instruction count');
    const ticks = [...runs[0].out.matchAll(/([a-z])([0-9A-F]{2}) /g)].map((m) => [m[1], parseInt(m[2], 16)] as const);
    assert.deepStrictEqual(
      ticks.map((t) => t[0]),
      ['a', 'b', 'c', 'd'],
    );
    // 500 ms is 9.1 ticks and 1 s 18.2; the guest sees the wait end at its next tick.
    assert.ok(ticks[1][1] - ticks[0][1] >= 9 && ticks[1][1] - ticks[0][1] <= 11, runs[0].out);
    assert.ok(ticks[2][1] - ticks[1][1] >= 18 && ticks[2][1] - ticks[1][1] <= 20, runs[0].out);
    assert.ok(ticks[3][1] - ticks[2][1] <= 1, `the next key comes one key gap (8 ms) later: ${runs[0].out}`);
  });

  it('--screenshot-at TIME:FILE: the screen at that guest time, as the final screen of a run that stops there shows it', () => {
    requireNasm();
    const src = program('timed-digits.asm');
    const shot = (name: string): Buffer => fs.readFileSync(tmp.file(name));
    for (const i of [0, 1]) {
      const r = runCli([
        'run',
        src,
        '--screenshot-at',
        `1.1s:${tmp.file(`at-1.1s-${i}.png`)}`,
        '--screenshot-at',
        `600ms:${tmp.file(`at-600ms-${i}.png`)}`,
        '--screenshot-at',
        `9s:${tmp.file('at-9s.png')}`,
        '--screenshot',
        tmp.file(`final-${i}.png`),
        '--quiet',
      ]);
      assert.strictEqual(r.status, 0, r.stderr);
      // Past the end of the run: said, not written.
      assert.match(
        r.stderr,
        /--screenshot-at 9000 ms: the run stopped at 2250\.\d ms of guest time, before it; .*at-9s\.png not written/,
      );
      assert.ok(!fs.existsSync(tmp.file('at-9s.png')));
    }
    // The same program built to draw 5 digits (0-1 s) and 3 (0-500 ms) and halt: its final screen is the other dump.
    for (const [count, at] of [
      [5, '1.1s'],
      [3, '600ms'],
    ] as const) {
      const img = tmp.file(`digits-${count}.img`);
      const nasm = spawnSync('nasm', [`-DCOUNT=${count}`, '-f', 'bin', '-o', img, src]);
      assert.strictEqual(nasm.status, 0, nasm.stderr?.toString());
      const r = runCli([
        'run',
        img,
        '--screenshot',
        tmp.file(`digits-${count}.png`),
        '--screen',
        tmp.file(`digits-${count}.txt`),
        '--quiet',
      ]);
      assert.strictEqual(r.status, 0, r.stderr);
      assert.strictEqual(
        fs
          .readFileSync(tmp.file(`digits-${count}.txt`), 'utf8')
          .split('\n')[0]
          .trimEnd(),
        '01234'.slice(0, count),
      );
      assert.ok(
        shot(`at-${at}-0.png`).equals(shot(`digits-${count}.png`)),
        `--screenshot-at ${at} shows what the ${count}-digit build's final screen shows`,
      );
      assert.ok(
        shot(`at-${at}-0.png`).equals(shot(`at-${at}-1.png`)),
        `--screenshot-at ${at} is the same on every run`,
      );
    }
    assert.ok(!shot('at-1.1s-0.png').equals(shot('final-0.png')), 'the final screen has all ten digits');
    assert.strictEqual(runCli(['run', src, '--screenshot-at', '3:x.png']).status, 64);
    assert.match(runCli(['run', src, '--screenshot-at', '3s:-']).stderr, /needs a file name/);
  });

  it('--expect-screen sees text drawn just before the guest waits for a key (3 runs in 3)', () => {
    requireNasm();
    for (let i = 0; i < 3; i++) {
      const r = runCli([
        'run',
        program('late-text.asm'),
        '--expect-screen',
        'first second',
        '--timeout',
        '20',
        '--quiet',
      ]);
      assert.strictEqual(r.status, 0, r.stderr);
    }
  });

  it('a guest polling INT 1Ah then sleeping through INT 15h AH=86h: fast is not slower than QEMU, the ticks are right', () => {
    requireNasm();
    requireQemu();
    const img = assembleProgram('clock-poll');
    const q = timedQemu(img);
    const qemuMs = q.ms;
    assert.match(q.serial, /^PS/, 'QEMU ran the program');
    const t = Date.now();
    const b = runCli(['run', img, '--serial', '-', '--quiet']);
    const oursMs = Date.now() - t;
    // 45 polled ticks + 2.5 s of sleeps (45.5 ticks) = 0x59 ticks of guest time, the same on every run.
    assert.strictEqual(b.stdout, 'PS59\n', b.stderr);
    console.log(`      clock-poll: QEMU ${qemuMs} ms, bootvisor run (fast) ${oursMs} ms`);
    assert.ok(oursMs <= qemuMs, `bootvisor run took ${oursMs} ms, QEMU ${qemuMs} ms`);
  });

  it('a delay loop polling the PIT counter: skipped deterministically, the ticks QEMU counts, not slower than QEMU', () => {
    requireNasm();
    requireQemu();
    const img = assembleProgram('pit-delay');
    const q = timedQemu(img);
    const qemuMs = q.ms;
    const qm = /^T([0-9A-F]{2})$/m.exec(q.serial);
    assert.ok(qm, `QEMU ran the program: ${q.serial}`);
    const qemuTicks = parseInt(qm[1], 16);
    const counts: number[] = [];
    let oursMs = 0;
    for (let i = 0; i < 2; i++) {
      const report = tmp.file(`pit-delay-${i}.json`);
      const t = Date.now();
      const b = runCli(['run', img, '--serial', '-', '--quiet', '--report', report]);
      oursMs = Date.now() - t;
      // 40 x 60000 counts at 1.193182 MHz = 2.011 s = 36.6 ticks, from a tick: 36 whole ticks (0x24).
      assert.strictEqual(b.stdout, 'T24\n', b.stderr);
      counts.push(
        (JSON.parse(fs.readFileSync(report, 'utf8')) as { stop: { instructions: number } }).stop.instructions,
      );
    }
    console.log(
      `      pit-delay: QEMU ${qemuMs} ms (${qemuTicks} ticks), bootvisor run (fast) ${oursMs} ms (36 ticks), ${counts[0]} instructions`,
    );
    assert.strictEqual(counts[0], counts[1], 'the same instruction count on every run');
    // Interpreted without the skip, 2 s of guest time is 201 M instructions at 10 ns each.
    assert.ok(counts[0] < 10_000_000, `${counts[0]} instructions`);
    // QEMU's PIT follows the host's clock and its loop turns are slow under load (38-50 ticks measured at load
    // 8-10): it can only count more, never fewer than the 36 the delays take.
    assert.ok(qemuTicks >= 36, `QEMU counted ${qemuTicks} ticks`);
    assert.ok(oursMs <= qemuMs, `bootvisor run took ${oursMs} ms, QEMU ${qemuMs} ms`);
  });
});
