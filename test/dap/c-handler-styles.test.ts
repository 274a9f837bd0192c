// Interrupt and exception handlers of other shapes than the tutorial stub (debug-adapter/c-interrupts.ts),
// on test/kernels/cstyles.c + cstyles-stubs.asm: gcc/clang __attribute__((interrupt)) handlers (IRQ0, and
// #GP with its error code), a stub that saves only EAX/ECX/EDX (#UD), one that saves nothing (#BP), one with
// pusha but the vector below the block (#DE). Stopped in each handler, the call stack names the event from
// the IDT (the error code from the CPU's frame), goes on into the interrupted C function at its line with
// its locals, and a register nobody saved reads <unavailable>, never a wrong value. gcc and clang, -O0/-O2.
import * as assert from 'assert';
import * as path from 'path';

import { buildKernel, C_BUILDS, KERNEL_SOURCES } from '../kernels/build';
import { requireGdb } from '../kernels/gdb-batch';
import { assertSameComAsQemu } from '../kernels/qemu-kernel';
import { requireQemu } from '../pc/qemu';
import { DapSession, eachTestSession, lineOf, frameLocals, frameScope, markedStack } from './dap-session';

const SOURCE = path.join(KERNEL_SOURCES, 'cstyles.c');
const at = (text: string): number => lineOf(SOURCE, text);

const ev = async (s: DapSession, expression: string, frameId: number): Promise<string> =>
  (await s.dc.evaluateRequest({ expression, frameId, context: 'watch' })).body.result;

export function buildStyles(dir: string, cc: 'gcc' | 'clang', opt: string): string {
  // gcc needs -mgeneral-regs-only for interrupt functions (no x87/SSE state is saved for them).
  return buildKernel(dir, 'cstyles', ['cpu.c', 'cstyles.c', 'isr.asm', 'cstyles-stubs.asm'], opt, {
    cc,
    flags: ['-mgeneral-regs-only'],
  });
}

