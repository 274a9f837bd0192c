// The x87 in Variables: an FPU scope with ST0-ST7 as decimals with their raw 80 bits and tags, the control,
// status and tag words decoded, from a real DAP client stopped in a NASM program that loads -1 and pi.
import * as assert from 'assert';
import * as path from 'path';
import { eachTestSession } from './dap-session';
import { PROGRAMS } from './nasm-fixture';

const FPU = path.join(PROGRAMS, 'fpu.asm');

describe('the FPU scope', function () {
  this.timeout(30000);
  const session = eachTestSession();

  it('shows ST0-ST7 in decimal and raw bits, and the control, status and tag words', async () => {
    const s = session();
    await s.launchTo(FPU, 'nop                     ; stopped here');
    const scopes = (await s.dc.scopesRequest({ frameId: 0 })).body.scopes;
    const scope = scopes.find((x) => x.name === 'FPU');
    assert.ok(scope, `no FPU scope in ${scopes.map((x) => x.name).join(', ')}`);
    const vars = (await s.dc.variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
    const value = (name: string) => vars.find((v) => v.name === name)?.value;
    assert.deepStrictEqual(
      vars.map((v) => v.name),
      ['ST0', 'ST1', 'ST2', 'ST3', 'ST4', 'ST5', 'ST6', 'ST7', 'FCW', 'FSW', 'FTW', 'FOP', 'FIP', 'FDP'],
    );
    assert.strictEqual(value('ST0'), '-1.0 (0xBFFF8000000000000000, valid)');
    assert.strictEqual(value('ST1'), '3.1415926535897932385 (0x4000C90FDAA22168C235, valid)');
    assert.match(value('ST2')!, /^empty \(0x[0-9A-F]{20}\)$/);
    assert.strictEqual(value('FCW'), '0x0F7F (rounding toward zero, precision 64-bit, masked IE DE ZE OE UE PE)');
    assert.match(value('FSW')!, /^0x3[0-9A-F]{3} \(TOP=6 C0=0 C1=0 C2=0 C3=0, flags none\)$/);
    assert.match(value('FTW')!, /R6 valid, R7 valid\)$/);
    assert.match(value('FTW')!, /^0x0FFF /);
  });
});
