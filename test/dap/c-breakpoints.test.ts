// C breakpoints at every build the C tests cover (gcc and clang, -O0 and -O2, DWARF 5 and 4), with a real DAP client on
// test/kernels/cbreak.c: lines with no code (an empty line, a comment) inside a function are moved to the
// next line with code and say so; a line of a header's static inline function (a call at -O0, inlined at -O2)
// stops there with the .h file in the call stack and the caller below; a function breakpoint by name stops
// past the prologue, at the first statement.
import * as assert from 'assert';
import * as path from 'path';

import { buildKernel, C_BUILDS, C_DWARF4_VARIANTS, expectDwarfVersion, KERNEL_SOURCES } from '../kernels/build';
import { requireGdb } from '../kernels/gdb-batch';
import { eachTestSession, lineOf } from './dap-session';

const C = path.join(KERNEL_SOURCES, 'cbreak.c');
const H = path.join(KERNEL_SOURCES, 'cbreak.h');

/** C_BUILDS at the compilers' default DWARF 5, and C_DWARF4_VARIANTS at DWARF 4. */
const BUILDS: { cc: 'gcc' | 'clang'; opt: string; flags: string[] }[] = [
  ...C_BUILDS.map(([cc, opt]) => ({ cc, opt, flags: [] })),
  ...C_DWARF4_VARIANTS.map((v) => ({ cc: v.cc, opt: v.opt, flags: [...v.flags] })),
];

describe('C breakpoints: moved lines, header lines, functions by name', function () {
  this.timeout(120000);
  const session = eachTestSession();
  before(() => requireGdb());

  for (const { cc, opt, flags } of BUILDS) {
    const tag = [cc, opt, ...flags].join(' ');
    it(`${tag}: a line with no code moves to the next line with code and says why; the stop is there`, async () => {
      const s = session();
      const elf = buildKernel(s.cwd, 'cbreak', ['cbreak.c'], opt, { cc, flags });
      const blank = lineOf(C, 'CALL clamp') + 1;
      const comment = lineOf(C, 'a comment, no code');
      const after = lineOf(C, 'AFTER comment');
      let set: Awaited<ReturnType<typeof s.dc.setBreakpointsRequest>> | undefined;
      const stopped = s.expectStop('breakpoint');
      await s.launch({ program: elf }, async (dc) => {
        set = await dc.setBreakpointsRequest({
          source: { path: C },
          breakpoints: [{ line: blank }, { line: comment }],
        });
      });
      for (const [b, asked] of [
        [set!.body.breakpoints[0], blank],
        [set!.body.breakpoints[1], comment],
      ] as const) {
        assert.ok(b.verified, b.message);
        assert.strictEqual(b.line, after, `line ${asked} moved to ${b.line}: ${b.message}`);
        assert.match(b.message ?? '', new RegExp(`has no code; the breakpoint moved to line ${after}`));
      }
      await stopped;
      const top = (await s.frames())[0];
      assert.strictEqual(top.source?.path, C);
      assert.strictEqual(top.line, after);
      assert.match(top.name, /^adjust/);
      // The first call: clamp(-1, 0, 10) gave 0.
      assert.strictEqual((await s.evaluate('c')).body.result, '0');
    });

    it(`${tag}: a line of a static inline function in a header stops there, the caller below it`, async () => {
      const s = session();
      const elf = buildKernel(s.cwd, 'cbreak', ['cbreak.c'], opt, { cc, flags });
      const line = lineOf(H, 'HEADER line');
      let set: Awaited<ReturnType<typeof s.dc.setBreakpointsRequest>> | undefined;
      const stopped = s.expectStop('breakpoint');
      await s.launch({ program: elf }, async (dc) => {
        set = await dc.setBreakpointsRequest({ source: { path: H }, breakpoints: [{ line }] });
      });
      assert.ok(set!.body.breakpoints[0].verified, set!.body.breakpoints[0].message);
      assert.strictEqual(set!.body.breakpoints[0].line, line);
      await stopped;
      const frames = await s.frames();
      const names = frames.map(
        (f) => `${f.name.replace(/[+ ].*/, '')}@${path.basename(f.source?.path ?? '?')}:${f.line}`,
      );
      assert.strictEqual(frames[0].source?.path, H, names.join(' | '));
      assert.strictEqual(frames[0].line, line, names.join(' | '));
      // Named for the inline function (a frame of its own), whether called (-O0) or inlined (-O2).
      assert.match(frames[0].name, opt === '-O0' ? /^clamp\+0x/ : /^clamp \[inlined\]/, names.join(' | '));
      const caller = frames.findIndex((f) => /^adjust/.test(f.name));
      assert.ok(caller > 0, names.join(' | '));
      assert.strictEqual(frames[caller].source?.path, C, names.join(' | '));
      assert.strictEqual(frames[caller].line, lineOf(C, 'CALL clamp'), names.join(' | '));
      // The inline function's parameter, in its own frame: the first call's -1.
      assert.strictEqual((await s.dc.evaluateRequest({ expression: 'v', frameId: frames[0].id })).body.result, '-1');
    });

    it(`${tag}: a function breakpoint by name stops past the prologue, at the first statement`, async () => {
      const s = session();
      const elf = buildKernel(s.cwd, 'cbreak', ['cbreak.c'], opt, { cc, flags });
      expectDwarfVersion(elf, flags.includes('-gdwarf-4') ? 4 : 5);
      let fn: Awaited<ReturnType<typeof s.dc.setFunctionBreakpointsRequest>> | undefined;
      const stopped = s.expectStop('function breakpoint');
      await s.launch({ program: elf }, async (dc) => {
        fn = await dc.setFunctionBreakpointsRequest({
          breakpoints: [{ name: 'adjust' }, { name: 'no_such_function' }],
        });
      });
      const [adjust, missing] = fn!.body.breakpoints;
      assert.ok(adjust.verified, adjust.message);
      assert.ok(!missing.verified);
      assert.match(missing.message ?? '', /no_such_function/);
      await stopped;
      // At -O2 adjust's code begins with the inlined clamp's: the stop is in it, adjust right below.
      const frames = await s.frames();
      const names = frames.map((f) => `${f.name} ${path.basename(f.source?.path ?? '?')}:${f.line}`).join(' | ');
      const top = frames[0];
      if (/^clamp \[inlined\]/.test(top.name)) {
        assert.strictEqual(opt, '-O2', names);
        assert.strictEqual(top.source?.path, H, names);
        assert.strictEqual(top.line, lineOf(H, 'HEADER line'), names);
        assert.match(frames[1].name, /^adjust/, names);
        assert.strictEqual(frames[1].line, lineOf(C, 'CALL clamp'), names);
      } else {
        assert.match(top.name, /^adjust/, names);
        assert.strictEqual(top.source?.path, C, names);
        assert.strictEqual(top.line, lineOf(C, 'CALL clamp'), names);
      }
      assert.strictEqual((await s.evaluate('v')).body.result, '-1');
    });
  }
});
