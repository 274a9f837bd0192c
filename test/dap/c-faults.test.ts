// Faults from C code shown at the C line in a debug session (a real DAP client): test/kernels/cfault.c, built
// by gcc and clang at -O0 and -O2, page-faults (caught by the CPU-exceptions filter), divides by zero (a triple fault
// with no IDT of its own) or halts with interrupts off; the stopped event, exceptionInfo and the top frame
// name cfault.c at the faulting line, and the exit report the session leaves (.bootvisor/last-run.json, what
// the language server puts in Problems) places the fault and its chain there.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ExitReport } from '../../common/exit-report';
import { WORKSPACE_REPORT_PATH } from '../../common/exit-report';
import { buildKernel, KERNEL_SOURCES, C_BUILDS } from '../kernels/build';
import { eachTestSession, lineOf } from './dap-session';

const C = path.join(KERNEL_SOURCES, 'cfault.c');

describe('faults from C code at the C line (DAP)', function () {
  this.timeout(90000);
  const session = eachTestSession();

  for (const [cc, opt] of C_BUILDS) {
    it(`${cc} ${opt}: a caught page fault stops at its C line (stopped event, exceptionInfo, frame)`, async () => {
      const s = session();
      const elf = buildKernel(s.cwd, 'cfault', ['cfault.c'], opt, { cc });
      const line = lineOf(C, '/* page fault */');
      const stopped = s.expectStop('exception');
      await s.launch({ program: elf, cmdline: 'page' }, (dc) =>
        dc.setExceptionBreakpointsRequest({
          filters: [],
          filterOptions: [{ filterId: 'cpu-exceptions', condition: '#PF' }],
        }),
      );
      const e = await stopped;
      assert.match(e.body.description ?? '', new RegExp(`cfault\\.c:${line}\\b`), e.body.description);
      const info = (await s.dc.exceptionInfoRequest({ threadId: 1 })) as DebugProtocol.ExceptionInfoResponse;
      assert.match(info.body.description ?? '', /#PF|Page fault/i);
      assert.match(
        info.body.description ?? '',
        new RegExp(`cfault\\.c:${line}, touch_unmapped`),
        info.body.description,
      );
      const top = (await s.frames())[0];
      assert.strictEqual(top.source?.path, C);
      assert.strictEqual(top.line, line);
    });

    it(`${cc} ${opt}: a division by zero that triple-faults is named at its C line, and the exit report places it there`, async () => {
      const s = session();
      const elf = buildKernel(s.cwd, 'cfault', ['cfault.c'], opt, { cc });
      const line = lineOf(C, '/* divide fault */');
      const stopped = s.expectStop('exception');
      await s.launch({ program: elf, cmdline: 'divide' });
      const e = await stopped;
      assert.match(e.body.description ?? '', /Triple fault/);
      const info = (await s.dc.exceptionInfoRequest({ threadId: 1 })) as DebugProtocol.ExceptionInfoResponse;
      assert.match(
        info.body.details?.stackTrace ?? '',
        new RegExp(`#DE at 0008:[0-9A-F]+ \\(cfault\\.c:${line}, divide`),
      );
      assert.strictEqual((await s.frames())[0].line, line);
      const ended = s.dc.waitForEvent('terminated', 30000);
      await s.dc.continueRequest({ threadId: 1 });
      await ended;
      const report = JSON.parse(fs.readFileSync(path.join(s.cwd, WORKSPACE_REPORT_PATH), 'utf8')) as ExitReport;
      assert.deepStrictEqual(report.stop.source, { file: C, line });
      const fault = report.exits.find((x) => x.kind === 'triple-fault');
      assert.deepStrictEqual(fault?.source, { file: C, line });
      assert.deepStrictEqual(fault?.chain?.[0].source, { file: C, line }, 'the chain begins at the C line');
    });
  }

  for (const cc of ['gcc', 'clang'] as const)
    it(`${cc} -O2: a hang (HLT with interrupts off) in C stops at the line of the HLT`, async () => {
      const s = session();
      const elf = buildKernel(s.cwd, 'cfault', ['cfault.c'], '-O2', { cc });
      const line = lineOf(C, '/* hang */');
      const stopped = s.expectStop('exception');
      await s.launch({ program: elf, cmdline: 'hang' });
      const e = await stopped;
      assert.match(
        e.body.description ?? '',
        new RegExp(`Hang: HLT at .*cfault\\.c:${line}, stop_here`),
        e.body.description,
      );
      assert.strictEqual((await s.frames())[0].line, line);
    });
});
