// Guests that do what a careless or hostile boot sector does: aim BIOS results at the ROM, or sleep with
// every interrupt shut out. A real BIOS drops writes to its ROM; a HLT nothing can wake is a hang, said at
// once rather than after a timeout.
import * as assert from 'assert';
import * as path from 'path';

import { createMachine } from '../../common/machine';
import { assemble } from '../../common/nasm';
import { requireNasm, ROOT } from '../cli/harness';
import { boot, results } from './boot';
import { sectorBench } from './sector';

const PROGRAMS = path.join(ROOT, 'test', 'pc', 'programs');

function image(name: string): Uint8Array {
  const a = assemble(path.join(PROGRAMS, `${name}.asm`));
  a.remove();
  return a.image;
}

/** NASM lines: the PIC masks given, then `sti; hlt` for good. */
function sleepWithMasks(master: number, slave: number): string[] {
  return [
    `mov al, ${master}`,
    'out 0x21, al',
    `mov al, ${slave}`,
    'out 0xa1, al',
    'sti',
    'sleep:',
    '  hlt',
    '  jmp sleep',
  ];
}

describe('PC: hostile guests', function () {
  this.timeout(30000);
  before(requireNasm);

  it('INT 10h AX=1017h/1009h and INT 13h AH=48h with buffers in the ROM leave it intact; the next calls work', async () => {
    const r = await boot(image('bios-rom-writes'), { maxInstructions: 5_000_000 });
    assert.strictEqual(r.stop.reason, 'guest-exit', `${r.stop.reason}: ${r.stop.message ?? ''}`);
    assert.deepStrictEqual(results(r.debugcon), [
      ['rom_same', '01'],
      ['params_cf', '00'],
    ]);
  });

  it('`sti; hlt` with every IRQ masked stops at once as a hang, naming the masks', async () => {
    const r = await boot(image('masked-hlt'), { maxInstructions: 50_000_000 });
    assert.strictEqual(r.stop.reason, 'hlt-cli');
    assert.match(
      r.stop.message ?? '',
      /^HLT with interrupts enabled, but the PIC lets no IRQ through \(masks FFh\/FFh, in service 00h\/00h\): the guest can never wake up$/,
    );
    assert.ok(r.stop.instructions < 1000, `stopped at the HLT, after ${r.stop.instructions} instructions`);
    assert.deepStrictEqual(results(r.debugcon), [['start', '01']]);
  });

  it('a guest asleep in `sti; hlt` whose PIC the host then masks stops as a hang instead of running time on forever', async () => {
    // Found by fuzz_pc: the checks ran at the HLT only, so a sleeper whose wake-up lines were shut out later
    // (by the host, or a restored device) passed timer after timer in an endless loop that ignored every limit.
    const lab = sectorBench('bootvisor-hostile-');
    const m = createMachine({
      image: lab.sector('sti\nsleep:\n  hlt\n  jmp sleep'),
      backend: 'software',
      clock: 'fast',
    });
    try {
      const first = await m.run({ maxInstructions: 200_000 });
      assert.strictEqual(first.reason, 'instruction-limit', `${first.reason}: ${first.message ?? ''}`);
      m.portWrite(0x21, 0xff);
      m.portWrite(0xa1, 0xff);
      const r = await m.run({ maxInstructions: 1_000_000 });
      assert.strictEqual(r.reason, 'hlt-cli', `${r.reason}: ${r.message ?? ''}`);
      assert.match(r.message ?? '', /masks FFh\/FFh.*the guest can never wake up$/);
    } finally {
      m.dispose();
      lab.dispose();
    }
  });

  it('a guest asleep with the timer masked and the keyboard open waits for a key: guest time stands still', async () => {
    // Found while fixing fuzz_pc's hang: the halted wait skipped from one masked PIT edge to the next, so guest
    // time ran on (days of it per host second) and the run never said idle; a run with a budget of
    // instructions never returned.
    const lab = sectorBench('bootvisor-hostile-');
    const m = createMachine({
      image: lab.sector('mov al, 0xfd\nout 0x21, al\nsti\nsleep:\n  hlt\n  jmp sleep'),
      backend: 'software',
      clock: 'fast',
    });
    try {
      const run = m.run({ untilNs: 1000e9 });
      await new Promise((r) => setTimeout(r, 500));
      m.pause();
      const r = await run;
      assert.strictEqual(r.reason, 'pause', `${r.reason}: ${r.message ?? ''}`);
      assert.ok(m.virtualTimeNs() < 1e9, `guest time ran on to ${m.virtualTimeNs() / 1e9} s while it slept`);
    } finally {
      m.dispose();
      lab.dispose();
    }
  });

  it('a guest whose only open IRQ is a timer that no longer runs (PIT one-shot spent) stops as a hang', async () => {
    const lab = sectorBench('bootvisor-hostile-');
    try {
      const sector = lab.sector(
        [
          'cli',
          'mov al, 0x30', // channel 0, LSB then MSB, mode 0: one interrupt, then silence
          'out 0x43, al',
          'mov al, 0x10',
          'out 0x40, al',
          'xor al, al',
          'out 0x40, al',
          ...sleepWithMasks(0xfe, 0xff), // IRQ0 only
        ].join('\n'),
      );
      const r = await boot(sector, { maxInstructions: 5_000_000 });
      assert.strictEqual(r.stop.reason, 'hlt-cli', `${r.stop.reason}: ${r.stop.message ?? ''}`);
      assert.match(
        r.stop.message ?? '',
        /^HLT with interrupts enabled, but only timer IRQs get through the PIC and no timer that raises them runs \(masks FEh\/FFh, in service 00h\/00h\): the guest can never wake up$/,
      );
    } finally {
      lab.dispose();
    }
  });

  it('a restore drops an interrupt injected in another timeline and keeps one injected in its own: the sleeper wakes', async () => {
    // Found by fuzz_pc (a timeout after some inputs only): a run can end between the PIC's INTA and the vCPU's
    // delivery. That injection outlived a restore; a sleeper restored there never had its timer's IRQs injected
    // past it, so guest time ran on from tick to tick forever and every instruction limit was ignored.
    const lab = sectorBench('bootvisor-hostile-');
    const m = createMachine({
      image: lab.sector('sti\nsleep:\n  hlt\n  jmp sleep'),
      backend: 'software',
      clock: 'fast',
    });
    const ticks = (): number => Buffer.from(m.readMemory(0x46c, 4)).readUInt32LE(0);
    // Bounded by guest time: the old hang shows as a run that ends there having run (next to) nothing.
    const wakes = async (what: string): Promise<void> => {
      const t0 = m.virtualTimeNs(),
        n0 = ticks(),
        i0 = m.instructionCount();
      const r = await m.run({ maxInstructions: 5000, untilNs: t0 + 60e9 });
      assert.strictEqual(r.reason, 'instruction-limit', `${what}: ${r.reason}: ${r.message ?? ''}`);
      assert.strictEqual(m.instructionCount() - i0, 5000, `${what}: ran to its instruction limit`);
      assert.ok(m.virtualTimeNs() < t0 + 60e9, `${what}: guest time ran on to the run's end in time`);
      assert.ok(ticks() > n0, `${what}: the timer's IRQ0 woke it (BIOS tick count ${n0} -> ${ticks()})`);
    };
    try {
      // Just past the HLT (the vCPU asleep), then asleep in the machine's eyes too: a snapshot of a sleeper.
      await m.run({ maxInstructions: 100_000 });
      for (let i = 0; i < 10_000 && m.getRegisters().eip !== 0x7c02; i++) await m.run({ maxInstructions: 1 });
      assert.strictEqual(m.getRegisters().eip, 0x7c02, 'stopped just past the HLT');
      m.setRegisters({ halted: true });
      const asleep = m.snapshot();
      // Runs that end before the next PIT edge: the wait goes on to the edge; at a rising one the PIC hands IRQ0
      // over (it is in service from then on) and the run ends before the vCPU delivers it.
      const i0 = m.instructionCount();
      for (let i = 0; i < 4 && m.getRegisters().halted; i++) {
        const r = await m.run({ untilNs: m.virtualTimeNs() + 1 });
        assert.strictEqual(r.reason, 'instruction-limit', `${r.reason}: ${r.message ?? ''}`);
      }
      assert.strictEqual(m.getRegisters().halted, false, 'IRQ0 handed over to the vCPU');
      assert.strictEqual(m.instructionCount(), i0, 'and not delivered yet');
      const handedOver = m.snapshot();
      m.restore(asleep); // the PIC as it was, IRQ0 not in service: the injection must go too
      await wakes('restored asleep');
      m.restore(handedOver); // IRQ0 in service: dropping the injection would leave it so (a hang, said as hlt-cli)
      await wakes('restored with IRQ0 handed over');
    } finally {
      m.dispose();
      lab.dispose();
    }
  });

  it('a guest asleep on an RTC interrupt that cannot come (update-ended under SET, an alarm no time matches) is a hang; one that can, wakes it', async () => {
    // The RTC's timer ran for them, raising nothing: the halted wait skipped from second to second forever (an
    // hour of guest time in 23 instructions), so a run bounded by instructions alone never returned.
    const lab = sectorBench('bootvisor-hostile-');
    const asleep = (regB: number, secondsAlarm: number): Uint8Array =>
      lab.sector(
        [
          'cli',
          ...[
            [0x0b, regB],
            [0x01, secondsAlarm],
            [0x03, 0xff], // minutes and hours: any
            [0x05, 0xff],
          ].flatMap(([reg, value]) => [`mov al, ${reg}`, 'out 0x70, al', `mov al, ${value}`, 'out 0x71, al']),
          ...sleepWithMasks(0xfb, 0xfe), // IRQ8 only (through the cascade)
        ].join('\n'),
      );
    const cases: [string, number, number, string][] = [
      ['update-ended interrupt while SET stops updates', 0x90, 0xff, 'hlt-cli'],
      ['alarm at second 99 (BCD)', 0x20, 0x99, 'hlt-cli'],
      ['alarm at second 60 (binary)', 0x24, 60, 'hlt-cli'],
      ['alarm at second 59 (binary): once a minute', 0x24, 59, 'instruction-limit'],
      ['alarm at any second', 0x20, 0xff, 'instruction-limit'],
    ];
    try {
      for (const [what, regB, alarm, expected] of cases) {
        const m = createMachine({ image: asleep(regB, alarm), backend: 'software', clock: 'fast' });
        try {
          const r = await m.run({ maxInstructions: 300, untilNs: 3600e9 });
          assert.strictEqual(r.reason, expected, `${what}: ${r.reason}: ${r.message ?? ''}`);
          if (expected === 'hlt-cli') {
            assert.match(r.message ?? '', /only timer IRQs get through the PIC and no timer that raises them runs/);
            assert.ok(m.virtualTimeNs() < 1e9, `${what}: said at the HLT, not after ${m.virtualTimeNs() / 1e9} s`);
          } else {
            assert.strictEqual(m.instructionCount(), 300, `${what}: woken again and again, up to its limit`);
            assert.ok(m.virtualTimeNs() < 3600e9, `${what}: within the hour`);
          }
        } finally {
          m.dispose();
        }
      }
    } finally {
      lab.dispose();
    }
  });

  it('`sti; hlt` inside an IRQ0 handler that never sent EOI is a hang too (IRQ0 in service shuts out the rest)', async () => {
    const r = await boot(image('no-eoi-hlt'), { maxInstructions: 50_000_000 });
    assert.strictEqual(r.stop.reason, 'hlt-cli');
    assert.match(
      r.stop.message ?? '',
      /in service 01h\/00h: an IRQ handler that never sent EOI shuts out the lines below it\)/,
    );
    assert.deepStrictEqual(results(r.debugcon), [['in_irq0', '01']]);
  });
});
