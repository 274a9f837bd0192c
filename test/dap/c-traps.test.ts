// The call stack and variables past an interrupt or exception frame (debug-adapter/c-interrupts.ts): stopped
// in a C handler, the stack goes through isr.asm's stub and the CPU's iret frame into the interrupted C
// function, and that function and its callers have their Locals with the values they had when the CPU
// left them (gdb is shown the interrupted code's registers). On test/kernels/ctrap.c: an IRQ0 that wakes a
// HLT, and a #PF with a CPU-pushed error code from a C write; gcc and clang at -O0 and -O2, and with the
// call-frame information in .eh_frame instead of .debug_frame.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';

import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildKernel, KERNEL_SOURCES } from '../kernels/build';
import { requireGdb } from '../kernels/gdb-batch';
import { DapSession, eachTestSession, lineOf, frameLocals } from './dap-session';

const SOURCE = path.join(KERNEL_SOURCES, 'ctrap.c');

/** Stops at the first call of handler `fn`; the frames and their short names. */
async function stopIn(
  s: DapSession,
  elf: string,
  fn: string,
): Promise<{ frames: DebugProtocol.StackFrame[]; names: string[] }> {
  const stopped = s.expectStop('function breakpoint');
  await s.launch({ program: elf }, (dc) => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: fn }] }));
  await stopped;
  const frames = await s.frames();
  return { frames, names: frames.map((f) => f.name.replace(/[+ ].*/, '')) };
}

const BUILDS: { tag: string; cc: 'gcc' | 'clang'; opt: string; flags?: string[]; linkScript?: string }[] = [
  { tag: 'gcc -O0', cc: 'gcc', opt: '-O0' },
  { tag: 'gcc -O2', cc: 'gcc', opt: '-O2' },
  { tag: 'clang -O0', cc: 'clang', opt: '-O0' },
  { tag: 'clang -O2', cc: 'clang', opt: '-O2' },
  // Call-frame information in .eh_frame only (the link script keeps it; no .debug_frame is written).
  {
    tag: 'gcc -O2 .eh_frame',
    cc: 'gcc',
    opt: '-O2',
    flags: ['-fasynchronous-unwind-tables'],
    linkScript: 'link-eh.ld',
  },
  {
    tag: 'clang -O2 .eh_frame',
    cc: 'clang',
    opt: '-O2',
    flags: ['-fasynchronous-unwind-tables'],
    linkScript: 'link-eh.ld',
  },
];

