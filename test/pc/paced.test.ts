// The paced clock: guest time is still the instruction count's (idle skipped deterministically), slept to
// the wall clock. A game-like frame loop that waits for the timer four ways (polling INT 1Ah, polling the
// BIOS tick count, INT 15h AH=86h, HLT until IRQ0) must see 18.2 ticks per second of wall time; a paced run
// with keys typed at host-chosen moments replays on a fast machine to the same state.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import type { MachineConfig } from '../../common/api';
import { createMachine, type BootvisorMachine } from '../../common/machine';
import { ROOT } from '../cli/harness';
import { sectorBench } from './sector';

const lab = sectorBench('bootvisor-paced-');
const machines: BootvisorMachine[] = [];
const machine = (image: Uint8Array, clock: MachineConfig['clock']): BootvisorMachine => {
  const m = createMachine({ image, backend: 'software', clock });
  machines.push(m);
  return m;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ticks = (m: BootvisorMachine): number => {
  const b = m.readMemory(0x46c, 4, 'physical');
  return b[0] | (b[1] << 8) | (b[2] << 16);
};

describe("paced clock: a PC's pace, deterministic underneath", function () {
  this.timeout(60000);
  after(() => {
    for (const m of machines) m.dispose();
    lab.dispose();
  });

  it('keeps 18.2 ticks per second of wall time (within 5 %) for a guest waiting four ways', async () => {
    const src = fs.readFileSync(path.join(ROOT, 'test', 'pc', 'programs', 'tick-waits.asm'), 'utf8');
    const m = machine(lab.sector(src.replace(/^times 510[\s\S]*$/m, '')), 'paced');
    let lagging = false;
    m.on('pacing', (keepingUp) => (lagging = !keepingUp));
    const running = m.run();
    await sleep(300);
    const t1 = ticks(m);
    const w1 = Date.now();
    await sleep(3000);
    const t2 = ticks(m);
    const w2 = Date.now();
    m.pause();
    await running;
    const rate = (t2 - t1) / ((w2 - w1) / 1000);
    console.log(
      `      paced: ${rate.toFixed(2)} ticks/s over ${w2 - w1} ms${lagging ? ' (the host fell behind)' : ''}`,
    );
    assert.ok(Math.abs(rate - 18.2065) / 18.2065 <= 0.05 || lagging, `${rate.toFixed(2)} ticks per second`);
  });

  it('RDTSC follows guest time: a 250 ms INT 15h AH=86h sleep moves it by 250 ms worth, the same on every run and clock', async () => {
    const image = lab.sector(
      'xor ax, ax\nmov ds, ax\nsti\nrdtsc\nmov [0x600], eax\nmov [0x604], edx\n' +
        'mov ah, 0x86\nmov cx, 0x0003\nmov dx, 0xD090\nint 0x15\n' + // 250,000 us
        'rdtsc\nmov [0x608], eax\nmov [0x60c], edx\ncli\nhlt',
    );
    const delta = (m: BootvisorMachine): bigint => {
      const b = Buffer.from(m.readMemory(0x600, 16, 'physical'));
      return b.readBigUInt64LE(8) - b.readBigUInt64LE(0);
    };
    const deltas: bigint[] = [];
    for (const clock of ['fast', 'fast', 'paced'] as const) {
      const m = machine(image, clock);
      const stop = await m.run();
      assert.strictEqual(stop.reason, 'hlt-cli');
      assert.ok(stop.instructions < 100_000, `the sleep is skipped, not executed (${stop.instructions} instructions)`);
      deltas.push(delta(m));
    }
    // 1 tick per 10 ns of guest time (the instruction's length): 250 ms is 25,000,000 ticks; the BIOS looks at
    // the deadline at its own timer events, so the wake may come up to one PIT period (55 ms) later.
    assert.ok(deltas[0] >= 25_000_000n && deltas[0] <= 25_000_000n + 5_500_000n, `RDTSC moved ${deltas[0]}`);
    assert.deepStrictEqual(deltas, [deltas[0], deltas[0], deltas[0]], 'the same on every run, fast or paced');
  });

  it('fast: the same frame loop skips its waits (polls of INT 1Ah and of the BDA tick, INT 15h, HLT)', async () => {
    const src = fs.readFileSync(path.join(ROOT, 'test', 'pc', 'programs', 'tick-waits.asm'), 'utf8');
    const m = machine(lab.sector(src.replace(/^times 510[\s\S]*$/m, '')), 'fast');
    // Without skipping, one tick polled through the BDA alone costs 5.5 M instructions (10 ns each); with it,
    // 3 M instructions cover ~90 ticks.
    const stop = await m.run({ maxInstructions: 3_000_000 });
    assert.strictEqual(stop.reason, 'instruction-limit');
    assert.ok(ticks(m) >= 40, `${ticks(m)} ticks in 3 M instructions`);
  });

  it('a paced session with keys typed while the guest waits replays on a fast machine to the same state', async () => {
    const echo = lab.sector(`
  xor ax, ax
  mov ds, ax
  sti
next:
  mov ah, 1                ; a game's loop: is there a key? (no: wait a tick and draw)
  int 0x16
  jnz key
  hlt
  inc word [frames]
  jmp next
key:
  mov ah, 0
  int 0x16
  mov dx, 0x3f8
  out dx, al
  jmp next
frames: dw 0`);
    const a = machine(echo, 'paced');
    const running = a.run();
    for (const k of 'abc') {
      await sleep(70);
      a.typeText(k);
    }
    await sleep(100);
    a.pause();
    const stop = await running;
    const b = machine(echo, 'fast');
    b.loadInputLog(a.inputLog());
    const again = await b.run({ maxInstructions: stop.instructions });
    assert.strictEqual(again.instructions, stop.instructions);
    // (Guest time is not compared: a guest asleep in HLT passes timer edges that wake nothing at one count,
    // and the paced run was paused somewhere among them.)
    assert.strictEqual(a.inputLog().filter((e) => e.kind === 'keys').length, 3);
    assert.deepStrictEqual(b.getRegisters(), a.getRegisters());
    assert.deepStrictEqual(b.readMemory(0, 0x8000, 'physical'), a.readMemory(0, 0x8000, 'physical'));
  });
});
