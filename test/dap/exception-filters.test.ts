// The exception filters: triple fault and hang on by default, the CPU's vectors behind one entry whose
// condition picks them.
import * as assert from 'assert';
import * as path from 'path';
import { parseVectorCondition } from '../../debug-adapter/exception-filters';
import { eachTestSession, lineOf } from './dap-session';
import { PROGRAMS } from './nasm-fixture';

const FAULT = path.join(PROGRAMS, 'fault.asm');

describe('exception filters', function () {
  this.timeout(30000);

  it('reads a vector condition by mnemonic, name or number, and refuses what is no exception', () => {
    assert.deepStrictEqual(parseVectorCondition('#GP, pf 6 0x0'), [0, 6, 13, 14]);
    assert.ok(
      parseVectorCondition('').includes(13) &&
        parseVectorCondition(' ').length === parseVectorCondition(undefined).length,
      'empty: all',
    );
    assert.throws(() => parseVectorCondition('#GP 32'), /"32" is not a CPU exception/);
  });

  describe('over DAP', () => {
    const session = eachTestSession();

    it('offers four filters, stops on the vector a condition names, and says why a condition is refused', async () => {
      const s = session();
      const init = await s.dc.initializeRequest({ adapterID: 'bootvisor', linesStartAt1: true, pathFormat: 'path' });
      const filters = init.body!.exceptionBreakpointFilters!;
      assert.deepStrictEqual(
        filters.map((f) => [f.filter, f.default ?? false]),
        [
          ['triple-fault', true],
          ['hang', true],
          ['cpu-exceptions', false],
          ['system-events', false],
        ],
      );
      assert.strictEqual(filters[2].supportsCondition, true);
      assert.match(filters[2].conditionDescription ?? '', /#GP/);
      const stopped = s.expectStop('exception');
      let answer: boolean[] = [];
      let refused: string | undefined;
      await s.launch({ program: FAULT }, async (dc) => {
        const bad = await dc.setExceptionBreakpointsRequest({
          filters: ['hang'],
          filterOptions: [{ filterId: 'cpu-exceptions', condition: '#XY' }],
        });
        refused = bad.body?.breakpoints?.[1]?.message;
        const r = await dc.setExceptionBreakpointsRequest({
          filters: ['triple-fault', 'hang'],
          filterOptions: [{ filterId: 'cpu-exceptions', condition: '#GP, #UD' }],
        });
        answer = (r.body?.breakpoints ?? []).map((b) => b.verified);
      });
      const e = await stopped;
      assert.deepStrictEqual(answer, [true, true, true]);
      assert.match(refused ?? '', /"#XY" is not a CPU exception/);
      assert.match(e.body.description ?? '', /#UD|invalid opcode/i);
      assert.strictEqual((await s.frames())[0].line, lineOf(FAULT, 'ud2'));
    });
  });
});
