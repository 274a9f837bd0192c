// The PS/2 mouse: test/pc/programs/mouse.asm reads it through INT 15h C2xxh (a handler the BIOS calls with
// each packet) and then raw through the 8042, while `bootvisor run --keys` moves it and clicks; the same
// moves through QEMU's monitor (mouse_move, mouse_button) give the same packets; and a --record/--replay
// round trip re-delivers the moves at the same instructions.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { requireNasm, ROOT, runCli, tempDir } from '../cli/harness';
import { createMachine } from '../../common/machine';
import { results } from './boot';
import { requireQemu, runInQemu } from './qemu';

const FLOPPY_144 = 1474560;
const PROGRAMS = path.join(ROOT, 'test', 'pc', 'programs');
const KEYS = '{after "bios ready"}{mouse 10,-5}{click}{after "raw ready"}{mouse 0,0,r}{mouse -3,7}{mouse 0,0,-}';
const QEMU_SCRIPT = [
  { serial: 'bios ready' },
  'mouse_move 10 -5',
  'mouse_button 1',
  'mouse_button 0',
  { serial: 'raw ready' },
  'mouse_button 2',
  'mouse_move -3 7',
  'mouse_button 0',
];
/** What the program must print: three BIOS packets (a move up-right, a left click), then three raw ones. */
const EXPECTED = [
  ['init_cf', '00'],
  ['type', '00'],
  ['handler_cf', '00'],
  ['enable_cf', '00'],
  ['status', '20'],
  ['resolution', '02'],
  ['rate', '64'],
  ...[
    ['08', '0A', '05'],
    ['09', '00', '00'],
    ['08', '00', '00'],
  ].flatMap(([s, x, y]) => [
    ['bios_status', s],
    ['bios_x', x],
    ['bios_y', y],
  ]),
  ['disable_cf', '00'],
  ['enable_ack', 'FA'],
  ['id_ack', 'FA'],
  ['id', '00'],
  ...['0A', '00', '00', '3A', 'FD', 'F9', '08', '00', '00'].map((b) => ['raw', b]),
];

describe('PS/2 mouse', function () {
  this.timeout(120000);
  const tmp = tempDir('bootvisor-mouse-');
  let img: string;

  before(() => {
    requireNasm();
    const bin = tmp.file('mouse.bin');
    const nasm = spawnSync('nasm', ['-f', 'bin', '-i', `${PROGRAMS}/`, '-o', bin, path.join(PROGRAMS, 'mouse.asm')]);
    assert.strictEqual(nasm.status, 0, nasm.stderr?.toString());
    img = tmp.file('mouse.img');
    const image = Buffer.alloc(FLOPPY_144);
    fs.readFileSync(bin).copy(image);
    fs.writeFileSync(img, image);
  });
  after(() => tmp.remove());

  it('moves and clicks from --keys reach the program through INT 15h C2xxh and through the 8042, and replay', () => {
    const rec = tmp.file('mouse.bvrec');
    const again = tmp.file('again.bvrec');
    const run = (extra: string[]) =>
      runCli(['run', img, '--debugcon', '-', '--timeout', '30', '--guest-exit', 'verbatim', '--quiet', ...extra]);
    const first = run(['--keys', KEYS, '--record', rec]);
    assert.strictEqual(first.status, 0, `${first.stdout}\n${first.stderr}`);
    assert.deepStrictEqual(results(first.stdoutBytes), EXPECTED, first.stdout);
    const log = JSON.parse(fs.readFileSync(rec, 'utf8'));
    const moves = log.inputs.filter((e: { kind: string }) => e.kind === 'mouse');
    assert.strictEqual(moves.length, 6, 'six mouse inputs in the log (a click is a press and a release)');

    const second = run(['--replay', rec, '--record', again]);
    assert.strictEqual(second.status, 0, second.stderr);
    assert.deepStrictEqual(second.stdoutBytes, first.stdoutBytes, 'the same output, replayed');
    const replayed = JSON.parse(fs.readFileSync(again, 'utf8'));
    assert.strictEqual(replayed.end.instructions, log.end.instructions, 'the same instruction count at the end');
    assert.deepStrictEqual(replayed.inputs, log.inputs, 'the same inputs at the same stamps');
  });

  it('moves sent to a running machine are logged, and a restore (what step back does) re-delivers them', async () => {
    const m = createMachine({ image: fs.readFileSync(img), backend: 'software' });
    try {
      const start = m.snapshot();
      let serial = '';
      let debugcon = '';
      m.on('debugcon', (b) => (debugcon += Buffer.from(b).toString('latin1')));
      m.on('serial', (b) => {
        const before = serial;
        serial += Buffer.from(b).toString('latin1');
        if (!before.includes('bios ready') && serial.includes('bios ready')) {
          m.sendMouse(10, 5, 0);
          m.sendMouse(0, 0, 1);
          m.sendMouse(0, 0, 0);
        }
        if (!before.includes('raw ready') && serial.includes('raw ready')) {
          m.sendMouse(0, 0, 2);
          m.sendMouse(-3, -7, 2);
          m.sendMouse(0, 0, 0);
        }
      });
      const guard = setTimeout(() => m.pause(), 60000);
      const stop = await m.run({ maxInstructions: 2_000_000_000 });
      clearTimeout(guard);
      assert.strictEqual(stop.reason, 'guest-exit', debugcon);
      const first = debugcon;
      // 5 bytes per move: dx, dy (int16 little-endian) and the buttons. Moves sent together are batched into
      // one event only if the vCPU thread has not taken the first yet (host timing), so the bytes are compared.
      const mice = m.inputLog().filter((e) => e.kind === 'mouse');
      assert.deepStrictEqual(
        mice.flatMap((e) => e.data),
        [
          ...[10, 0, 5, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
          ...[0, 0, 0, 0, 2, 0xfd, 0xff, 0xf9, 0xff, 2, 0, 0, 0, 0, 0],
        ],
      );

      m.restore(start);
      debugcon = '';
      serial = 'bios ready raw ready'; // the inputs come from the log now, not from this listener
      const again = await m.run({ maxInstructions: stop.instructions });
      assert.strictEqual(again.reason, 'guest-exit');
      assert.strictEqual(again.instructions, stop.instructions, 'the same instruction count at the exit');
      assert.strictEqual(debugcon, first, 'the same packets, re-delivered at their stamps');
      assert.deepStrictEqual(
        results(Buffer.from(first, 'latin1')).filter(([k]) => k === 'bios_y' || k === 'raw'),
        [
          ['bios_y', 'FB'],
          ['bios_y', '00'],
          ['bios_y', '00'],
          ...['0A', '00', '00', '1A', 'FD', '07', '08', '00', '00'].map((b) => ['raw', b]),
        ],
        'down is negative Y on PS/2: 5 down is FBh',
      );
    } finally {
      m.dispose();
    }
  });

  it('QEMU (SeaBIOS, its PS/2 mouse moved through the monitor) reports the same packets', async () => {
    requireQemu();
    const q = await runInQemu(img, {
      script: QEMU_SCRIPT,
      minMs: 1500,
      quietMs: 500,
      maxMs: 30000,
      until: ({ debugcon }) => results(debugcon).filter(([k]) => k === 'raw').length === 9,
    });
    assert.deepStrictEqual(results(q.debugcon), EXPECTED, q.debugcon.toString('latin1'));
  });
});
