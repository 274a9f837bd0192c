// A pause while the guest waits in the BIOS shows the service and the guest's INT below it; a launch that
// nasm refuses links to the line at fault.
import * as assert from 'assert';
import * as fs from 'fs';
import { WORKSPACE_REPORT_PATH } from '../../common/exit-report';
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { eachTestSession, lineOf } from './dap-session';
import { REPO } from './nasm-fixture';

const ECHO = path.join(REPO, 'examples/echo/echo.asm');

describe('BIOS frames and failed launches', function () {
  this.timeout(30000);
  const session = eachTestSession();

  it('names a BIOS frame by its service and shows the INT that called it at its source line', async () => {
    const s = session();
    // Stop on the INT, then run into the BIOS, which waits for a key that never comes.
    await s.launchTo(ECHO, 'int 0x16');
    await s.dc.setBreakpointsRequest({ source: { path: ECHO }, breakpoints: [] });
    await s.dc.continueRequest({ threadId: 1 });
    await new Promise((r) => setTimeout(r, 300));
    await s.resume('pause', (dc) => dc.pauseRequest({ threadId: 1 }));
    const frames = await s.frames();
    assert.match(frames[0].name, /^BIOS /, frames.map((f) => f.name).join(' | '));
    const service = frames.findIndex((f) => f.name === 'BIOS INT 16h AH=00h (waiting for a key)');
    assert.ok(service >= 0, frames.map((f) => f.name).join(' | '));
    const caller = frames[service + 1];
    assert.strictEqual(caller.source?.path, ECHO);
    assert.strictEqual(caller.line, lineOf(ECHO, 'int 0x16'));
    assert.match(caller.name, /^start\.key\+0x2 \(0000:7C/);
    for (const f of frames) assert.doesNotMatch(f.name, /\+0x[0-9a-f]{4,}/, 'no label far from the program');
  });

  it('fails a launch on a nasm error with a link to the line, in the error and in the Debug Console', async () => {
    const s = session();
    const broken = path.join(s.cwd, 'broken.asm');
    fs.writeFileSync(broken, 'org 0x7c00\nstart:\n  mov ax, 1\n  jmp nowhere\n');
    const outputs: DebugProtocol.OutputEvent[] = [];
    s.dc.on('output', (e: DebugProtocol.OutputEvent) => outputs.push(e));
    await s.dc.initializeRequest({ adapterID: 'bootvisor', linesStartAt1: true, pathFormat: 'path' });
    // The whole error response (DebugClient.send keeps only its message).
    const response = await new Promise<DebugProtocol.Response>((resolve) => {
      (s.dc as unknown as { doSend(c: string, a: unknown, done: (r: DebugProtocol.Response) => void): void }).doSend(
        'launch',
        { program: broken, cwd: s.cwd },
        resolve,
      );
    });
    assert.strictEqual(response.success, false);
    const error = (response as DebugProtocol.ErrorResponse).body.error!;
    assert.match(error.format, /broken\.asm:4: error: symbol `nowhere' not defined/);
    assert.strictEqual(
      error.url,
      `command:bootvisor.openSourceLine?${encodeURIComponent(JSON.stringify([broken, 4]))}`,
    );
    assert.strictEqual(error.urlLabel, 'Go to broken.asm:4');
    const linked = outputs.find((o) => o.body.source?.path === broken);
    assert.ok(linked, outputs.map((o) => o.body.output).join(''));
    assert.strictEqual(linked.body.line, 4);
  });

  it('logs the protocol in the Debug Console with "trace": true', async () => {
    const s = session();
    const entry = s.expectStop('entry');
    await s.launch({ program: ECHO, stopOnEntry: true, trace: true });
    await entry;
    await s.dc.threadsRequest();
    await new Promise((r) => setTimeout(r, 200));
    const log = s.outputs.join('');
    assert.match(log, /From client: threads\(/);
    assert.match(log, /To client: .*"command":"threads"/);
  });

  it('names the exit report after the debug session, so Problems labels its entries with it', async () => {
    const s = session();
    const ended = s.dc.waitForEvent('terminated', 20000);
    await s.launch({ program: path.join(REPO, 'examples/hang/hang.asm'), name: 'Boot hang.asm' }, (dc) =>
      dc.setExceptionBreakpointsRequest({ filters: [] }),
    );
    await ended;
    const report = JSON.parse(fs.readFileSync(path.join(s.cwd, WORKSPACE_REPORT_PATH), 'utf8'));
    assert.strictEqual(report.origin, 'Boot hang.asm');
  });
});
