// The Registers scope of an outer frame of a NASM program (debug-adapter/asm-frame-registers.ts): the caller's
// IP and SP as the CALL scan proves them, every other register <unavailable>, never the CPU's. Proven against
// the CPU: stopped in steps.asm's add_one, what its caller's frame shows is what the CPU holds after step out.
import * as assert from 'assert';
import * as path from 'path';

import { PROGRAMS } from './nasm-fixture';
import { eachTestSession, frameScope as scope } from './dap-session';

const STEPS = path.join(PROGRAMS, 'steps.asm');

describe('NASM frames: the Registers scope of a selected outer frame', function () {
  this.timeout(60000);
  const session = eachTestSession();

  it("a caller's IP and SP from the CALL scan are the CPU's after step out; the rest is unavailable", async () => {
    const s = session();
    const stopped = s.expectStop('function breakpoint');
    await s.launch({ program: STEPS }, (dc) =>
      dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'add_one' }] }),
    );
    await stopped;
    const frames = await s.frames();
    assert.match(frames[0].name, /^add_one/);
    assert.ok(frames.length >= 2, frames.map((f) => f.name).join(' | '));
    const inner = (await s.dc.scopesRequest({ frameId: frames[0].id })).body.scopes.map((x) => x.name);
    assert.ok(inner.includes('General registers'), inner.join(', '));
    const caller = await scope(s, frames[1].id, 'Registers');
    assert.ok(!(await s.dc.scopesRequest({ frameId: frames[1].id })).body.scopes.some((x) => x.name === 'Flags'));
    for (const name of ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'flags', 'ds', 'es'])
      assert.strictEqual(caller.get(name), '<unavailable>', `${name}: ${caller.get(name)}`);
    await assert.rejects(
      s.dc.setVariableRequest({
        variablesReference: (await s.dc.scopesRequest({ frameId: frames[1].id })).body.scopes[0].variablesReference,
        name: 'ip',
        value: '0',
      }),
      /innermost frame/,
    );
    // The return address is the frame's; after step out the CPU is there, with the stack as the scan said.
    assert.strictEqual(Number(caller.get('ip')), Number(frames[1].instructionPointerReference));
    await s.resume('step', (dc) => dc.stepOutRequest({ threadId: 1 }));
    const cpu = await scope(s, 0, 'General registers');
    assert.strictEqual(Number(caller.get('ip')), Number(cpu.get('eip')));
    assert.strictEqual(Number(caller.get('sp')), Number(cpu.get('esp')));
    assert.strictEqual(caller.get('cs'), '0x0000');
  });
});
