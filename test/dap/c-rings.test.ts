// Interrupted code at another privilege level and in virtual-8086 mode (debug-adapter/c-interrupts.ts), on
// test/kernels/cring3.c + cring3-modes.asm: a ring-3 C task interrupted by the timer and faulting on CLI (the
// CPU's frame holds SS:ESP: the interrupted stack is the user's, not the one above the frame), then a V86
// task interrupted by the timer (ES, DS, FS, GS pushed too; the code is addressed CS * 16 + IP). Stopped in
// the ring-0 handlers, the stack goes on into the ring-3 C line with its locals (read from the user stack)
// or to the V86 instruction's line. COM1 equals QEMU -kernel's. gcc and clang, -O0 and -O2.
import * as assert from 'assert';
import * as path from 'path';

import type { DebugProtocol } from '@vscode/debugprotocol';

import { buildKernel, C_BUILDS, KERNEL_SOURCES } from '../kernels/build';
import { requireGdb } from '../kernels/gdb-batch';
import { assertSameComAsQemu } from '../kernels/qemu-kernel';
import { requireQemu } from '../pc/qemu';
import { eachTestSession, lineOf, frameLocals, markedStack } from './dap-session';

const SOURCE = path.join(KERNEL_SOURCES, 'cring3.c');
const ASM = path.join(KERNEL_SOURCES, 'cring3-modes.asm');

const build = (dir: string, cc: 'gcc' | 'clang', opt: string): string =>
  buildKernel(dir, 'cring3', ['cpu.c', 'cring3.c', 'isr.asm', 'cring3-modes.asm'], opt, { cc });

describe('C call stacks into ring-3 and virtual-8086 code', function () {
  this.timeout(180000);
  const session = eachTestSession();
  before(() => {
    requireGdb();
    requireQemu();
  });

  for (const cc of ['gcc', 'clang'] as const)
    it(`${cc} -O2: cring3 prints the same on COM1 as under QEMU -kernel`, async () => {
      const s = session();
      const elf = build(s.cwd, cc, '-O2');
      await assertSameComAsQemu(elf, s.cwd, /ring 3: #GP at cli, error code 0x00000000, ticks 3\nv86: 3 ticks\n$/);
    });

  for (const [cc, opt] of C_BUILDS) {
    it(`${cc} ${opt}: the timer and a #GP in ring 3, then the timer in V86: each interrupted line, its locals`, async () => {
      const s = session();
      const elf = build(s.cwd, cc, opt);
      const stopped = s.expectStop('breakpoint');
      await s.launch({ program: elf }, (dc) =>
        dc.setBreakpointsRequest({
          source: { path: SOURCE },
          breakpoints: [{ line: lineOf(SOURCE, 'BREAK timer'), condition: 'ticks == 0' }],
        }),
      );
      await stopped;

      // The first tick, in ring 3: the frame's SS:ESP is the user's stack, where the volatile locals live.
      let { frames, marker, text } = await markedStack(s);
      assert.match(frames[0].name, /^on_timer/, text);
      assert.match(
        frames[marker]?.name ?? '',
        /^\[interrupt: vector 32, ring 3 EIP [0-9A-F]{8} CS 001B SS:ESP 0023:[0-9A-F]{8} EFLAGS .*registers saved by pusha/,
        text,
      );
      assert.match(frames[marker + 1].name, /^user_main(\+0x[0-9a-f]+)? \(001B:/, text);
      assert.strictEqual(frames[marker + 1].source?.path, SOURCE, text);
      const loop = [lineOf(SOURCE, 'while (ticks < 3)'), lineOf(SOURCE, 'USER loop'), lineOf(SOURCE, 'seen = ticks;')];
      assert.ok(loop.includes(frames[marker + 1].line), text);
      const first = await frameLocals(s, frames[marker + 1].id);
      assert.strictEqual(first.get('seen'), '0', [...first].join(', '));
      assert.match(first.get('rounds') ?? '', /^[1-9]\d*$/, [...first].join(', '));
      assert.match(frames[marker + 2]?.name ?? '', /^user_entry/, text);
      assert.strictEqual(frames.length, marker + 3, `the task's first frame is the last: ${text}`);

      // The CLI in ring 3: #GP with error code 0, at its line, seen = 3.
      await s.dc.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [] });
      await s.dc.setBreakpointsRequest({
        source: { path: SOURCE },
        breakpoints: [{ line: lineOf(SOURCE, 'BREAK gp') }],
      });
      await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
      ({ frames, marker, text } = await markedStack(s));
      assert.match(frames[0].name, /^on_gp/, text);
      assert.match(
        frames[marker]?.name ?? '',
        /^\[exception: #GP \(vector 13\), error code 00000000, ring 3 EIP .* CS 001B SS:ESP 0023:/,
        text,
      );
      assert.strictEqual(frames[marker + 1].line, lineOf(SOURCE, 'GP here'), text);
      const atCli = await frameLocals(s, frames[marker + 1].id);
      assert.strictEqual(atCli.get('seen'), '3', [...atCli].join(', '));
      const ev = await s.dc.evaluateRequest({ expression: 'rounds > 0 && seen == 3', frameId: frames[marker + 1].id });
      assert.strictEqual(ev.body.result, '1');

      // The timer in virtual-8086 mode: the 16-bit loop's line in cring3-modes.asm, real-mode addressed.
      await s.dc.setBreakpointsRequest({
        source: { path: SOURCE },
        breakpoints: [{ line: lineOf(SOURCE, 'BREAK timer'), condition: 'f->eflags & 0x20000' }],
      });
      await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
      ({ frames, marker, text } = await markedStack(s));
      assert.match(frames[0].name, /^on_timer/, text);
      assert.match(
        frames[marker]?.name ?? '',
        /^\[interrupt: vector 32, V86 FFFF:[0-9A-F]{4} \(linear 001[0-9A-F]{5}\) SS:SP 7000:FFF0 EFLAGS 0002[0-9A-F]{4} .*registers saved by pusha/,
        text,
      );
      const v86 = frames[marker + 1];
      assert.match(v86.name, /^v86_code\.spin(\+0x\d+)? \(FFFF:[0-9A-F]{4}, virtual-8086\)$/, text);
      assert.strictEqual(v86.source?.path, ASM, text);
      assert.ok([lineOf(ASM, 'inc ax'), lineOf(ASM, 'jmp .spin')].includes(v86.line), text);
      assert.strictEqual(frames.length, marker + 2, text);
      // Its Disassembly is 16-bit code at the linear address CS * 16 + IP.
      const r = await s.dc.customRequest('disassemble', {
        memoryReference: v86.instructionPointerReference,
        instructionCount: 2,
      });
      const [here] = r.body.instructions as DebugProtocol.DisassembledInstruction[];
      assert.match(here.instruction, /^(inc ax|jmp 0x[0-9A-F]{4})$/, JSON.stringify(here));
      assert.strictEqual(here.location?.path, ASM);
    });
  }
});
