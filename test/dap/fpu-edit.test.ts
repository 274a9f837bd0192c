// Editing the x87 in Variables' FPU scope from a real DAP client: ST0/ST1 take a decimal (rounded to nearest
// at 64 bits) or the raw 80 bits, FCW a number; the guest's next FADDP computes with them in the rounding and
// precision written; bad input is refused with a message that says what to write.
import * as assert from 'assert';
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { eachTestSession, lineOf } from './dap-session';
import { PROGRAMS } from './nasm-fixture';

const EDIT = path.join(PROGRAMS, 'fpu-edit.asm');

describe('the FPU scope takes new values', function () {
  this.timeout(30000);
  const session = eachTestSession();

  async function fpuScope(): Promise<number> {
    const scopes = (await session().dc.scopesRequest({ frameId: 0 })).body.scopes;
    const scope = scopes.find((x) => x.name === 'FPU');
    assert.ok(scope, `no FPU scope in ${scopes.map((x) => x.name).join(', ')}`);
    return scope.variablesReference;
  }
  async function values(ref: number): Promise<Record<string, string>> {
    const vars = (await session().dc.variablesRequest({ variablesReference: ref })).body.variables;
    return Object.fromEntries(vars.map((v) => [v.name, v.value]));
  }
  async function set(ref: number, name: string, value: string): Promise<DebugProtocol.SetVariableResponse> {
    return session().dc.setVariableRequest({ variablesReference: ref, name, value });
  }

  it('ST0 and ST1 from a decimal and from raw bits, FCW from hex: the next FADDP uses them', async () => {
    const s = session();
    await s.launchTo(EDIT, 'nop                     ; edit here');
    const ref = await fpuScope();
    assert.strictEqual((await values(ref)).ST0, '-1.0 (0xBFFF8000000000000000, valid)');
    // 0.1 to 64 bits, nearest: ...CCCD, what FLD of the 80-bit constant 0.1 holds.
    assert.strictEqual((await set(ref, 'ST0', '0.1')).body.value, '1.0e-1 (0x3FFBCCCCCCCCCCCCCCCD, valid)');
    assert.strictEqual(
      (await set(ref, 'ST1', '0x4000A000000000000000')).body.value,
      '2.5 (0x4000A000000000000000, valid)',
    );
    // Round toward zero at 24-bit precision.
    assert.match((await set(ref, 'FCW', '0x0C7F')).body.value, /^0x0C7F \(rounding toward zero, precision 24-bit,/);
    const now = await values(ref);
    assert.strictEqual(now.ST0, '1.0e-1 (0x3FFBCCCCCCCCCCCCCCCD, valid)');
    assert.strictEqual(now.ST1, '2.5 (0x4000A000000000000000, valid)');
    // An empty register written becomes valid, and its tag says so (ST2 is physical R0 with TOP = 6).
    assert.strictEqual((await set(ref, 'ST2', '-0')).body.value, '-0 (0x80000000000000000000, zero)');
    assert.match((await values(ref)).FTW, /^0x0FFD \(R0 zero,/);
    await s.dc.setBreakpointsRequest({
      source: { path: EDIT },
      breakpoints: [{ line: lineOf(EDIT, 'nop                     ; sum here') }],
    });
    await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
    const after = await values(await fpuScope());
    // 0.1 + 2.5 cut to 24 bits toward zero (at 64-bit precision, nearest, it would be 2.6000000000000000001).
    assert.strictEqual(after.ST0, '2.5999999046325683594 (0x4000A666660000000000, valid)');
    assert.strictEqual(after.ST1, '-0 (0x80000000000000000000, zero)');
  });

  it('refuses bad input with what to write, and leaves the registers as they were', async () => {
    const s = session();
    await s.launchTo(EDIT, 'nop                     ; edit here');
    const ref = await fpuScope();
    const before = await values(ref);
    const refused = async (name: string, value: string, message: RegExp): Promise<void> => {
      await assert.rejects(set(ref, name, value), (e: Error) => {
        assert.match(e.message, message);
        return true;
      });
    };
    await refused(
      'ST0',
      'abc',
      /Cannot set ST0: "abc" is not a number \(write 1\.5, -2e10, inf, nan or 0x and 20 hex digits\)/,
    );
    await refused('ST1', '0x3FFF8000', /raw bits need exactly 20 hex digits after 0x/);
    await refused('ST3', '1e5000', /too large for 80-bit extended precision/);
    await refused('FCW', '0x10000', /is not a control word \(a number from 0 to 0xFFFF/);
    await refused('FSW', '0', /FSW is read-only here \(ST0-ST7 and FCW can be changed\)/);
    assert.deepStrictEqual(await values(ref), before);
    // The special values and the extremes of the format.
    assert.strictEqual((await set(ref, 'ST4', '-inf')).body.value, '-inf (0xFFFF8000000000000000, special)');
    assert.strictEqual((await set(ref, 'ST5', 'nan')).body.value, 'qnan (0x7FFFC000000000000000, special)');
    assert.match(
      (await set(ref, 'ST6', '3.6451995318824746025e-4951')).body.value,
      /\(0x00000000000000000001, special\)$/,
    );
    assert.match(
      (await set(ref, 'ST7', '1.18973149535723176502e4932')).body.value,
      /\(0x7FFEFFFFFFFFFFFFFFFF, valid\)$/,
    );
  });
});
