// Reverse-continue decides as continue does in C code: a C condition (evaluated by gdb where the replay stands
// at each past hit), a hit count (the hits numbered back from now, and rewound with time by reverse-continue
// and step back alike, so continuing again counts the same hits), and logpoints (never a stop, and not printed
// again while going back). On test/kernels/cvars.c at gcc -O0 and -O2, clang -O2 and the DWARF 4 builds
// (walk() calls scale() for i = 0..4), with a real DAP client.
import * as assert from 'assert';
import * as path from 'path';

import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildKernel, C_DWARF4_VARIANTS, KERNEL_SOURCES } from '../kernels/build';
import { requireGdb } from '../kernels/gdb-batch';
import { DapSession, eachTestSession, lineOf } from './dap-session';

const SOURCE = path.join(KERNEL_SOURCES, 'cvars.c');
const LOOP = lineOf(SOURCE, 'BREAK loop');
const SCALE = lineOf(SOURCE, 'BREAK scale');
const DONE = lineOf(SOURCE, 'BREAK done');

/** `i` in walk(), the top frame. */
async function loopIndex(s: DapSession): Promise<string> {
  const frames = await s.frames();
  assert.match(frames[0].name, /^walk/, frames[0].name);
  assert.strictEqual(frames[0].line, LOOP);
  return (await s.dc.evaluateRequest({ expression: 'i', frameId: frames[0].id, context: 'watch' })).body.result;
}

async function line(s: DapSession): Promise<number> {
  return (await s.frames())[0].line;
}

type Build = { cc: 'gcc' | 'clang'; opt: string; flags: string[] };

/** gcc -O0 and -O2 and clang -O2 (its loop line split around the call) at the default DWARF 5, and C_DWARF4_VARIANTS at DWARF 4. */
const BUILDS: Build[] = [
  { cc: 'gcc', opt: '-O0', flags: [] },
  { cc: 'gcc', opt: '-O2', flags: [] },
  { cc: 'clang', opt: '-O2', flags: [] },
  ...C_DWARF4_VARIANTS.map((v) => ({ cc: v.cc, opt: v.opt, flags: [...v.flags] })),
];

/** Builds cvars.c as `b` says and launches it stopped at the first of `breakpoints` that stops. */
async function launchWith(s: DapSession, b: Build, breakpoints: DebugProtocol.SourceBreakpoint[]): Promise<void> {
  const elf = buildKernel(s.cwd, 'cvars', ['cvars.c'], b.opt, { cc: b.cc, flags: b.flags });
  const stopped = s.expectStop('breakpoint');
  await s.launch({ program: elf }, (dc) => dc.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints }));
  await stopped;
}

describe('C breakpoints going backwards: conditions, hit counts, logpoints', function () {
  this.timeout(180000);
  const session = eachTestSession();
  before(() => requireGdb());

  for (const b of BUILDS) {
    const tag = [b.cc, b.opt, ...b.flags].join(' ');
    it(`${tag}: step back takes back the hits after the place it lands, so continuing counts them again`, async () => {
      const s = session();
      await launchWith(s, b, [{ line: LOOP, hitCondition: '==2' }, { line: DONE }]);
      assert.strictEqual(await loopIndex(s), '1', 'the second hit');
      await s.resume('step', (dc) => dc.stepBackRequest({ threadId: 1 }));
      assert.notStrictEqual(await line(s), LOOP, 'stepped back off the hit');
      // Had the second hit stayed counted, this pass would be the third and run on to DONE.
      await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
      assert.strictEqual(await loopIndex(s), '1', 'the second hit again');
      await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
      assert.strictEqual(await line(s), DONE);
    });

    it(`${tag}: reverse-continue stops where the C condition holds, not at the newest hit`, async () => {
      const s = session();
      await launchWith(s, b, [{ line: DONE }]);
      assert.strictEqual(await line(s), DONE);
      // Set after the loop ran: going back, i == 4 is the newest hit, i == 3 the one whose condition holds.
      const set = await s.dc.setBreakpointsRequest({
        source: { path: SOURCE },
        breakpoints: [{ line: DONE }, { line: LOOP, condition: 'i == 3 && ptr->y == 4' }],
      });
      assert.ok(set.body.breakpoints[1].verified);
      await s.resume('breakpoint', (dc) => dc.reverseContinueRequest({ threadId: 1 }));
      assert.strictEqual(await loopIndex(s), '3');
      // Nothing older holds: back to the start of the history; then forward to the same hit.
      const start = await s.resume('step', (dc) => dc.reverseContinueRequest({ threadId: 1 }));
      assert.match(start.body.description ?? '', /start of the recorded history/);
      await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
      assert.strictEqual(await loopIndex(s), '3');
    });

    it(`${tag}: hit counts are counted back from now and rewound; logpoints neither stop nor repeat`, async () => {
      const s = session();
      await launchWith(s, b, [
        { line: LOOP, condition: 'i >= 1', hitCondition: '>=2' },
        { line: SCALE, logMessage: 'scale {i}' },
        { line: DONE },
      ]);
      // Forward: i = 1 is the condition's first hit, i = 2 its second (the first that stops).
      assert.strictEqual(await loopIndex(s), '2');
      for (const i of ['3', '4']) {
        await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
        assert.strictEqual(await loopIndex(s), i);
      }
      await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
      assert.strictEqual(await line(s), DONE);
      const logged = (): string[] => s.outputs.join('').match(/^scale \d+$/gm) ?? [];
      assert.deepStrictEqual(logged(), ['scale 0', 'scale 1', 'scale 2', 'scale 3', 'scale 4']);

      // Backwards: hits 4, 3 and 2 stop; hit 1 (i = 1) does not, and i = 0 is no hit at all.
      for (const i of ['4', '3', '2']) {
        await s.resume('breakpoint', (dc) => dc.reverseContinueRequest({ threadId: 1 }));
        assert.strictEqual(await loopIndex(s), i);
      }
      await s.resume('step', (dc) => dc.reverseContinueRequest({ threadId: 1 }));
      assert.deepStrictEqual(logged(), ['scale 0', 'scale 1', 'scale 2', 'scale 3', 'scale 4'], 'no logpoint again');

      // The counts went back with time: forward again, the second hit (i = 2) stops, as it did the first time.
      await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
      assert.strictEqual(await loopIndex(s), '2');
      assert.deepStrictEqual(
        logged(),
        ['scale 0', 'scale 1', 'scale 2', 'scale 3', 'scale 4', 'scale 0', 'scale 1'],
        'the logpoint runs forward again',
      );
    });
  }
});
