// The one exception table (native/src/cpu/exceptions.cpp) as JavaScript reads it, checked against the Intel
// SDM (vol. 3, tables 6-1 and 6-5), and the debugger's filters and names taken from it.
import * as assert from 'assert';
import { exceptionRow, exceptionTable, secondFault } from '../../common/exceptions';
import { parseVectorCondition } from '../../debug-adapter/exception-filters';
import { catchableVectors, vectorName } from '../../debug-adapter/exceptions';

describe('CPU exception table', function () {
  it('has one row per vector 0-31, in order', function () {
    const t = exceptionTable();
    assert.strictEqual(t.length, 32);
    t.forEach((row, i) => assert.strictEqual(row.vector, i));
    assert.strictEqual(new Set(t.map((r) => r.mnemonic)).size, 32, 'mnemonics are unique');
  });

  it('agrees with the SDM on names, classes and error codes', function () {
    const want: [number, string, string, boolean][] = [
      [0, '#DE', 'fault', false],
      [1, '#DB', 'fault or trap', false],
      [2, 'NMI', 'interrupt', false],
      [3, '#BP', 'trap', false],
      [4, '#OF', 'trap', false],
      [5, '#BR', 'fault', false],
      [6, '#UD', 'fault', false],
      [7, '#NM', 'fault', false],
      [8, '#DF', 'abort', true],
      [10, '#TS', 'fault', true],
      [11, '#NP', 'fault', true],
      [12, '#SS', 'fault', true],
      [13, '#GP', 'fault', true],
      [14, '#PF', 'fault', true],
      [16, '#MF', 'fault', false],
      [17, '#AC', 'fault', true],
      [18, '#MC', 'abort', false],
      [19, '#XM', 'fault', false],
    ];
    for (const [v, mnemonic, kind, errorCode] of want) {
      const r = exceptionRow(v)!;
      assert.deepStrictEqual([r.mnemonic, r.kind, r.errorCode], [mnemonic, kind, errorCode], `vector ${v}`);
    }
    for (const v of [15, 22, 23, 24, 25, 26, 27, 28, 29, 31]) assert.strictEqual(exceptionRow(v)!.kind, 'reserved');
    assert.strictEqual(exceptionRow(32), undefined);
  });

  it('turns a second fault into #DF or a shutdown as table 6-5 says', function () {
    const contributory = [0, 10, 11, 12, 13];
    const benign = [1, 2, 3, 4, 5, 6, 7, 9, 16, 17, 18, 19];
    for (const v of contributory) assert.strictEqual(exceptionRow(v)!.doubleFault, 'contributory', `vector ${v}`);
    for (const v of benign) assert.strictEqual(exceptionRow(v)!.doubleFault, 'benign', `vector ${v}`);
    assert.strictEqual(exceptionRow(14)!.doubleFault, 'page fault');
    assert.strictEqual(secondFault(13, 11), 'double fault', '#GP while delivering #NP... contributory on contributory');
    assert.strictEqual(secondFault(0, 13), 'double fault');
    assert.strictEqual(secondFault(14, 14), 'double fault', '#PF while delivering #PF');
    assert.strictEqual(secondFault(14, 13), 'double fault');
    assert.strictEqual(secondFault(13, 14), 'serial', '#PF while delivering #GP is handled serially');
    assert.strictEqual(secondFault(6, 13), 'serial', 'a benign first exception never doubles');
    assert.strictEqual(secondFault(13, 6), 'serial');
    for (const v of [0, 6, 13, 14])
      assert.strictEqual(secondFault(8, v), 'triple fault', `vector ${v} while delivering #DF`);
  });

  it('gives the debugger its names and filters', function () {
    assert.strictEqual(vectorName(13), '#GP');
    assert.strictEqual(vectorName(0x40), 'vector 0x40');
    const catchable = catchableVectors();
    assert.deepStrictEqual(
      parseVectorCondition(''),
      catchable.map(([v]) => v),
      'no condition: every catchable vector',
    );
    assert.deepStrictEqual(parseVectorCondition('#GP, pf 6'), [6, 13, 14]);
    for (const [v, mnemonic, name] of catchable) {
      assert.deepStrictEqual([mnemonic, name], [exceptionRow(v)!.mnemonic, exceptionRow(v)!.name]);
    }
    assert.ok(catchable.some(([v]) => v === 6) && !catchable.some(([v]) => v === 15), 'reserved vectors are left out');
  });
});
