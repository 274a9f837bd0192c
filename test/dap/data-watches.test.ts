// Data breakpoints say what they watch, and show the value before and after in the stop and in the
// Variables view.
import * as assert from 'assert';
import * as path from 'path';
import { eachTestSession } from './dap-session';
import { PROGRAMS } from './nasm-fixture';

const STEPS = path.join(PROGRAMS, 'steps.asm');

describe('data breakpoints with values', function () {
  this.timeout(30000);
  const session = eachTestSession();

  it('says what is watched, gives old -> new in the stop reason and the Variables view, and refuses a register', async () => {
    const s = session();
    const entry = s.expectStop('entry');
    await s.launch({ program: STEPS, stopOnEntry: true });
    await entry;
    const info = await s.dc.dataBreakpointInfoRequest({ name: 'word [counter]', frameId: 0 });
    const set = await s.dc.setDataBreakpointsRequest({
      breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }],
    });
    assert.strictEqual(
      set.body.breakpoints[0].message,
      'Stops on writes to word [counter]: 2 bytes at 0x07C42 (now 0x0000)',
    );
    const e = await s.resume('data breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
    assert.strictEqual(
      e.body.description,
      'Data breakpoint: write of 2 bytes at 0x07C42 (word [counter]): 0x0000 -> 0x0001',
    );
    const scopes = (await s.dc.scopesRequest({ frameId: 0 })).body.scopes;
    const watched = scopes.find((x) => x.name === 'Data breakpoints');
    assert.ok(watched, scopes.map((x) => x.name).join(', '));
    const vars = (await s.dc.variablesRequest({ variablesReference: watched.variablesReference })).body.variables;
    assert.deepStrictEqual(
      vars.map((v) => [v.name, v.value, v.memoryReference]),
      [['word [counter]', '0x0001 (was 0x0000)', '0x7C42']],
    );

    const general = scopes.find((x) => x.name === 'General registers')!.variablesReference;
    const refused = await s.dc.dataBreakpointInfoRequest({ variablesReference: general, name: 'esi' });
    assert.strictEqual(refused.body.dataId, null);
    assert.match(refused.body.description, /^ESI is a register, and data breakpoints watch memory/);
  });
});
