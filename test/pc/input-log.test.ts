// The input log (native/src/vmm/input_log.h) through the facade: every key and serial byte is stamped with
// the instruction count at which it took effect; restore() keeps the log and re-delivers later inputs at
// exactly their stamps; a live input while some are pending starts a new timeline; a log loaded into a fresh
// machine reproduces the run; the 'idle' event comes after the output before it.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import type { InputEvent, StopEvent } from '../../common/api';
import type { BootvisorMachine } from '../../common/machine';
import { ROOT } from '../cli/harness';
import { nextIdle as idle } from './guest';
import { sectorBench } from './sector';

const lab = sectorBench('bootvisor-inputlog-');
const sector = (body: string): Uint8Array => lab.sector(body);

// Echoes every key it reads through INT 16h to COM1 and counts them; between keys it idles in INT 16h while
// the timer ticks (an INT 1Ch hook counts ticks too, so guest time matters to the state compared).
const ECHO = `
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7c00
  mov word [0x1c*4], tick
  mov [0x1c*4+2], ax
  sti
next:
  mov ah, 0
  int 0x16
  mov dx, 0x3f8
  out dx, al
  inc word [keys]
  jmp next
tick:
  inc word [cs:ticks]
  iret
keys: dw 0
ticks: dw 0
`;

describe('input log: stamped inputs, replay after restore, new timelines', function () {
  this.timeout(30000);
  const make = (image: Uint8Array): BootvisorMachine => lab.make(image);
  after(() => lab.dispose());

  /** Boots ECHO, types each string when the guest waits for a key; returns the log, serial and end state. */
  async function typeSession(m: BootvisorMachine, texts: string[]): Promise<{ serial: string; stop: StopEvent }> {
    let serial = '';
    m.on('serial', (b) => (serial += Buffer.from(b).toString('latin1')));
    const running = m.run();
    for (const t of texts) {
      await idle(m);
      m.typeText(t);
    }
    await idle(m);
    m.pause();
    return { serial, stop: await running };
  }

  it('stamps each input with the instruction count where it took effect', async () => {
    const m = make(sector(ECHO));
    const { serial } = await typeSession(m, ['a', 'b']);
    assert.strictEqual(serial, 'ab');
    const log = m.inputLog();
    assert.deepStrictEqual(
      log.map((e) => e.kind),
      ['keys', 'keys'],
    );
    assert.deepStrictEqual(log[0].data, [0x1e, 0x9e], 'make and break of A');
    assert.ok(log[0].at > 0 && log[1].at > log[0].at, `stamps grow: ${log.map((e) => e.at).join(', ')}`);
  });

  it('restore keeps the log and re-delivers later inputs at their exact stamps', async () => {
    const m = make(sector(ECHO));
    const start = m.snapshot();
    const first = await typeSession(m, ['x', 'y', 'z']);
    const log = m.inputLog();
    const end = m.instructionCount();
    const regs = m.getRegisters();
    const ram = m.readMemory(0x7c00, 512, 'physical');

    m.restore(start);
    let again = '';
    const onSerial = (b: Uint8Array): void => void (again += Buffer.from(b).toString('latin1'));
    m.on('serial', onSerial);
    const stop = await m.run({ maxInstructions: end });
    m.off('serial', onSerial);
    assert.strictEqual(stop.reason, 'instruction-limit');
    assert.strictEqual(stop.instructions, end);
    assert.strictEqual(again, first.serial, 'the same keys, echoed again');
    assert.deepStrictEqual(m.inputLog(), log, 'the log is kept, not duplicated');
    assert.deepStrictEqual(m.getRegisters(), regs);
    assert.deepStrictEqual(m.readMemory(0x7c00, 512, 'physical'), ram, 'key and tick counts agree');

    // Back to the middle: the later keys are replayed when execution passes their stamps again.
    m.restore(start);
    const mid = await m.run({ maxInstructions: log[1].at });
    assert.strictEqual(mid.instructions, log[1].at);
    const mid2 = m.snapshot();
    m.restore(mid2);
    let tail = '';
    m.on('serial', (b) => (tail += Buffer.from(b).toString('latin1')));
    await m.run({ maxInstructions: end - log[1].at });
    assert.strictEqual(tail, 'yz', 'the pending keys came after a restore to a snapshot between them');
  });

  it('a live input while replayed ones are pending starts a new timeline', async () => {
    const m = make(sector(ECHO));
    const start = m.snapshot();
    await typeSession(m, ['1', '2', '3']);
    const log = m.inputLog();
    m.restore(start);
    // Just before the second key: it and the third are still to be replayed.
    await m.run({ maxInstructions: log[1].at - 1 });
    let serial = '';
    m.on('serial', (b) => (serial += Buffer.from(b).toString('latin1')));
    m.typeText('9'); // before the run: taken at its first instruction, ahead of the pending keys
    const running = m.run();
    await idle(m);
    m.pause();
    await running;
    assert.strictEqual(serial, '9', 'the keys 2 and 3 of the old timeline are gone');
    const now = m.inputLog();
    assert.strictEqual(now.length, 2);
    assert.deepStrictEqual(now[0], log[0]);
    assert.deepStrictEqual(now[1].data, [0x0a, 0x8a], 'the 9 key');
  });

  it('a loaded log replays the run on a fresh machine, to the instruction', async () => {
    const image = sector(ECHO);
    const a = make(image);
    const first = await typeSession(a, ['h', 'i', '\n']);
    const log: InputEvent[] = JSON.parse(JSON.stringify(a.inputLog()));
    const b = make(image);
    b.loadInputLog(log);
    let serial = '';
    b.on('serial', (x) => (serial += Buffer.from(x).toString('latin1')));
    const stop = await b.run({ maxInstructions: first.stop.instructions });
    assert.strictEqual(stop.instructions, first.stop.instructions);
    assert.strictEqual(serial, first.serial);
    assert.deepStrictEqual(b.getRegisters(), a.getRegisters());
    assert.deepStrictEqual(b.readMemory(0, 0x8000, 'physical'), a.readMemory(0, 0x8000, 'physical'));
    assert.throws(() => b.loadInputLog([{ at: -1, kind: 'keys' }]), /at must be an instruction count/);
    assert.throws(() => b.loadInputLog([{ at: 1, kind: 'joystick' as 'keys' }]), /kind must be/);
    assert.throws(() => b.loadInputLog([{ at: 1, kind: 'keys', data: [300] }]), /bytes/);
  });

  it("'idle' comes after the screen it follows (text drawn just before an INT 16h wait)", async () => {
    // The program: "first ", a spin of 100,000, "second", then a wait for a key.
    const late = fs.readFileSync(path.join(ROOT, 'test', 'cli', 'programs', 'late-text.asm'), 'utf8');
    const m = make(lab.sector(late.replace(/^(bits|org|times|dw 0xaa55).*$/gm, '')));
    let screenAtIdle = '';
    m.on('idle', () => (screenAtIdle = m.screenText().lines[0]));
    const running = m.run();
    await idle(m);
    m.pause();
    await running;
    assert.match(screenAtIdle, /first second/);
  });
});
