// The `replay` launch attribute: a run recorded by `bootvisor run --record` is played again under the debugger,
// its keys delivered at the very instructions they came, so the guest does under the debugger exactly what it
// did in the recorded run (the same COM1 output, the same end).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DapSession } from './dap-session';
import { REPO } from './nasm-fixture';
import { requireNasm, runCli } from '../cli/harness';

const KEY_TIMES = path.join(REPO, 'test/cli/programs/key-times.asm');

describe('debug adapter: replaying a recording', function () {
  this.timeout(60000);
  let session: DapSession;

  beforeEach(async () => {
    session = new DapSession();
    await session.start();
  });

  afterEach(() => session.stop());

  it('plays the recorded keys at their instructions: the same COM1 output and exit as the recorded run', async () => {
    requireNasm();
    const { dc, cwd } = session;
    const recording = path.join(cwd, 'run.bvrec');
    const recorded = runCli([
      'run',
      KEY_TIMES,
      '--keys',
      'ab{wait 300ms}c{wait 1s}q',
      '--record',
      recording,
      '--serial',
      '-',
      '--quiet',
      '--guest-exit',
      'verbatim',
    ]);
    assert.strictEqual(recorded.status, 0, recorded.stderr);
    assert.match(recorded.stdout, /^a.. b.. c.. $/);
    const serialFile = path.join(cwd, 'com1.txt');
    const statuses: { backend: string }[] = [];
    dc.on('bootvisor/status', (e: DebugProtocol.Event) => statuses.push(e.body));
    const exited = dc.waitForEvent('exited', 30000) as Promise<DebugProtocol.ExitedEvent>;
    await session.launch({ program: KEY_TIMES, replay: recording, clock: 'fast', serial: { file: serialFile } });
    await exited;
    assert.strictEqual(
      fs.readFileSync(serialFile, 'latin1'),
      recorded.stdout,
      'the guest saw each key at the same guest time',
    );
    // A guest done before the first speed report still had its backend named (the status bar shows it).
    assert.ok(
      statuses.some((s) => s.backend === 'software'),
      JSON.stringify(statuses),
    );
  });

  it('refuses a recording of another image, saying so', async () => {
    requireNasm();
    const { dc, cwd } = session;
    const recording = path.join(cwd, 'other.bvrec');
    const r = runCli(['run', path.join(REPO, 'examples/hello/hello.img'), '--record', recording, '--quiet']);
    assert.strictEqual(r.status, 0, r.stderr);
    await dc.initializeRequest({
      adapterID: 'bootvisor',
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: 'path',
    });
    await assert.rejects(
      dc.launchRequest({ program: KEY_TIMES, cwd, replay: recording } as DebugProtocol.LaunchRequestArguments),
      /"replay" .*other\.bvrec: it was recorded with another image \(hello\.img/,
    );
  });
});
