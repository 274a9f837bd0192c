// Nested events on the call stack (debug-adapter/c-interrupts.ts followed twice), on test/kernels/cnest.c: a
// #UD and a #GP (error code 0x1230) raised inside the timer's IRQ handler, and the timer's IRQ taken inside a
// #BP handler that re-enabled interrupts. Stopped in the innermost handler, the stack names both events and
// shows every frame at its source line, and the frames past each event answer in their own terms (locals,
// registers). The kernel prints the same on COM1 as under QEMU -kernel. gcc and clang, -O0 and -O2.
import * as assert from 'assert';
import * as path from 'path';

import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildKernel, C_BUILDS, KERNEL_SOURCES } from '../kernels/build';
import { requireGdb } from '../kernels/gdb-batch';
import { assertSameComAsQemu } from '../kernels/qemu-kernel';
import { requireQemu } from '../pc/qemu';
import { DapSession, eachTestSession, frameLocals, frameScope, lineOf, markedStack } from './dap-session';

const SOURCE = path.join(KERNEL_SOURCES, 'cnest.c');
const ISR = path.join(KERNEL_SOURCES, 'isr.asm');
const at = (text: string): number => lineOf(SOURCE, text);
const lines = (first: number, last: number): number[] => Array.from({ length: last - first + 1 }, (_, i) => first + i);

/** IRQ0's two shapes: isr.asm's stub into a C handler, or an interrupt function the IDT enters itself. */
const VARIANTS = [
  {
    tag: 'IRQ0 through isr.asm',
    flags: [] as string[],
    stub: true,
    timer: 'on_timer',
    tick: 'TICK stub',
    call: 'CALL work stub',
  },
  {
    tag: 'IRQ0 as an interrupt function',
    // gcc needs -mgeneral-regs-only for interrupt functions (no x87/SSE state is saved for them).
    flags: ['-DTIMER_INTERRUPT_FUNCTION', '-mgeneral-regs-only'],
    stub: false,
    timer: 'timer_irq',
    tick: 'TICK irq',
    call: 'CALL work irq',
  },
  {
    // The PICs as the BIOS left them: IRQ0 on vector 8, where #DF is, read as IRQ 0 by the PIC's ISR.
    tag: 'IRQ0 on vector 8 (PICs not remapped)',
    flags: ['-DTIMER_INTERRUPT_FUNCTION', '-DPIC_NOT_REMAPPED', '-mgeneral-regs-only'],
    stub: false,
    timer: 'timer_irq',
    tick: 'TICK irq',
    call: 'CALL work irq',
  },
];
type Variant = (typeof VARIANTS)[number];

const build = (dir: string, cc: 'gcc' | 'clang', opt: string, v: Variant = VARIANTS[0]): string =>
  buildKernel(dir, 'cnest', ['cpu.c', 'cnest.c', 'isr.asm'], opt, { cc, flags: v.flags });

