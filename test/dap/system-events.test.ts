// The "System events..." exception filter over DAP, on programs/sysevents.asm (LGDT/LIDT, CR0/CR3/CR4 writes,
// far jumps between real, 32-bit and 16-bit protected mode, an INT n through the IDT, a task switch, an INT
// 10h in real mode, the timer's IRQ 0 taken in HLT, port I/O): each stop comes just after its event, on the
// next instruction's line, with what happened in the stop's description and in exceptionInfo.
import * as assert from 'assert';
import * as path from 'path';
import { createMachine } from '../../common/machine';
import { parseSystemEvents } from '../../debug-adapter/system-events';
import { buildProgram } from './nasm-fixture';
import { eachTestSession, lineOf, type DapSession } from './dap-session';
import { PROGRAMS } from './nasm-fixture';

const PROGRAM = path.join(PROGRAMS, 'sysevents.asm');

describe('system-event breakpoints', function () {
  this.timeout(60000);

  it('reads the condition: CRs, tables, mode, task, INT n with AH, IRQ lines, port ranges; refuses the rest', () => {
    assert.deepStrictEqual(
      parseSystemEvents('cr0, lgdt, mode, int 0x10 ah=0eh, int 21h, irq 1 12, port 0x60-0x64, port 0x3f8'),
      {
        controlRegisters: [0],
        gdt: true,
        idt: false,
        modeSwitch: true,
        taskSwitch: false,
        interrupts: [
          { vector: 0x10, ah: 0x0e },
          { vector: 0x21, ah: undefined },
        ],
        irqLines: [1, 12],
        ports: [
          { first: 0x60, last: 0x64 },
          { first: 0x3f8, last: 0x3f8 },
        ],
      },
    );
    const all = parseSystemEvents('');
    assert.deepStrictEqual(
      [all.controlRegisters, all.gdt, all.idt, all.modeSwitch, all.taskSwitch, all.interrupts, all.irqLines],
      [[0, 3, 4], true, true, true, true, [], []],
    );
    assert.strictEqual(parseSystemEvents('irq').irqLines?.length, 16);
    assert.throws(() => parseSystemEvents('cr2'), /"cr2" is not a system event/);
    assert.throws(() => parseSystemEvents('irq 16'), /"16" is not an IRQ line/);
    assert.throws(() => parseSystemEvents('port 0x64-0x60'), /ends before it starts/);
  });

  it('refuses malformed breaks at the machine, and runs through every event once they are disarmed', async () => {
    const m = createMachine({ imagePath: buildProgram('sysevents').image, backend: 'software' });
    try {
      assert.throws(() => m.setSystemBreaks({ irqLines: [16] }), /IRQ lines 0 to 15/);
      assert.throws(() => m.setSystemBreaks({ controlRegisters: [2 as 0] }), /0, 3 or 4/);
      assert.throws(() => m.setSystemBreaks({ ports: [{ first: 0x64, last: 0x60 }] }), /first <= last/);
      assert.throws(
        () => m.setSystemBreaks({ interrupts: [{ vector: 256 }] }),
        /vector must be an integer from 0 to 255/,
      );
      m.setSystemBreaks({ controlRegisters: [0], modeSwitch: true });
      const first = await m.run();
      assert.strictEqual(first.reason, 'system-event');
      assert.strictEqual(first.systemEvent, 'control-register');
      m.setSystemBreaks({});
      assert.strictEqual((await m.run()).reason, 'hlt-cli', 'nothing armed: on to the final HLT');
    } finally {
      m.dispose();
    }
  });

  describe('over DAP', () => {
    const session = eachTestSession();

    /** Launches with the filter's condition; returns each stop's (description, line) until the guest hangs. */
    async function stops(s: DapSession, condition: string): Promise<[string, number][]> {
      let message: string | undefined;
      const first = s.expectStop('exception');
      await s.launch({ program: PROGRAM }, async (dc) => {
        const r = await dc.setExceptionBreakpointsRequest({
          filters: ['hang'],
          filterOptions: [{ filterId: 'system-events', condition }],
        });
        message = r.body?.breakpoints?.[1]?.message;
        assert.strictEqual(r.body?.breakpoints?.[1]?.verified, true, message);
      });
      assert.ok(message?.startsWith('Stops on '), message);
      const out: [string, number][] = [];
      let e = await first;
      for (let i = 0; i < 30; i++) {
        const description = e.body.description ?? '';
        out.push([description, (await s.frames())[0].line ?? 0]);
        if (/^Hang/.test(description)) break;
        if (i === 0) {
          const info = await s.dc.exceptionInfoRequest({ threadId: 1 });
          assert.match(info.body.exceptionId, /^system event \(/);
          assert.strictEqual(info.body.description, description);
        }
        e = await s.resume('exception', (dc) => dc.continueRequest({ threadId: 1 }));
      }
      return out;
    }

    it('stops after LGDT, LIDT, each CR write, each mode switch and the task switch, saying old -> new', async () => {
      const seen = await stops(session(), '');
      const at = (text: string) => lineOf(PROGRAM, text);
      const expected: [RegExp, number][] = [
        [
          /LGDT: GDT base 0x00007C[0-9A-F]{2}, limit 0x0037 \(7 descriptors\); was base 0x00000000, limit 0xFFFF/,
          at('lidt [idt_descriptor]'),
        ],
        [/LIDT: IDT base 0x00008000, limit 0x0187 \(49 gates\)/, at('mov eax, cr0')],
        [/CR0 0x60000010 -> 0x60000011 \(set PE\)/, at('jmp 0x08:pm32')],
        [/mode switch: real mode -> 32-bit protected mode \(CS = 0x0008\)/, at('pm32:') + 1],
        [/CR4 0x00000000 -> 0x00000010 \(set PSE\)/, at('mov eax, 0x1000')],
        [/CR3 0x00000000 -> 0x00001000 \(page directory at 0x00001000\)/, at('mov dword [IDT_BASE + 0x30 * 8]')],
        [/task switch by JMP: TR 0x0028 -> 0x0030/, at('jmp 0x18:pm16')],
        [/mode switch: 32-bit protected mode -> 16-bit protected mode \(CS = 0x0018\)/, at('pm16:') + 1],
        [/CR0 0x60000019 -> 0x60000018 \(cleared PE\)/, at('jmp 0:real_again')],
        [/mode switch: 16-bit protected mode -> real mode \(CS = 0x0000\)/, at('real_again:') + 1],
        [/^Hang/, at('    hlt')],
      ];
      assert.strictEqual(seen.length, expected.length, seen.map(([d]) => d).join('\n'));
      expected.forEach(([pattern, line], i) => {
        assert.match(seen[i][0], pattern, `stop ${i + 1}`);
        if (i < expected.length - 1)
          assert.strictEqual(seen[i][1], line, `stop ${i + 1} (${seen[i][0]}) on line ${seen[i][1]}, expected ${line}`);
      });
    });

    it('stops on INT n by vector and AH, the IRQ line asked for, and the port ranges, nothing else', async () => {
      const seen = await stops(session(), 'int 0x10 ah=0x0e, int 0x30, irq 0, port 0xe9, port 0x60-0x61');
      const texts = seen.map(([d]) => d);
      const index = (re: RegExp) => texts.findIndex((t) => re.test(t));
      const int10 = index(/INT 0x10 \(AH=0x0E\) from 0000:7C[0-9A-F]{2}/);
      const out = index(/OUT 0x00E9 <- 0x50 \(byte\)/);
      const inp = index(/IN 0x0061 -> 0x[0-9A-F]{2} \(byte\)/);
      const int30 = index(
        /INT 0x30 \(AH=0x[0-9A-F]{2}\) from 0008:00007C[0-9A-F]{2}|INT 0x30 \(AH=0x[0-9A-F]{2}\) from 0008:7C[0-9A-F]{2}/,
      );
      const irq = index(/IRQ 0 \(timer\) delivered as vector 0x08/);
      assert.ok(int10 >= 0 && out > int10 && inp > out && int30 > inp && irq >= 0, texts.join('\n'));
      assert.strictEqual(seen[out][1], lineOf(PROGRAM, 'in al, 0x61'), 'the port stop is after the OUT');
      assert.strictEqual(seen[int30][1], lineOf(PROGRAM, 'iret'), 'the INT stop is at the handler');
      // Only what was asked: the BIOS's own INT 1Ch from its timer handler, other IRQs, other ports do not stop.
      for (const t of texts.slice(0, -1))
        assert.match(t, /INT 0x10 \(AH=0x0E\)|INT 0x30|IRQ 0 |OUT 0x00E9|IN 0x0061/, t);
    });
  });
});
