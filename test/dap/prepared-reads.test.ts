// The reads VS Code makes after a stop are prepared by the adapter before they are asked for
// (debug-adapter/prepared-reads.ts). Two adapters step the same program side by side: one is asked the reads
// as VS Code asks them (each prepared in advance), the other with a loadedSources request before each read,
// which drops whatever was prepared, so each of its answers is computed when asked. Every answer must be the
// same, variable references included.
import * as assert from 'assert';
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DapSession } from './dap-session';
import { PROGRAMS } from './nasm-fixture';

const STEPS = path.join(PROGRAMS, 'steps.asm');

type Read = (s: DapSession) => Promise<unknown>;

/** threads, stackTrace, scopes of the top frame, the first scope's variables, then two the user opens. */
async function reads(s: DapSession, between?: Read): Promise<unknown[]> {
  const dc = s.dc;
  const out: unknown[] = [];
  const read = async <T extends DebugProtocol.Response>(r: () => Promise<T>): Promise<T> => {
    if (between) await between(s);
    const response = await r();
    out.push(response.body);
    return response;
  };
  await read(() => dc.threadsRequest());
  const st = await read(() => dc.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 20 }));
  const scopes = await read(() => dc.scopesRequest({ frameId: st.body.stackFrames[0].id }));
  await read(() => dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference }));
  const general = await read(() =>
    dc.variablesRequest({ variablesReference: scopes.body.scopes[1].variablesReference }),
  );
  const eax = general.body.variables.find((v) => v.name === 'eax')!;
  await read(() => dc.variablesRequest({ variablesReference: eax.variablesReference }));
  return out;
}

const dropPrepared: Read = (s) => s.dc.customRequest('loadedSources');

describe('prepared reads after a stop', function () {
  this.timeout(60000);
  let prepared: DapSession;
  let fresh: DapSession;

  beforeEach(async () => {
    prepared = new DapSession();
    fresh = new DapSession();
    await Promise.all([prepared.start(), fresh.start()]);
    for (const s of [prepared, fresh]) {
      const entry = s.expectStop('entry');
      await s.launch({ program: STEPS, stopOnEntry: true });
      await entry;
    }
  });

  afterEach(async () => {
    await Promise.all([prepared.stop(), fresh.stop()]);
  });

  it('answers as a fresh computation does, at every step through a CALL and into the BIOS', async () => {
    // 30 instructions: the CALL's frame, `int 0x10` entered (BIOS frames), serial output.
    for (let step = 0; step < 30; step++) {
      const a = await reads(prepared);
      const b = await reads(fresh, dropPrepared);
      assert.deepStrictEqual(a, b, `the reads after step ${step}`);
      for (const s of [prepared, fresh]) await s.resume('step', (dc) => dc.stepInRequest({ threadId: 1 }));
    }
  });

  it('gives back the references of scopes prepared and not asked for', async () => {
    const dc = prepared.dc;
    await dc.threadsRequest();
    await dc.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 20 });
    // The scopes (and the first scope's variables) are prepared now, under references 1 and up; a client that
    // guesses one before asking for the scopes gets what it would get without preparation.
    await assert.rejects(dc.variablesRequest({ variablesReference: 1 }), /unknown/);
    const after = (await dc.scopesRequest({ frameId: 0 })).body.scopes;
    await fresh.dc.threadsRequest();
    await fresh.dc.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 20 });
    await dropPrepared(fresh);
    await assert.rejects(fresh.dc.variablesRequest({ variablesReference: 1 }), /unknown/);
    assert.deepStrictEqual(after, (await fresh.dc.scopesRequest({ frameId: 0 })).body.scopes);
    assert.strictEqual(after[0].variablesReference, 1);
  });

  it('answers a stack trace asked again, or after a change of register, as of then', async () => {
    const dc = prepared.dc;
    await dc.threadsRequest();
    const first = (await dc.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 20 })).body;
    assert.deepStrictEqual((await dc.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 1 })).body, {
      ...first,
      stackFrames: first.stackFrames.slice(0, 1),
    });
    // threads prepares the stack; setting IP drops it, and the stack shows the new place.
    const scopes = (await dc.scopesRequest({ frameId: 0 })).body.scopes;
    const general = scopes.find((s) => s.name === 'General registers')!;
    await dc.variablesRequest({ variablesReference: scopes[0].variablesReference });
    await dc.threadsRequest();
    await dc.setVariableRequest({ variablesReference: general.variablesReference, name: 'eip', value: '0x7c01' });
    const moved = (await dc.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 20 })).body;
    assert.strictEqual(moved.stackFrames[0].instructionPointerReference, '0x7C01');
    assert.notDeepStrictEqual(moved.stackFrames[0], first.stackFrames[0]);
  });
});
