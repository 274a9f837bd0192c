// The registers the extension hands the language server while a guest is stopped (client/debug_state.ts),
// read from the real debug adapter over DAP exactly as the extension reads them inside VS Code.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { readRegisters } from '../../client/debug_state';

const REPO = path.resolve(__dirname, '..', '..', '..');
const ADAPTER = path.join(REPO, 'out', 'debug-adapter', 'main.js');
const HELLO = path.join(REPO, 'examples', 'hello', 'hello.asm');

describe('client: registers of a stopped guest, for the language server', function () {
  this.timeout(30_000);
  let dc: DebugClient;
  let cwd: string;

  beforeEach(async () => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-client-state-'));
    dc = new DebugClient('node', ADAPTER, 'bootvisor', { cwd }, true);
    await dc.start();
  });

  afterEach(async () => {
    await dc.stop().catch(() => undefined);
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('reads them from the Variables scopes at a breakpoint', async () => {
    const lines = fs.readFileSync(HELLO, 'utf8').split('\n');
    const line = lines.findIndex((l) => /^\s*mov si, greeting/.test(l)) + 1;
    await dc.initializeRequest({
      adapterID: 'bootvisor',
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: 'path',
    });
    const configured = dc.waitForEvent('initialized').then(async () => {
      await dc.setBreakpointsRequest({ source: { path: HELLO }, breakpoints: [{ line }] });
      await dc.configurationDoneRequest();
    });
    const stopped = dc.waitForEvent('stopped', 20_000) as Promise<DebugProtocol.StoppedEvent>;
    await Promise.all([
      dc.launchRequest({ program: HELLO, cwd, serial: 'none' } as DebugProtocol.LaunchRequestArguments),
      configured,
    ]);
    const stop = await stopped;
    assert.equal(stop.body.reason, 'breakpoint');

    const session = {
      customRequest: (command: string, args?: unknown) => dc.customRequest(command, args).then((r) => r.body),
    };
    const registers = await readRegisters(session, stop.body.threadId ?? 1);
    assert.ok(registers, 'no registers read');
    const frame = (await dc.stackTraceRequest({ threadId: stop.body.threadId ?? 1 })).body.stackFrames[0];
    // What hello.asm set before this line: DS = SS = 0 and SP = 0x7C00, in real mode, at the breakpoint's address.
    assert.equal(registers.cs.base + registers.eip, parseInt(frame.instructionPointerReference ?? '', 16));
    assert.equal(registers.esp & 0xffff, 0x7c00);
    assert.deepEqual([registers.ds.selector, registers.ss.selector, registers.cs.selector], [0, 0, 0]);
    assert.equal(registers.ds.limit, 0xffff);
    assert.equal(registers.cr0 & 1, 0, 'a boot sector starts in real mode');
    assert.equal(registers.eflags & 2, 2, 'EFLAGS bit 1 always reads 1');
  });
});
