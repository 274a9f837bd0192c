// Stepping by C line through a real DAP client, on test/kernels/cstep.c built by gcc at -O0 and -O2 (and
// clang), DWARF 5 and, for C_DWARF4_VARIANTS, DWARF 4: step
// over runs calls whole (recursion too, by the stack pointer), step in stops past a callee's prologue, runs a
// callee without line information whole, and goes from C into an assembly routine by its .asm lines (NASM
// -g -F dwarf) and back; step out returns to the caller; 'instruction' granularity still steps one
// instruction; step back and reverse-continue go back by C line through the replay machinery.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as path from 'path';

import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildKernel, KERNEL_SOURCES, C_BUILDS, C_DWARF4_VARIANTS, expectDwarfVersion } from '../kernels/build';
import { DapSession, eachTestSession, lineOf } from './dap-session';

const C = path.join(KERNEL_SOURCES, 'cstep.c');
const ASM = path.join(KERNEL_SOURCES, 'cstep-asm.asm');
const at = (text: string): number => lineOf(C, text);

function symbolAddress(elf: string, name: string): number {
  const line = execFileSync('nm', [elf], { encoding: 'utf8' })
    .split('\n')
    .find((l) => l.endsWith(` ${name}`));
  if (!line) throw new Error(`${name} not in nm ${elf}`);
  return parseInt(line.split(' ')[0], 16);
}

async function top(s: DapSession): Promise<DebugProtocol.StackFrame> {
  return (await s.frames())[0];
}

/** The top frame's function and line, as `name:line` (`kmain:34`). */
async function where(s: DapSession): Promise<string> {
  const f = await top(s);
  return `${f.name.replace(/[+ ].*/, '')}:${path.basename(f.source?.path ?? '?')}:${f.line}`;
}

async function step(s: DapSession, kind: 'next' | 'stepIn' | 'stepOut' | 'stepBack', granularity?: string) {
  const stopped = s.expectStop('step');
  if (kind === 'next') await s.dc.nextRequest({ threadId: 1, granularity } as DebugProtocol.NextArguments);
  else if (kind === 'stepIn') await s.dc.stepInRequest({ threadId: 1, granularity } as DebugProtocol.StepInArguments);
  else if (kind === 'stepOut') await s.dc.stepOutRequest({ threadId: 1 });
  else await s.dc.stepBackRequest({ threadId: 1, granularity } as DebugProtocol.StepBackArguments);
  return stopped;
}

async function register(s: DapSession, name: string): Promise<number> {
  return parseInt((await s.evaluate(name)).body.result.replace(/^0x/i, ''), 16);
}

/** The compilers' default DWARF 5 at -O0 and -O2, and C_DWARF4_VARIANTS' DWARF 4 build of each. */
const dwarf4 = (cc: string) =>
  C_DWARF4_VARIANTS.filter((v) => v.cc === cc).map((v) => ({ opt: v.opt, flags: [...v.flags] as string[] }));
const GCC = [{ opt: '-O0', flags: [] as string[] }, { opt: '-O2', flags: [] as string[] }, ...dwarf4('gcc')];
const CLANG = [{ opt: '-O0', flags: [] as string[] }, { opt: '-O2', flags: [] as string[] }, ...dwarf4('clang')];

