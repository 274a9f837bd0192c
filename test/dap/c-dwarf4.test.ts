// DWARF 4 line tables with relative names (test/kernels/build.ts C_DWARF4_BUILDS): the kernel built from a
// workspace root with `gcc -c src/cbreak.c` (gcc and clang, -O0 and -O2, with and without
// -fdebug-prefix-map=$PWD=., which leaves even the compilation directory as "."). A DWARF 4 line table does
// not repeat the compilation directory, so the files must be found through .debug_info's DW_AT_comp_dir
// (common/dwarf-units.ts) and the launch's cwd: breakpoints in the .c and the .h, the frames' sources, C
// locals, Disassembly with C, and the fault at its C line in the exit report (what Problems shows).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ExitReport } from '../../common/exit-report';
import { WORKSPACE_REPORT_PATH } from '../../common/exit-report';
import { buildInWorkspace, C_DWARF4_BUILDS } from '../kernels/build';
import { requireGdb } from '../kernels/gdb-batch';
import { eachTestSession, lineOf } from './dap-session';

describe('C debugging with DWARF 4 relative file names', function () {
  this.timeout(120000);
  const session = eachTestSession();
  before(() => requireGdb());

  for (const b of C_DWARF4_BUILDS) {
    it(`${b.tag}: .c and .h breakpoints, frames at the workspace's files, locals, Disassembly with C`, async () => {
      const s = session();
      const { elf, src } = buildInWorkspace(s.cwd, 'cbreak', ['cbreak.c'], b);
      const C = path.join(src, 'cbreak.c');
      const H = path.join(src, 'cbreak.h');
      const blank = lineOf(C, 'CALL clamp') + 1;
      const after = lineOf(C, 'AFTER comment');
      const header = lineOf(H, 'HEADER line');
      const stopped = s.expectStop('breakpoint');
      let set: DebugProtocol.Breakpoint[] = [];
      await s.launch({ program: elf }, async (dc) => {
        set = (await dc.setBreakpointsRequest({ source: { path: H }, breakpoints: [{ line: header }] })).body
          .breakpoints;
        set.push(
          ...(await dc.setBreakpointsRequest({ source: { path: C }, breakpoints: [{ line: blank }] })).body.breakpoints,
        );
      });
      assert.ok(set[0].verified && set[0].line === header, JSON.stringify(set[0]));
      assert.ok(set[1].verified && set[1].line === after, JSON.stringify(set[1]));
      await stopped;
      let frames = await s.frames();
      const names = frames.map((f) => `${f.name} ${f.source?.path}:${f.line}`).join(' | ');
      assert.strictEqual(frames[0].source?.path, H, names);
      assert.strictEqual(frames[0].line, header, names);
      const caller = frames.find((f) => /^adjust/.test(f.name));
      assert.strictEqual(caller?.source?.path, C, names);
      assert.strictEqual(caller?.line, lineOf(C, 'CALL clamp'), names);
      assert.strictEqual((await s.dc.evaluateRequest({ expression: 'v', frameId: frames[0].id })).body.result, '-1');
      // On to the moved line's stop, in the .c file.
      await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
      frames = await s.frames();
      assert.strictEqual(frames[0].source?.path, C);
      assert.strictEqual(frames[0].line, after);
      const scopes = (await s.dc.scopesRequest({ frameId: frames[0].id })).body.scopes;
      const locals = scopes.find((x) => x.name === 'Locals');
      assert.ok(locals, scopes.map((x) => x.name).join(', '));
      const vars = (await s.dc.variablesRequest({ variablesReference: locals.variablesReference })).body.variables;
      assert.deepStrictEqual(
        vars.filter((v) => v.name === 'c').map((v) => v.value),
        ['0'],
        vars.map((v) => `${v.name}=${v.value}`).join(', '),
      );
      const r = await s.dc.customRequest('disassemble', {
        memoryReference: frames[0].instructionPointerReference,
        instructionOffset: -4,
        instructionCount: 16,
        resolveSymbols: true,
      });
      const list = r.body.instructions as DebugProtocol.DisassembledInstruction[];
      const here = list.find((i) => i.address === frames[0].instructionPointerReference);
      assert.strictEqual(here?.location?.path, C, JSON.stringify(here));
      assert.strictEqual(here?.line, after);
    });

    it(`${b.tag}: a fault is placed at its C line of the workspace's file (stop, exit report)`, async () => {
      const s = session();
      const { elf, src } = buildInWorkspace(s.cwd, 'cfault', ['cfault.c'], b);
      const C = path.join(src, 'cfault.c');
      const line = lineOf(C, '/* divide fault */');
      const stopped = s.expectStop('exception');
      await s.launch({ program: elf, cmdline: 'divide' });
      await stopped;
      const top = (await s.frames())[0];
      assert.strictEqual(top.source?.path, C);
      assert.strictEqual(top.line, line);
      const ended = s.dc.waitForEvent('terminated', 30000);
      await s.dc.continueRequest({ threadId: 1 });
      await ended;
      const report = JSON.parse(fs.readFileSync(path.join(s.cwd, WORKSPACE_REPORT_PATH), 'utf8')) as ExitReport;
      assert.deepStrictEqual(report.stop.source, { file: C, line });
      assert.deepStrictEqual(report.exits.find((x) => x.kind === 'triple-fault')?.source, { file: C, line });
    });
  }
});