describe('C call stack and variables past interrupt and exception frames', function () {
  this.timeout(120000);
  const session = eachTestSession();
  before(() => requireGdb());

  for (const b of BUILDS) {
    const build = (s: DapSession): string => {
      const elf = buildKernel(s.cwd, 'ctrap', ['ctrap.c', 'cpu.c', 'isr.asm'], b.opt, b);
      if (b.linkScript) {
        const sections = spawnSync('objdump', ['-h', elf], { encoding: 'utf8' }).stdout;
        assert.match(sections, /\.eh_frame/);
        assert.doesNotMatch(sections, /\.debug_frame/);
      }
      return elf;
    };

    it(`${b.tag}: an IRQ handler's stack goes on into the interrupted C function and kmain, each with its Locals`, async () => {
      const s = session();
      const { frames, names } = await stopIn(s, build(s), 'on_timer');
      assert.strictEqual(names[0], 'on_timer', names.join(' | '));
      const marker = names.indexOf('[interrupt:');
      assert.ok(marker > 0 && names.slice(0, marker).includes('isr_common'), names.join(' | '));
      assert.match(frames[marker].name, /^\[interrupt: vector 32, EIP .*registers saved by pusha at [0-9A-F]{8}\]$/);
      assert.deepStrictEqual(names.slice(marker + 1, marker + 4), ['wait_ticks', 'kmain', '_start'], names.join(' | '));
      const wait = frames[marker + 1];
      assert.strictEqual(wait.source?.path, SOURCE);
      const loop = [lineOf(SOURCE, 'while (ticks < goal)'), lineOf(SOURCE, 'spins++'), lineOf(SOURCE, '"hlt"')];
      assert.ok(loop.includes(wait.line), `wait_ticks at line ${wait.line}, not in the loop ${loop.join(', ')}`);
      // The first tick wakes the first HLT: one spin so far, and the goal kmain passed.
      const waitLocals = await frameLocals(s, wait.id);
      assert.strictEqual(waitLocals.get('goal'), '3', [...waitLocals].join(', '));
      assert.strictEqual(waitLocals.get('spins'), '1', [...waitLocals].join(', '));
      // kmain's total (1 + 8 + 15 from fill_pages) lives across the wait: in a register the callee saved at -O2.
      const kmain = frames[marker + 2];
      assert.strictEqual(kmain.line, lineOf(SOURCE, 'uint32_t spins = wait_ticks(3);'));
      assert.strictEqual((await frameLocals(s, kmain.id)).get('total'), '24');
      // Watch and evaluate in those frames: their names, their values.
      const ev = async (expression: string, frameId: number) =>
        (await s.dc.evaluateRequest({ expression, frameId, context: 'watch' })).body.result;
      assert.strictEqual(await ev('goal * 2 + spins', wait.id), '7');
      assert.strictEqual(await ev('total + 1', kmain.id), '25');
      await assert.rejects(ev('goal', kmain.id), /No symbol "goal" in current context/);
      // The handler's frame still answers in its own terms afterwards.
      assert.match(await ev('f->vector', frames[0].id), /^32$/);
      // The marker itself is no C frame.
      const markerScopes = (await s.dc.scopesRequest({ frameId: frames[marker].id })).body.scopes;
      assert.ok(!markerScopes.some((x) => x.name === 'Locals'), markerScopes.map((x) => x.name).join(', '));
    });

    it(`${b.tag}: an exception with an error code: handler -> stub -> [exception] -> the faulting C line with its Locals`, async () => {
      const s = session();
      const { frames, names } = await stopIn(s, build(s), 'on_page_fault');
      assert.strictEqual(names[0], 'on_page_fault', names.join(' | '));
      const marker = names.indexOf('[exception:');
      assert.ok(marker > 0 && names.slice(0, marker).includes('isr_common'), names.join(' | '));
      assert.match(frames[marker].name, /^\[exception: #PF \(vector 14\), error code 00000002, EIP /);
      assert.deepStrictEqual(names.slice(marker + 1, marker + 4), ['fill_pages', 'kmain', '_start'], names.join(' | '));
      // The frame is the faulting instruction itself (a fault's EIP), at its C line.
      const fill = frames[marker + 1];
      assert.strictEqual(fill.source?.path, SOURCE);
      assert.strictEqual(fill.line, lineOf(SOURCE, 'FAULT here'));
      const ours = await frameLocals(s, fill.id);
      assert.strictEqual(ours.get('pages'), '3', [...ours].join(', '));
      // (At -O2 both compilers count with the pointer instead: i is optimised out there.)
      if (b.opt === '-O0') assert.strictEqual(ours.get('i'), '0', [...ours].join(', '));
      assert.strictEqual(ours.get('value'), '1', [...ours].join(', '));
      assert.match(ours.get('window') ?? '', /^\(volatile uint32_t \*\) 0x40000000$|^0x40000000$/);
      assert.strictEqual(frames[marker + 2].line, lineOf(SOURCE, 'uint32_t total = fill_pages('));
      // The handler sees the error code the CPU pushed (write to a page not present: 2).
      const error = await s.dc.evaluateRequest({ expression: 'f->error', frameId: frames[0].id, context: 'watch' });
      assert.strictEqual(error.body.result, '2');
      // The third fault: i and value have moved on, the handler's stack still leads to them.
      const fault = lineOf(SOURCE, 'BREAK fault');
      await s.dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      await s.dc.setBreakpointsRequest({
        source: { path: SOURCE },
        breakpoints: [{ line: fault, condition: 'faults == 2' }],
      });
      await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
      const again = await s.frames();
      const at = again.findIndex((f) => f.name.startsWith('[exception:'));
      const third = await frameLocals(s, again[at + 1].id);
      if (b.opt === '-O0') assert.strictEqual(third.get('i'), '2', [...third].join(', '));
      assert.strictEqual(third.get('value'), '15', [...third].join(', '));
    });
  }
});