describe('stepping by C line', function () {
  this.timeout(90000);
  const session = eachTestSession();

  for (const { opt, flags } of GCC) {
    const tag = ['gcc', opt, ...flags].join(' ');
    const build = (dir: string): string => buildKernel(dir, 'cstep', ['cstep.c', 'cstep-asm.asm'], opt, { flags });
    describe(tag, () => {
      it('step over runs each call whole and stops at the next line of kmain; step back returns line by line', async () => {
        const s = session();
        const elf = build(s.cwd);
        if (flags.includes('-gdwarf-4')) expectDwarfVersion(elf, 4);
        await s.launchTo(C, '/* kmain first */', { program: elf });
        assert.strictEqual(await where(s), `kmain:cstep.c:${at('/* kmain first */')}`);
        const depth = (await s.frames()).length;
        const seen: number[] = [];
        for (let i = 0; i < 5; i++) {
          await step(s, 'next');
          const f = await top(s);
          assert.match(f.name, /^kmain\b/, `step ${i + 1}: still in kmain (${f.name} line ${f.line})`);
          // (-O2: the stack scan without CFI may take a stale return address for a frame; cdwarf's CFI fixes it.)
          if (opt === '-O0') assert.strictEqual((await s.frames()).length, depth, 'the same depth');
          seen.push(f.line);
        }
        // Every call line is reached in order, none skipped and no callee entered.
        const calls = [
          '/* call sum_to */',
          '/* call fact */',
          '/* call asm */',
          '/* call noline */',
          '/* after calls */',
        ];
        assert.deepStrictEqual(seen, calls.map(at), `lines ${seen}`);
        // Back by line, through the replay: the previous lines in turn.
        await step(s, 'stepBack');
        assert.strictEqual(await where(s), `kmain:cstep.c:${at('/* call noline */')}`);
        await step(s, 'stepBack');
        assert.strictEqual(await where(s), `kmain:cstep.c:${at('/* call asm */')}`);
        // And forward again from there.
        await step(s, 'next');
        assert.strictEqual(await where(s), `kmain:cstep.c:${at('/* call noline */')}`);
      });

      it('step in stops past the prologue in the callee, step out returns to the caller', async () => {
        const s = session();
        const elf = build(s.cwd);
        await s.launchTo(C, '/* call sum_to */', { program: elf });
        await step(s, 'stepIn');
        const inside = await top(s);
        assert.match(inside.name, /^sum_to\b/, inside.name);
        assert.ok(
          inside.line > at('int sum_to(int n)') && inside.line <= at('/* sum return */'),
          `a line of sum_to's body, not its opening line: ${inside.line}`,
        );
        const frames = await s.frames();
        assert.match(frames[1].name, /^kmain\b/);
        await step(s, 'stepOut');
        const back = await top(s);
        assert.match(back.name, /^kmain\b/, back.name);
        if (opt === '-O0') assert.strictEqual(back.line, at('/* call sum_to */'), 'mid-line, at the call');
        if (opt === '-O0') assert.strictEqual((await s.frames()).length, frames.length - 1);
      });

      it('step in runs a callee without line information whole, and goes into an assembly routine by its .asm lines and back', async () => {
        const s = session();
        const elf = build(s.cwd);
        await s.launchTo(C, '/* call noline */', { program: elf });
        await step(s, 'stepIn');
        assert.strictEqual(await where(s), `kmain:cstep.c:${at('/* after calls */')}`);

        const t = new DapSession();
        await t.start();
        try {
          const elf2 = build(t.cwd);
          await t.launchTo(C, '/* call asm */', { program: elf2 });
          await step(t, 'stepIn');
          let f = await top(t);
          assert.strictEqual(f.source?.path, ASM, `${f.name} ${f.source?.path}:${f.line}`);
          assert.strictEqual(f.line, lineOf(ASM, 'mov eax, [esp + 4]'));
          assert.match(f.name, /^asm_triple/);
          await step(t, 'stepIn');
          assert.strictEqual((await top(t)).line, lineOf(ASM, 'lea eax'));
          await step(t, 'next');
          assert.strictEqual((await top(t)).line, lineOf(ASM, 'ret'));
          await step(t, 'stepIn');
          f = await top(t);
          assert.match(f.name, /^kmain\b/, f.name);
          assert.strictEqual(f.source?.path, C);
          if (opt === '-O0') assert.strictEqual(f.line, at('/* call asm */'), 'back at the call, mid-line');
          await step(t, 'next');
          assert.ok((await top(t)).line > at('/* call asm */'));
        } finally {
          await t.stop();
        }
      });
    });
  }

  for (const { opt, flags } of CLANG) {
    const build = (dir: string): string =>
      buildKernel(dir, 'cstep', ['cstep.c', 'cstep-asm.asm'], opt, { cc: 'clang', flags });
    it(`${['clang', opt, ...flags].join(' ')}: step over and step back by line through kmain, step in and out of sum_to`, async () => {
      const s = session();
      const elf = build(s.cwd);
      if (flags.includes('-gdwarf-4')) expectDwarfVersion(elf, 4);
      await s.launchTo(C, '/* call sum_to */', { program: elf });
      const seen: number[] = [];
      for (let i = 0; i < 4; i++) {
        await step(s, 'next');
        const f = await top(s);
        assert.match(f.name, /^kmain\b/, `step ${i + 1}: still in kmain (${f.name} line ${f.line})`);
        seen.push(f.line);
      }
      const calls = ['/* call fact */', '/* call asm */', '/* call noline */', '/* after calls */'];
      assert.deepStrictEqual(seen, calls.map(at), `lines ${seen}`);
      await step(s, 'stepBack');
      assert.strictEqual(await where(s), `kmain:cstep.c:${at('/* call noline */')}`);
      const t = new DapSession();
      await t.start();
      try {
        const elf2 = build(t.cwd);
        await t.launchTo(C, '/* call sum_to */', { program: elf2 });
        await step(t, 'stepIn');
        const inside = await top(t);
        assert.match(inside.name, /^sum_to\b/, inside.name);
        assert.ok(inside.line > at('int sum_to(int n)') && inside.line <= at('/* sum return */'), `${inside.line}`);
        await step(t, 'stepOut');
        assert.match((await top(t)).name, /^kmain\b/);
      } finally {
        await t.stop();
      }
    });
  }

  it('-O0: step over a recursive call stays in the same invocation (stack pointer compared), not the deeper one', async () => {
    const s = session();
    const elf = buildKernel(s.cwd, 'cstep', ['cstep.c', 'cstep-asm.asm'], '-O0');
    await s.launchTo(C, '/* fact recurse */', { program: elf });
    const depth = (await s.frames()).length;
    const esp = await register(s, 'esp');
    await s.dc.setBreakpointsRequest({ source: { path: C }, breakpoints: [] });
    await step(s, 'next');
    const f = await top(s);
    assert.match(f.name, /^fact\b/);
    assert.strictEqual(f.line, at('/* fact recurse */') + 1, 'the closing brace of the same invocation');
    assert.strictEqual(await register(s, 'esp'), esp, 'the same stack level');
    assert.strictEqual((await s.frames()).length, depth);
    // Step in at the same place goes one level deeper, to the base-case test.
    const t = new DapSession();
    await t.start();
    try {
      const elf2 = buildKernel(t.cwd, 'cstep', ['cstep.c', 'cstep-asm.asm'], '-O0');
      await t.launchTo(C, '/* fact recurse */', { program: elf2 });
      const espOuter = await register(t, 'esp');
      await step(t, 'stepIn');
      assert.strictEqual((await top(t)).line, at('/* fact base */'));
      assert.ok((await register(t, 'esp')) < espOuter, 'deeper');
      assert.strictEqual((await t.frames()).length, depth + 1);
    } finally {
      await t.stop();
    }
  });

  for (const [cc, opt] of C_BUILDS) {
    it(`${cc} ${opt}: the Disassembly view interleaves the C source (location, line and symbol per instruction)`, async () => {
      const s = session();
      const elf = buildKernel(s.cwd, 'cstep', ['cstep.c', 'cstep-asm.asm'], opt, { cc });
      await s.launchTo(C, '/* call asm */', { program: elf });
      const f = await top(s);
      const r = await s.dc.customRequest('disassemble', {
        memoryReference: f.instructionPointerReference,
        instructionOffset: -8,
        instructionCount: 40,
        resolveSymbols: true,
      });
      const list = r.body.instructions as DebugProtocol.DisassembledInstruction[];
      const here = list.find((i) => i.address === f.instructionPointerReference);
      assert.ok(here, `the current instruction ${f.instructionPointerReference} is listed`);
      assert.strictEqual(here.location?.path, C);
      assert.strictEqual(here.line, f.line);
      assert.match(here.symbol ?? '', /kmain/);
      const lines = new Set(list.filter((i) => i.location?.path === C).map((i) => i.line));
      assert.ok(lines.size >= 3, `several C lines around it: ${[...lines]}`);
      // The assembly routine's instructions carry its .asm lines.
      const routine = await s.dc.customRequest('disassemble', {
        memoryReference: `0x${symbolAddress(elf, 'asm_triple').toString(16)}`,
        instructionCount: 3,
      });
      const first = (routine.body.instructions as DebugProtocol.DisassembledInstruction[])[0];
      assert.strictEqual(first.location?.path, ASM);
      assert.strictEqual(first.line, lineOf(ASM, 'mov eax, [esp + 4]'));
      assert.match(first.symbol ?? '', /asm_triple/);
    });
  }

  it("-O0: 'instruction' granularity steps one instruction within the C line", async () => {
    const s = session();
    const elf = buildKernel(s.cwd, 'cstep', ['cstep.c', 'cstep-asm.asm'], '-O0');
    await s.launchTo(C, '/* after calls */', { program: elf });
    const eip = await register(s, 'eip');
    await step(s, 'next', 'instruction');
    const f = await top(s);
    assert.strictEqual(f.line, at('/* after calls */'), 'still on the line');
    const after = await register(s, 'eip');
    assert.ok(after > eip && after - eip <= 15, `one instruction: ${eip.toString(16)} -> ${after.toString(16)}`);
  });

  for (const { opt, flags } of GCC) {
    it(`${['gcc', opt, ...flags].join(' ')}: reverse-continue goes back to the last hit of a C breakpoint; step back from a breakpoint reached by continue`, async () => {
      const s = session();
      const elf = buildKernel(s.cwd, 'cstep', ['cstep.c', 'cstep-asm.asm'], opt, { flags });
      await s.launchTo(C, '/* after calls */', { program: elf });
      // Arrived by a continue: step back finds the previous line by replaying.
      await step(s, 'stepBack');
      assert.strictEqual(await where(s), `kmain:cstep.c:${at('/* call noline */')}`);
      const set = await s.dc.setBreakpointsRequest({
        source: { path: C },
        breakpoints: [{ line: at('/* square body */') }],
      });
      assert.ok(set.body.breakpoints[0].verified);
      await s.resume('breakpoint', (dc) => dc.reverseContinueRequest({ threadId: 1 }));
      const f = await top(s);
      assert.match(f.name, /^square\b/, f.name);
      // -O2 starts both statements of square at one address; the frame shows the last statement there, as gdb.
      if (opt === '-O0') assert.strictEqual(f.line, set.body.breakpoints[0].line);
      else assert.ok([at('/* square body */'), at('/* square body */') + 1].includes(f.line), `${f.line}`);
      // The last of the three calls: x is 3 (the argument on the stack, above the return address).
      // (-O2 passes the static function's argument in EAX.)
      const arg = await s.evaluate(opt === '-O0' ? 'dword [ebp + 8]' : 'eax');
      assert.strictEqual(parseInt(arg.body.result.replace(/^0x/i, ''), 16), 3, arg.body.result);
    });
  }
});