/** The timer's handler frames down to its event marker. */
const timerPath = (v: Variant, line: number): Expected[] => [
  ...(v.stub ? handlerPath(v.timer, line) : [{ fn: v.timer, line }]),
  {
    marker: v.stub
      ? /^\[interrupt: vector 32, EIP [0-9A-F]{8} CS 0008 .*registers saved by pusha at /
      : v.flags.includes('-DPIC_NOT_REMAPPED')
        ? /^\[interrupt: IRQ 0 on vector 8 \(in service at the PIC: not #DF\), EIP [0-9A-F]{8} CS 0008 .*registers from the handler's call-frame information/
        : /^\[interrupt: vector 32, EIP [0-9A-F]{8} CS 0008 .*registers from the handler's call-frame information/,
  },
];

const ev = async (s: DapSession, expression: string, frameId: number): Promise<string> =>
  (await s.dc.evaluateRequest({ expression, frameId, context: 'watch' })).body.result;

/** One expected frame: its function, and its file and line (a marker: the start of its name instead). */
type Expected = { fn: string; file?: string; line?: number | number[] } | { marker: RegExp };

/** The whole stack as expected, frame by frame: every frame at its function, file and line. */
function assertStack(frames: DebugProtocol.StackFrame[], expected: Expected[], text: string): void {
  assert.ok(frames.length >= expected.length, `${expected.length} frames expected:\n  ${text}`);
  expected.forEach((e, i) => {
    const f = frames[i];
    if ('marker' in e) {
      assert.match(f.name, e.marker, `frame ${i}:\n  ${text}`);
      return;
    }
    assert.strictEqual(f.name.replace(/[+ ].*/, ''), e.fn, `frame ${i}:\n  ${text}`);
    assert.strictEqual(f.source?.path, e.file ?? SOURCE, `frame ${i} (${e.fn}) file:\n  ${text}`);
    const lines = e.line === undefined ? [] : Array.isArray(e.line) ? e.line : [e.line];
    if (lines.length)
      assert.ok(lines.includes(f.line), `frame ${i} (${e.fn}) at line ${f.line}, not ${lines}:\n  ${text}`);
    else assert.ok(f.line > 0, `frame ${i} (${e.fn}) has no line:\n  ${text}`);
  });
}

const handlerPath = (fn: string, line?: number | number[]): Expected[] => [
  { fn, line },
  { fn: 'isr_dispatch', file: path.join(KERNEL_SOURCES, 'cpu.c') },
  { fn: 'isr_common', file: ISR },
];

describe('C call stacks through nested interrupts and exceptions', function () {
  this.timeout(180000);
  const session = eachTestSession();
  before(() => {
    requireGdb();
    requireQemu();
  });

  for (const v of VARIANTS)
    for (const [cc, opt] of C_BUILDS)
      it(`${cc} ${opt}, ${v.tag}: cnest prints the same on COM1 as under QEMU -kernel`, async () => {
        const s = session();
        await assertSameComAsQemu(
          build(s.cwd, cc, opt, v),
          s.cwd,
          /ticks: 3; #UD 1, #GP 1 error code 0x00001230, work done 3\n#BP: 0x00000101, ticks in its handler 1, handled 4\n$/,
        );
      });

  for (const v of VARIANTS)
    for (const [cc, opt] of C_BUILDS) {
      it(`${cc} ${opt}, ${v.tag}: a #UD and a #GP in the IRQ handler, an IRQ in the #BP handler: both events, every frame at its line`, async () => {
        const s = session();
        const stopped = s.expectStop('function breakpoint');
        await s.launch({ program: build(s.cwd, cc, opt, v) }, (dc) =>
          dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'on_ud' }, { name: 'on_gp' }] }),
        );
        await stopped;
        const waiting = [at('while (ticks < goal) {'), at('spins++'), at('WAIT hlt')];
        const underIrq = (fault: string): Expected[] => [
          { fn: 'timer_work', line: at(fault) },
          ...timerPath(v, at(v.call)),
          { fn: 'wait_ticks', line: waiting },
          { fn: 'kmain', line: at('CALL ticks') },
        ];

        // #UD inside the first tick's handler.
        let { frames, marker, text } = await markedStack(s);
        assertStack(
          frames,
          [
            // (Where a function breakpoint lands in the handler is the compiler's: its first statement row.)
            ...handlerPath('on_ud', lines(at('BREAK ud'), at('f->eip += 2; /* ud2 */'))),
            { marker: /^\[exception: #UD \(vector 6\), EIP [0-9A-F]{8} CS 0008 .*registers saved by pusha at / },
            ...underIrq('UD in IRQ'),
          ],
          text,
        );
        const second = frames.findIndex((f, i) => i > marker && f.name.startsWith('['));
        // The frames past each event answer in their own terms: the handler's frame pointer, the IRQ's tick.
        assert.strictEqual(await ev(s, 'f->vector', frames[0].id), '6');
        assert.strictEqual((await frameLocals(s, frames[marker + 1].id)).get('tick'), '1', text);
        if (v.stub) assert.strictEqual(await ev(s, 'f->vector', frames[marker + 3].id), '32');
        assert.strictEqual(await ev(s, 'goal', frames[second + 1].id), '3');
        // The #UD's EIP is the ud2 the handler steps over; the frame past it shows that as its EIP.
        const shown = await frameScope(s, frames[marker + 1].id, 'Registers');
        assert.strictEqual(Number(shown.get('eip')), Number(await ev(s, 'f->eip', frames[0].id)), text);

        // #GP with its error code inside the second tick's handler.
        await s.resume('function breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
        ({ frames, marker, text } = await markedStack(s));
        assertStack(
          frames,
          [
            ...handlerPath('on_gp', lines(at('BREAK gp'), at('f->eip += 2; /* mov fs'))),
            { marker: /^\[exception: #GP \(vector 13\), error code 00001230, EIP [0-9A-F]{8} CS 0008 / },
            ...underIrq('GP in IRQ'),
          ],
          text,
        );
        assert.strictEqual((await frameLocals(s, frames[marker + 1].id)).get('tick'), '2', text);

        // The timer's IRQ inside the #BP handler, which waits with interrupts on.
        await s.dc.setFunctionBreakpointsRequest({ breakpoints: [] });
        await s.dc.setBreakpointsRequest({
          source: { path: SOURCE },
          breakpoints: [{ line: at(v.tick), condition: 'ticks == 3' }],
        });
        await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
        ({ frames, marker, text } = await markedStack(s));
        assertStack(
          frames,
          [
            ...timerPath(v, at(v.tick)),
            { fn: 'bp_wait_tick', line: at('IRQ in BP') },
            { fn: 'on_breakpoint', line: at('CALL wait') },
            ...handlerPath('isr_dispatch').slice(1),
            { marker: /^\[exception: #BP \(vector 3\), EIP [0-9A-F]{8} CS 0008 .*registers saved by pusha at / },
            { fn: 'provoke_bp', line: at('BP here') },
            { fn: 'kmain', line: at('CALL bp') },
          ],
          text,
        );
        assert.strictEqual(await ev(s, 'goal', frames[marker + 1].id), '4');
        assert.strictEqual(await ev(s, 'f->vector', frames[marker + 3].id), '3');
      });
    }
});