describe('C call stacks through handlers that are not the tutorial stub', function () {
  this.timeout(180000);
  const session = eachTestSession();
  before(() => {
    requireGdb();
    requireQemu();
  });

  for (const cc of ['gcc', 'clang'] as const)
    it(`${cc} -O2: cstyles prints the same on COM1 as under QEMU -kernel`, async () => {
      const s = session();
      const elf = buildStyles(s.cwd, cc, '-O2');
      await assertSameComAsQemu(
        elf,
        s.cwd,
        /provoke: 32, #GP error code 0x00001234, counts 1 1 1 1 2\nticks: 3, woken from hlt\n$/,
      );
    });

  for (const [cc, opt] of C_BUILDS) {
    it(`${cc} ${opt}: #UD, #BP, #DE, #GP, #OF, INT 2Eh and IRQ0 handlers each lead to the interrupted C line with its locals`, async () => {
      const s = session();
      const elf = buildStyles(s.cwd, cc, opt);
      const stopped = s.expectStop('function breakpoint');
      await s.launch({ program: elf }, (dc) =>
        dc.setFunctionBreakpointsRequest({
          breakpoints: ['on_ud', 'on_breakpoint', 'on_divide', 'gp_fault', 'on_alt', 'timer_irq'].map((name) => ({
            name,
          })),
        }),
      );
      await stopped;
      const next = () => s.resume('function breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));

      // #UD through a stub that saved EAX/ECX/EDX where only it knows: they are unknown, EBX etc. are not.
      let { frames, marker, text } = await markedStack(s);
      assert.match(frames[0].name, /^on_ud/, text);
      assert.match(
        frames[marker]?.name ?? '',
        /^\[exception: #UD \(vector 6\), EIP [0-9A-F]{8} CS 0008 .*no pusha: EAX, ECX, EDX unknown/,
        text,
      );
      assert.match(frames[marker + 1].name, /^provoke/, text);
      assert.strictEqual(frames[marker + 1].line, at('/* UD here */'), text);
      assert.match(frames[marker + 2]?.name ?? '', /^kmain/, text);
      assert.strictEqual((await frameLocals(s, frames[marker + 1].id)).get('marker'), '8', text);
      assert.match(await ev(s, '$eax', frames[marker + 1].id), /unavailable/);
      assert.match(await ev(s, '$ebx', frames[marker + 1].id), /^\d+$/);
      // Its Registers scope (c-frame-registers.ts) says the same: the stub's copies are unknown, the others kept.
      const shown = await frameScope(s, frames[marker + 1].id, 'Registers');
      assert.strictEqual(shown.get('eax'), '<unavailable>');
      assert.strictEqual(
        shown.get('ebx'),
        `0x${Number(await ev(s, '$ebx', frames[marker + 1].id))
          .toString(16)
          .toUpperCase()
          .padStart(8, '0')}`,
      );

      // #BP (a trap) through a stub that saved nothing.
      await next();
      ({ frames, marker, text } = await markedStack(s));
      assert.match(frames[0].name, /^on_breakpoint/, text);
      assert.match(frames[marker]?.name ?? '', /^\[exception: #BP \(vector 3\), EIP .*no pusha/, text);
      assert.match(frames[marker + 1].name, /^provoke/, text);
      assert.ok([at('/* BP here */'), at('/* BP here */') + 1].includes(frames[marker + 1].line), text);
      assert.strictEqual((await frameLocals(s, frames[marker + 1].id)).get('marker'), '8', text);

      // #DE: pusha, the vector below the block: the event from the IDT, every register from the block.
      await next();
      ({ frames, marker, text } = await markedStack(s));
      assert.match(frames[0].name, /^on_divide/, text);
      assert.match(
        frames[marker]?.name ?? '',
        /^\[exception: #DE \(vector 0\), EIP .*registers saved by pusha at/,
        text,
      );
      assert.strictEqual(frames[marker + 1].line, at('/* DE here */'), text);
      assert.strictEqual(await ev(s, '$eax', frames[marker + 1].id), '23', text); // acc = 7 * 3 + 1 + 1, the dividend
      assert.strictEqual((await frameLocals(s, frames[marker + 1].id)).get('marker'), '8', text);

      // #GP in an __attribute__((interrupt)) function: the CPU's error code, registers from its CFI.
      await next();
      ({ frames, marker, text } = await markedStack(s));
      assert.match(frames[0].name, /^gp_fault/, text);
      assert.strictEqual(marker, 1, text);
      assert.match(
        frames[marker].name,
        /^\[exception: #GP \(vector 13\), error code 00001234, EIP .*registers from the handler's call-frame information/,
        text,
      );
      assert.match(frames[marker + 1].name, /^provoke/, text);
      assert.strictEqual(frames[marker + 1].line, at('/* GP here */'), text);
      assert.match(frames[marker + 2]?.name ?? '', /^kmain/, text);
      assert.strictEqual((await frameLocals(s, frames[marker + 1].id)).get('marker'), '8', text);
      assert.strictEqual(await ev(s, 'error', frames[0].id), '4660');

      // #OF (a trap) and INT 2Eh through stubs that push the vector first, the dummy error code after it
      // (isr.asm's layout read here would say vector 0): the vector from the IDT and the stubs' own pushes.
      for (const [event, line] of [
        [/^\[exception: #OF \(vector 4\), EIP .*registers saved by pusha/, at('/* OF here */')],
        [/^\[interrupt: vector 46, EIP .*registers saved by pusha/, at('/* INT here */')],
      ] as const) {
        await next();
        ({ frames, marker, text } = await markedStack(s));
        assert.match(frames[0].name, /^on_alt/, text);
        assert.match(frames[marker]?.name ?? '', event, text);
        assert.match(frames[marker + 1].name, /^provoke/, text);
        assert.ok([line, line + 1].includes(frames[marker + 1].line), text);
        assert.strictEqual((await frameLocals(s, frames[marker + 1].id)).get('marker'), '8', text);
      }

      // IRQ0 in an interrupt function without an error code, from the HLT in wait_ticks.
      await next();
      ({ frames, marker, text } = await markedStack(s));
      assert.match(frames[0].name, /^timer_irq/, text);
      assert.match(frames[marker]?.name ?? '', /^\[interrupt: vector 32, EIP /, text);
      assert.match(frames[marker + 1].name, /^wait_ticks/, text);
      const loop = [at('while (ticks < goal)'), at('spins++'), at('"hlt"')];
      assert.ok(loop.includes(frames[marker + 1].line), text);
      const wait = await frameLocals(s, frames[marker + 1].id);
      assert.strictEqual(wait.get('spins'), '1', [...wait].join(', '));
      assert.strictEqual(await ev(s, 'goal', frames[marker + 1].id), '3');
      assert.match(frames[marker + 2]?.name ?? '', /^kmain/, text);
    });
  }
});
