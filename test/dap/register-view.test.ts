// The compact register view (Bochs's r/sreg): registers in the code's size, the segments on one line, the
// flags, each marked when it changed since the last stop; the full 32-bit registers in a scope of their own.
import * as assert from 'assert';
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { eachTestSession, lineOf } from './dap-session';
import { PROGRAMS } from './nasm-fixture';

const STEPS = path.join(PROGRAMS, 'steps.asm');
const MODESWITCH = path.join(PROGRAMS, 'modeswitch.asm');

describe('compact register view', function () {
  this.timeout(30000);
  const session = eachTestSession();

  async function compact(): Promise<DebugProtocol.Variable[]> {
    const scopes = (await session().dc.scopesRequest({ frameId: 0 })).body.scopes;
    assert.strictEqual(scopes[0].name, 'Registers');
    assert.strictEqual(scopes[0].presentationHint, 'registers');
    assert.strictEqual(scopes[1].name, 'General registers', 'the 32-bit registers on demand, in the next scope');
    return (await session().dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
  }
  const changed = (v: DebugProtocol.Variable) => v.presentationHint?.attributes?.includes('changed') ?? false;

  it('shows ax..ip, cs:ip ss:sp ds es and the flags in 16-bit code, marking what changed since the last stop', async () => {
    const s = session();
    await s.launchTo(STEPS, 'mov ax, 0x1234');
    let vars = await compact();
    assert.deepStrictEqual(
      vars.map((v) => v.name),
      ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp', 'ip', 'cs:ip ss:sp ds es', 'flags'],
    );
    assert.strictEqual(
      vars.find((v) => v.name === 'ip')!.value.split(' ')[0],
      `0x${(0x7c00 + 0x0b).toString(16).toUpperCase().padStart(4, '0')}`,
    );
    assert.strictEqual(vars.find((v) => v.name === 'sp')!.value.split(' ')[0], '0x7C00');
    assert.match(vars[9].value, /^0000:7C0B\*? 0000:7C00\*? 0000\*? [0-9A-F]{4}\*?$/);
    assert.match(vars[10].value, /^0x[0-9A-F]{4} \[.*IF.*\]/);

    // One step: mov ax, 0x1234 changes AX and IP and nothing else.
    await s.resume('step', (dc) => dc.nextRequest({ threadId: 1 }));
    vars = await compact();
    const ax = vars.find((v) => v.name === 'ax')!;
    assert.match(ax.value, /^0x1234 \(was 0x[0-9A-F]{4}\)$/);
    assert.ok(changed(ax), 'AX is marked changed');
    assert.ok(changed(vars.find((v) => v.name === 'ip')!), 'IP is marked changed');
    for (const name of ['bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp']) {
      const v = vars.find((x) => x.name === name)!;
      assert.ok(!changed(v) && !v.value.includes('was'), `${name} unchanged: ${v.value}`);
    }
    assert.strictEqual(
      vars[9].value,
      `0000:7C0E* 0000:7C00 0000 ${vars[9].value.split(' ')[3]}`,
      'only IP changed on the segment line',
    );
    assert.ok(!vars[10].value.includes('changed'), `mov leaves the flags: ${vars[10].value}`);

    // Over the call to add_one (inc ax): AX again, and the flags inc sets.
    await s.resume('step', (dc) => dc.nextRequest({ threadId: 1 }));
    vars = await compact();
    assert.strictEqual(vars.find((v) => v.name === 'ax')!.value, '0x1235 (was 0x1234)');
    assert.ok(!changed(vars.find((v) => v.name === 'sp')!), 'the call returned: SP as before');

    // A register set from the view reads back; the mark stays relative to the last stop.
    const scopes = (await s.dc.scopesRequest({ frameId: 0 })).body.scopes;
    const set = await s.dc.setVariableRequest({
      variablesReference: scopes[0].variablesReference,
      name: 'bx',
      value: '0xbeef',
    });
    assert.match(set.body.value, /^0xBEEF \(was 0x[0-9A-F]{4}\)$/);
    assert.strictEqual((await s.evaluate('bx')).body.result.split(' ')[0], '0xBEEF');
  });

  it('shows eax..eip and cs:eip ss:esp ds es fs gs in 32-bit code, the change of mode marked', async () => {
    const s = session();
    await s.launchTo(MODESWITCH, 'jmp 0x08:pm_start');
    await s.dc.setBreakpointsRequest({
      source: { path: MODESWITCH },
      breakpoints: [{ line: lineOf(MODESWITCH, 'mov eax, 0x12345678') }],
    });
    await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
    const vars = await compact();
    assert.deepStrictEqual(
      vars.map((v) => v.name),
      ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'eip', 'cs:eip ss:esp ds es fs gs', 'eflags'],
    );
    assert.strictEqual(vars.find((v) => v.name === 'esp')!.value, '0x00090000 (was 0x00007C00)');
    assert.match(vars[9].value, /^0008:00007C1A\* 0010:00090000\* 0010\* /);
  });
});
