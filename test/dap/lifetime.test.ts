// The adapter's lifetime and interruptible replays: pause during a long reverse-continue stops it at once,
// and SIGTERM, a closed stdin or a disconnect end the process even in the middle of a replay.
import * as assert from 'assert';
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { PROGRAMS, REPO } from './nasm-fixture';

const ADAPTER = path.join(REPO, 'out/debug-adapter/main.js');
const COUNTDOWN = path.join(PROGRAMS, 'countdown.asm');
const SPIN = path.join(PROGRAMS, 'spin.asm');

describe('debug adapter lifetime and replay interruption', function () {
  this.timeout(60000);
  let dc: DebugClient;
  let cwd: string;
  let gone = false;

  beforeEach(async () => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-dap-life-'));
    dc = new DebugClient('node', ADAPTER, 'bootvisor', { cwd }, true);
    gone = false;
    await dc.start();
  });

  afterEach(async () => {
    if (gone) (dc as unknown as { stopAdapter(): void }).stopAdapter();
    else await dc.stop().catch(() => undefined);
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  function adapterProcess(): ChildProcess {
    return (dc as unknown as { _adapterProcess: ChildProcess })._adapterProcess;
  }

  /** The adapter's temp folders still there (named for its pid, common/scratch.ts): [] once it has cleaned up. */
  function scratchLeft(pid: number): string[] {
    return fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(`bootvisor-nasm-${pid}-`));
  }

  /** Milliseconds until the adapter process exits, or 'still running' after `limit` ms. */
  function exitWithin(limit: number): Promise<number | 'still running'> {
    const proc = adapterProcess();
    const t0 = performance.now();
    return new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve(0);
      const timer = setTimeout(() => resolve('still running'), limit);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve(performance.now() - t0);
      });
    });
  }

  async function launch(program: string): Promise<void> {
    await dc.initializeRequest({
      adapterID: 'bootvisor',
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: 'path',
    });
    const configured = dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest());
    await Promise.all([
      dc.launchRequest({ program, cwd, serial: 'none' } as DebugProtocol.LaunchRequestArguments),
      configured,
    ]);
  }

  /** Runs the countdown to its HLT (recording 50 M instructions of history) and starts going back over it. */
  async function replaying(): Promise<void> {
    const hang = dc.waitForEvent('stopped', 30000);
    await launch(COUNTDOWN);
    assert.strictEqual(((await hang) as DebugProtocol.StoppedEvent).body.reason, 'exception');
    await dc.reverseContinueRequest({ threadId: 1 });
    // Well inside the replay of 50 M instructions (about 200 ms on a quiet machine).
    await new Promise((r) => setTimeout(r, 30));
  }

  it('pause during a long reverse-continue stops the replay at once', async () => {
    await replaying();
    // Several pauses, each in a replay of its own (the history before each stop is still there to go back
    // over): one figure is noise on a loaded machine.
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      if (i > 0) {
        await dc.reverseContinueRequest({ threadId: 1 });
        await new Promise((r) => setTimeout(r, 30));
      }
      const t0 = performance.now();
      const stopped = dc.waitForEvent('stopped', 10000);
      await dc.pauseRequest({ threadId: 1 });
      const e = (await stopped) as DebugProtocol.StoppedEvent;
      times.push(performance.now() - t0);
      assert.strictEqual(e.body.reason, 'pause', e.body.description);
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(
      `      pause during a replay: stopped event after ${sorted.map((t) => t.toFixed(1)).join(', ')} ms (pause request sent to stopped event received; load ${os.loadavg()[0].toFixed(2)})`,
    );
    // The goal is 10 ms; the bound is several times that (no wall-clock assertion under 3x its expected
    // value on these shared machines), on the median so one descheduled moment does not fail it. A replay that
    // ignores pause runs on for hundreds of ms (50 M instructions) or for ever.
    assert.ok(sorted[2] < 100, `the median pause took ${sorted[2].toFixed(1)} ms`);
    // The machine stands at a real point of its past and goes on from there.
    const st = await dc.stackTraceRequest({ threadId: 1 });
    assert.strictEqual(st.body.stackFrames[0].source?.path, COUNTDOWN);
    const step = dc.waitForEvent('stopped', 10000);
    await dc.stepInRequest({ threadId: 1 });
    assert.strictEqual(((await step) as DebugProtocol.StoppedEvent).body.reason, 'step');
  });

  it('SIGTERM ends the adapter in the middle of a replay', async () => {
    await replaying();
    const exited = exitWithin(5000);
    adapterProcess().kill('SIGTERM');
    gone = true;
    const ms = await exited;
    console.log(`      SIGTERM during a replay: exited after ${typeof ms === 'number' ? ms.toFixed(1) + ' ms' : ms}`);
    assert.notStrictEqual(ms, 'still running');
  });

  it('a disconnect in the middle of a replay ends the adapter', async () => {
    await replaying();
    const exited = exitWithin(5000);
    await dc.disconnectRequest({ terminateDebuggee: true });
    gone = true;
    assert.notStrictEqual(await exited, 'still running');
  });

  it('a closed stdin ends the adapter while the guest runs, with status 0 and no temp folder left', async () => {
    await launch(SPIN);
    const pid = adapterProcess().pid!;
    await new Promise((r) => setTimeout(r, 100));
    const exited = exitWithin(5000);
    adapterProcess().stdin!.end();
    gone = true;
    assert.notStrictEqual(await exited, 'still running');
    assert.strictEqual(adapterProcess().exitCode, 0);
    assert.deepStrictEqual(scratchLeft(pid), []);
  });
});
