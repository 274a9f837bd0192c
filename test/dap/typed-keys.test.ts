// Reverse execution across typed keys and mouse packets, through the real protocol: keys typed into a running
// guest and mouse moves and clicks are part of its history (the machine's input log), so stepping back across
// them and going forward again delivers each exactly once, at the instruction where it first arrived.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { PROGRAMS, REPO } from './nasm-fixture';

const ADAPTER = path.join(REPO, 'out/debug-adapter/main.js');
const KEYCOUNT = path.join(PROGRAMS, 'keycount.asm');
const MOUSECOUNT = path.join(PROGRAMS, 'mousecount.asm');
const lineOf = (file: string, text: string): number =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text)) + 1;
const ECHO_LINE = lineOf(KEYCOUNT, '; echo AL');
const COUNTED_LINE = lineOf(MOUSECOUNT, '; count the packet');

describe('debug adapter: step back across typed keys and mouse packets', function () {
  this.timeout(60000);
  let dc: DebugClient;
  let cwd: string;

  beforeEach(async () => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-dap-keys-'));
    dc = new DebugClient('node', ADAPTER, 'bootvisor', { cwd }, true);
    await dc.start();
  });

  afterEach(async () => {
    await dc.stop().catch(() => undefined);
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  async function stop(reason: string, action: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
    const e = dc.waitForEvent('stopped', 20000) as Promise<DebugProtocol.StoppedEvent>;
    await action();
    const stopped = await e;
    assert.strictEqual(stopped.body.reason, reason, stopped.body.description);
    return stopped;
  }

  async function value(expression: string): Promise<number> {
    return Number((await dc.evaluateRequest({ expression, frameId: 0, context: 'watch' })).body.result);
  }

  async function screenLine(): Promise<string> {
    const body = (await dc.customRequest('bootvisor/screen', { format: 'text' })).body as { lines: string[] };
    return body.lines[0].trimEnd();
  }

  async function waitForScreen(text: string): Promise<void> {
    let last = '';
    for (let i = 0; i < 400; i++) {
      last = await screenLine();
      if (last === text) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.fail(`the guest's screen shows "${last}", expected "${text}"`);
  }

  async function lineNow(): Promise<number> {
    return (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].line;
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
      dc.launchRequest({ program, cwd, serial: 'none', clock: 'fast' } as DebugProtocol.LaunchRequestArguments),
      configured,
    ]);
  }

  it('steps back and reverse-continues across typed keys; going on, the guest counts every key once', async () => {
    await launch(KEYCOUNT);

    // Typed one at a time, each echoed before the next, as a person types.
    for (const key of 'abc') {
      const before = await screenLine();
      await dc.customRequest('bootvisor/keys', { text: key });
      await waitForScreen(before + key);
    }
    await stop('pause', () => dc.pauseRequest({ threadId: 1 }));
    assert.strictEqual(await value('word [count]'), 3);

    // Back across the handling of the last key: the count goes down with it.
    for (let i = 0; i < 8; i++) await stop('step', () => dc.stepBackRequest({ threadId: 1 }));
    assert.ok((await value('word [count]')) <= 3);

    // Back to the line that echoed each key, newest first: the third, then the second, with its AL.
    await dc.setBreakpointsRequest({ source: { path: KEYCOUNT }, breakpoints: [{ line: ECHO_LINE }] });
    const keysBack: string[] = [];
    for (;;) {
      await stop('breakpoint', () => dc.reverseContinueRequest({ threadId: 1 }));
      assert.strictEqual(await lineNow(), ECHO_LINE);
      keysBack.push(String.fromCharCode((await value('al')) & 0xff));
      if (keysBack.length === 2 || keysBack[keysBack.length - 1] === 'b') break;
    }
    assert.deepStrictEqual(keysBack.slice(-1), ['b'], `echoes found going back: ${keysBack.join(', ')}`);
    assert.strictEqual(await value('word [count]'), 2, 'at the echo of the second key, two keys were counted');
    assert.strictEqual(await screenLine(), 'a', 'the screen is back to before the second echo');

    // Forward again: the replayed third key arrives once, then new keys are counted after it.
    await dc.setBreakpointsRequest({ source: { path: KEYCOUNT }, breakpoints: [] });
    const resumed = dc.continueRequest({ threadId: 1 });
    await resumed;
    await waitForScreen('abc');
    for (const key of 'de') {
      const before = await screenLine();
      await dc.customRequest('bootvisor/keys', { text: key });
      await waitForScreen(before + key);
    }
    await stop('pause', () => dc.pauseRequest({ threadId: 1 }));
    assert.strictEqual(await value('word [count]'), 5, 'every key counted exactly once');
    assert.strictEqual(await screenLine(), 'abcde');
  });

  it('steps back across the IRQ12 handler and reverse-continues to packets; going on, each packet arrives once', async () => {
    await launch(MOUSECOUNT);
    await waitForScreen('>');
    // Sent one at a time, each echoed before the next: a move right, a left click (press, release), a move
    // left and down (packet Y is up-positive: -2).
    const sent: [number, number, number, string][] = [
      [5, 0, 0, '.'],
      [0, 0, 1, 'L'],
      [0, 0, 0, '.'],
      [-3, 2, 0, '.'],
    ];
    for (const [dx, dy, buttons, echo] of sent) {
      const before = await screenLine();
      await dc.customRequest('bootvisor/mouse', { dx, dy, buttons });
      await waitForScreen(before + echo);
    }
    await stop('pause', () => dc.pauseRequest({ threadId: 1 }));
    assert.strictEqual(await value('word [count]'), 4);
    assert.strictEqual(await value('word [sumx]'), 2);
    assert.strictEqual(await value('word [sumy]'), 0xfffe);

    // Back to where the handler counts a packet, newest first, each with its bytes on the BIOS's frame.
    await dc.setBreakpointsRequest({ source: { path: MOUSECOUNT }, breakpoints: [{ line: COUNTED_LINE }] });
    const packet = async () => [
      await value('byte [bp + 12]'),
      await value('byte [bp + 10]'),
      await value('byte [bp + 8]'),
    ];
    await stop('breakpoint', () => dc.reverseContinueRequest({ threadId: 1 }));
    assert.strictEqual(await lineNow(), COUNTED_LINE);
    assert.deepStrictEqual(await packet(), [0x38, 0xfd, 0xfe], 'the fourth packet: X -3, Y -2, both sign bits');
    assert.strictEqual(await value('word [count]'), 3);
    await stop('breakpoint', () => dc.reverseContinueRequest({ threadId: 1 }));
    assert.deepStrictEqual(await packet(), [0x08, 0, 0], 'the third: the button released');
    await stop('breakpoint', () => dc.reverseContinueRequest({ threadId: 1 }));
    assert.deepStrictEqual(await packet(), [0x09, 0, 0], 'the second: the left button down');
    assert.strictEqual(await value('word [count]'), 1);
    assert.strictEqual(await value('word [sumx]'), 5);

    // Step back through this handling of the packet, past the handler's first line, into the BIOS's IRQ12.
    const handlerLine = lineOf(MOUSECOUNT, 'handler:') + 1;
    for (let i = 0; i < 40 && (await lineNow()) !== handlerLine; i++) {
      await stop('step', () => dc.stepBackRequest({ threadId: 1 }));
    }
    assert.strictEqual(await lineNow(), handlerLine, "back at the handler's first instruction");
    await stop('step', () => dc.stepBackRequest({ threadId: 1 }));
    assert.notStrictEqual(await lineNow(), handlerLine, 'before the handler: in the BIOS that called it');
    assert.strictEqual(await value('word [count]'), 1);
    assert.strictEqual(await screenLine(), '>.', 'the screen is back to before the click');

    // Forward again: the replayed packets arrive once each, then a new one is counted after them.
    await dc.setBreakpointsRequest({ source: { path: MOUSECOUNT }, breakpoints: [] });
    await dc.continueRequest({ threadId: 1 });
    await waitForScreen('>.L..');
    await dc.customRequest('bootvisor/mouse', { dx: 7, dy: 0, buttons: 2 });
    await waitForScreen('>.L..R');
    await stop('pause', () => dc.pauseRequest({ threadId: 1 }));
    assert.strictEqual(await value('word [count]'), 5, 'every packet counted exactly once');
    assert.strictEqual(await value('word [sumx]'), 9, 'with its bytes: 5 + 0 + 0 - 3 + 7');
    assert.strictEqual(await value('word [sumy]'), 0xfffe);
    assert.strictEqual(await screenLine(), '>.L..R');
  });
});
