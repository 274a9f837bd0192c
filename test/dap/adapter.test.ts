// The debug adapter over the real protocol: DebugClient spawns out/debug-adapter/main.js, which assembles
// the test programs with nasm and boots them on the software vCPU.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildProgram, PROGRAMS, readMapSymbols, REPO } from './nasm-fixture';

const ADAPTER = path.join(REPO, 'out/debug-adapter/main.js');
const STEPS = path.join(PROGRAMS, 'steps.asm');
const FAULT = path.join(PROGRAMS, 'fault.asm');
const SPIN = path.join(PROGRAMS, 'spin.asm');
const SERIAL_INC = path.join(PROGRAMS, 'serial.inc');
const TRIPLE = path.join(REPO, 'examples/triple-fault/triple-fault.asm');
const PROTECTED = path.join(REPO, 'examples/protected/protected.asm');
const ECHO = path.join(REPO, 'examples/echo/echo.asm');
const UNHANDLED = path.join(REPO, 'examples/unhandled-port/unhandled-port.asm');
const SERIAL_ECHO = path.join(PROGRAMS, 'serial-echo.asm');
const PAGING = path.join(PROGRAMS, 'paging.asm');
const STRINGS = path.join(PROGRAMS, 'strings.asm');
const ORG0 = path.join(PROGRAMS, 'org0.asm');
const REP = path.join(PROGRAMS, 'rep.asm');
const LONG = path.join(PROGRAMS, 'long.asm');

const sourceLines = new Map<string, string[]>();
/** The 1-based line of the first line in `file` containing `text` (tests name lines by their code). */
function line(file: string, text: string): number {
  if (!sourceLines.has(file)) sourceLines.set(file, fs.readFileSync(file, 'utf8').split('\n'));
  const i = sourceLines.get(file)!.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`no line with "${text}" in ${file}`);
  return i + 1;
}

/** Is the native machine usable? The DAP tests need it; say so plainly when it is not built. */
function nativeProblem(): string | undefined {
  try {
    const { createMachine } = require('../../common/machine') as typeof import('../../common/machine');
    const image = new Uint8Array(512);
    image[510] = 0x55;
    image[511] = 0xaa;
    createMachine({ image }).dispose();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

describe('debug adapter (DAP over stdio)', function () {
  this.timeout(30000);
  let dc: DebugClient;
  let cwd: string;
  let outputs: string[];
  /** Set by a test that disconnected itself: the adapter is gone and must not be asked again. */
  let disconnected = false;

  beforeEach(async () => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-dap-cwd-'));
    dc = new DebugClient('node', ADAPTER, 'bootvisor', { cwd }, true);
    outputs = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => outputs.push(e.body.output));
    await dc.start();
  });

  afterEach(async () => {
    if (disconnected) (dc as unknown as { stopAdapter(): void }).stopAdapter();
    else await dc.stop().catch(() => undefined);
    disconnected = false;
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  /** initialize, launch, (breakpoints), configurationDone; resolves when the launch response arrives. */
  async function launch(args: Record<string, unknown>, configure?: () => Promise<unknown>): Promise<void> {
    await dc.initializeRequest({
      adapterID: 'bootvisor',
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: 'path',
    });
    const configured = dc.waitForEvent('initialized').then(async () => {
      if (configure) await configure();
      await dc.configurationDoneRequest();
    });
    await Promise.all([
      dc.launchRequest({ cwd, serial: 'debugConsole', ...args } as DebugProtocol.LaunchRequestArguments),
      configured,
    ]);
  }

  async function top(): Promise<DebugProtocol.StackFrame> {
    const st = await dc.stackTraceRequest({ threadId: 1 });
    return st.body.stackFrames[0];
  }

  async function expectStop(reason: string, file?: string, lineNo?: number): Promise<DebugProtocol.StoppedEvent> {
    const e = (await dc.waitForEvent('stopped', 20000)) as DebugProtocol.StoppedEvent;
    assert.strictEqual(
      e.body.reason,
      reason,
      `stopped for ${e.body.reason} (${e.body.description}), expected ${reason}`,
    );
    if (file && lineNo) {
      const f = await top();
      assert.strictEqual(f.source?.path, file);
      assert.strictEqual(f.line, lineNo, `stopped at line ${f.line}, expected ${lineNo}`);
    }
    return e;
  }

  async function register(name: string): Promise<number> {
    const scopes = await dc.scopesRequest({ frameId: 0 });
    const general = scopes.body.scopes.find((s) => s.name === 'General registers')!;
    const vars = await dc.variablesRequest({ variablesReference: general.variablesReference });
    const direct = vars.body.variables.find((v) => v.name === name);
    if (direct) return Number(direct.value);
    for (const v of vars.body.variables) {
      if (!v.variablesReference) continue;
      const views = await dc.variablesRequest({ variablesReference: v.variablesReference });
      const view = views.body.variables.find((x) => x.name === name);
      if (view) return Number(view.value);
    }
    throw new Error(`no register ${name}`);
  }

  async function evaluate(expression: string): Promise<DebugProtocol.EvaluateResponse> {
    return dc.evaluateRequest({ expression, frameId: 0, context: 'watch' });
  }

  async function readMemory(memoryReference: string, count: number): Promise<DebugProtocol.ReadMemoryResponse> {
    return (await dc.customRequest('readMemory', { memoryReference, count })) as DebugProtocol.ReadMemoryResponse;
  }

  async function runTo(text: string, file = STEPS): Promise<void> {
    const bp = await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line: line(file, text) }] });
    assert.ok(bp.body.breakpoints[0].verified, bp.body.breakpoints[0].message);
    const stopped = expectStop('breakpoint', file, line(file, text));
    await dc.continueRequest({ threadId: 1 });
    await stopped;
  }

  describe('with a guest', () => {
    before(function () {
      const problem = nativeProblem();
      if (problem) {
        console.log(
          `    DAP tests that boot a guest are skipped: the native machine is not available (${problem}). Build it: scripts/build-native.sh`,
        );
        this.skip();
      }
    });

    it('launches a .asm and stops on entry at its first line', async () => {
      const stopped = expectStop('entry');
      await launch({ program: STEPS, stopOnEntry: true });
      await stopped;
      const f = await top();
      assert.strictEqual(f.source?.path, STEPS);
      assert.strictEqual(f.line, line(STEPS, 'cli'));
      assert.strictEqual(f.instructionPointerReference, '0x7C00');
      assert.strictEqual(await register('eip'), 0x7c00);
      // The BIOS hands over with IF=1 and the timer pending: a step still goes to the next line, not into IRQ0.
      const step = expectStop('step', STEPS, line(STEPS, 'xor ax, ax'));
      await dc.stepInRequest({ threadId: 1 });
      await step;
      let back = expectStop('step', STEPS, line(STEPS, 'cli'));
      await dc.stepBackRequest({ threadId: 1 });
      await back;
      back = expectStop('step', STEPS, line(STEPS, 'cli'));
      await dc.stepBackRequest({ threadId: 1 });
      assert.match((await back).body.description ?? '', /start of the recorded history/);
    });

    it('breaks on a source line, and moves a breakpoint on a line without code to the next instruction', async () => {
      let verified: DebugProtocol.Breakpoint[] = [];
      const stopped = expectStop('breakpoint', STEPS, line(STEPS, 'mov ax, 0x1234'));
      await launch({ program: STEPS }, async () => {
        const r = await dc.setBreakpointsRequest({
          source: { path: STEPS },
          breakpoints: [{ line: line(STEPS, 'mov ax, 0x1234') - 1 }],
        });
        verified = r.body.breakpoints;
      });
      await stopped;
      assert.strictEqual(verified[0].verified, true);
      assert.strictEqual(verified[0].line, line(STEPS, 'mov ax, 0x1234'));
      assert.match(verified[0].message ?? '', /no code; the breakpoint moved to line/);
    });

    it('breaks in an %include-d file and on a label (function breakpoint)', async () => {
      const stopped = expectStop('function breakpoint', STEPS, line(STEPS, 'inc ax'));
      await launch({ program: STEPS }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'add_one' }] }));
      await stopped;
      const bp = await dc.setBreakpointsRequest({
        source: { path: SERIAL_INC },
        breakpoints: [{ line: line(SERIAL_INC, 'out dx, al') }],
      });
      assert.ok(bp.body.breakpoints[0].verified);
      const again = expectStop('breakpoint', SERIAL_INC, line(SERIAL_INC, 'out dx, al'));
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      await dc.continueRequest({ threadId: 1 });
      await again;
      const st = await dc.stackTraceRequest({ threadId: 1 });
      assert.ok(st.body.stackFrames.length >= 2, 'the caller of serial_putc is a frame');
      assert.match(st.body.stackFrames[0].name, /^serial_putc\+0x4/);
      assert.strictEqual(st.body.stackFrames[1].source?.path, STEPS);
    });

    it('steps over a CALL and an INT as one step each, and steps out of a call and of an interrupt handler', async () => {
      const stopped = expectStop('entry');
      await launch({ program: STEPS, stopOnEntry: true });
      await stopped;
      await runTo('call add_one');
      let s = expectStop('step', STEPS, line(STEPS, 'mov bx, ax'));
      await dc.nextRequest({ threadId: 1 });
      await s;
      assert.strictEqual(await register('ax'), 0x1235);
      // Stepping back retraces that step: before the CALL again, not into the callee's RET.
      s = expectStop('step', STEPS, line(STEPS, 'call add_one'));
      await dc.stepBackRequest({ threadId: 1 });
      await s;
      assert.strictEqual(await register('ax'), 0x1234);
      s = expectStop('step', STEPS, line(STEPS, 'mov bx, ax'));
      await dc.nextRequest({ threadId: 1 });
      await s;
      await runTo('int 0x10');
      s = expectStop('step', STEPS, line(STEPS, 'mov cx, [counter]'));
      await dc.nextRequest({ threadId: 1 });
      await s;
      // Into the BIOS's INT 10h handler and out of it again (to the return of the interrupt handler).
      const targets = await dc.gotoTargetsRequest({ source: { path: STEPS }, line: line(STEPS, 'int 0x10') });
      const jumped = expectStop('goto', STEPS, line(STEPS, 'int 0x10'));
      await dc.gotoRequest({ threadId: 1, targetId: targets.body.targets[0].id }); // Jump to Cursor: back onto the int 0x10
      await jumped;
      s = expectStop('step');
      await dc.stepInRequest({ threadId: 1 });
      await s;
      assert.notStrictEqual((await top()).source?.path, STEPS, 'inside the BIOS');
      s = expectStop('step', STEPS, line(STEPS, 'mov cx, [counter]'));
      await dc.stepOutRequest({ threadId: 1 });
      await s;
      // Into the CALL, then out of it.
      await runTo("SERIAL_OUT 'N'");
      s = expectStop('step');
      await dc.stepInRequest({ threadId: 1 }); // mov al, 'N'
      await s;
      s = expectStop('step', SERIAL_INC, line(SERIAL_INC, 'push dx'));
      await dc.stepInRequest({ threadId: 1 }); // call serial_putc
      await s;
      s = expectStop('step', STEPS, line(STEPS, 'mov si, 0'));
      await dc.stepOutRequest({ threadId: 1 });
      await s;
    });

    it('steps over a whole REP string instruction', async () => {
      const stopped = expectStop('breakpoint', STRINGS, line(STRINGS, 'rep movsb'));
      await launch({ program: STRINGS }, () =>
        dc.setBreakpointsRequest({ source: { path: STRINGS }, breakpoints: [{ line: line(STRINGS, 'rep movsb') }] }),
      );
      await stopped;
      assert.strictEqual(await register('cx'), 64);
      const s = expectStop('step', STRINGS, line(STRINGS, 'mov bx, [dst]'));
      await dc.nextRequest({ threadId: 1 });
      await s;
      assert.strictEqual(await register('cx'), 0);
      assert.strictEqual(Number((await evaluate('byte [dst+63]')).body.result), 0x41);
    });

    it('assembles with a custom assembler command line and writes COM1 to a file', async () => {
      const serialFile = path.join(cwd, 'com1.txt');
      const bp = expectStop('breakpoint', STEPS, line(STEPS, 'mov bx, ax'));
      await launch(
        {
          program: STEPS,
          assembler: ['nasm', '-f', 'bin', '-w-all', '-o', '${output}', '-l', '${listing}', '${program}'],
          serial: { file: serialFile },
        },
        () => dc.setBreakpointsRequest({ source: { path: STEPS }, breakpoints: [{ line: line(STEPS, 'mov bx, ax') }] }),
      );
      await bp;
      const hang = expectStop('exception');
      await dc.continueRequest({ threadId: 1 });
      await hang;
      for (
        let i = 0;
        i < 100 && !(fs.existsSync(serialFile) && fs.readFileSync(serialFile, 'latin1').includes('N'));
        i++
      )
        await new Promise((r) => setTimeout(r, 20));
      assert.strictEqual(fs.readFileSync(serialFile, 'latin1'), 'N');
      assert.ok(
        !outputs.join('').includes('N\n') && !outputs.some((o) => o === 'N'),
        'COM1 is not in the Debug Console',
      );
    });

    it('maps code assembled at org 0 and run at 07C0:0000 (labels are offsets, breakpoints are linear)', async () => {
      const stopped = expectStop('function breakpoint', ORG0, line(ORG0, 'add bx, bx'));
      await launch({ program: ORG0 }, async () => {
        await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'twice' }] });
      });
      await stopped;
      const built = buildProgram('org0');
      const val = readMapSymbols(built.map).get('val')!;
      fs.rmSync(built.dir, { recursive: true, force: true });
      assert.ok(val < 0x100, 'nasm gives val a small offset');
      assert.strictEqual(Number((await evaluate('val')).body.result), val);
      assert.strictEqual(Number((await evaluate('[val]')).body.result), 0x2121);
      assert.strictEqual(
        (await evaluate('[val]')).body.memoryReference,
        `0x${(0x7c00 + val).toString(16).toUpperCase()}`,
      );
      const st = await dc.stackTraceRequest({ threadId: 1 });
      assert.match(st.body.stackFrames[0].name, /^twice \(07C0:/);
      assert.strictEqual(st.body.stackFrames[1].line, line(ORG0, 'call twice'), 'the caller frame shows the call');
      const s = expectStop('step', ORG0, line(ORG0, 'cli'));
      await dc.stepOutRequest({ threadId: 1 });
      await s;
      assert.strictEqual(await register('bx'), 0x4242);
    });

    it('stops on every iteration of a line inside %rep, and knows struc fields', async () => {
      const inc = line(REP, 'inc ax');
      let first = expectStop('breakpoint', REP, inc);
      await launch({ program: REP }, () =>
        dc.setBreakpointsRequest({ source: { path: REP }, breakpoints: [{ line: inc }] }),
      );
      await first;
      for (const ax of [1, 2]) {
        assert.strictEqual(await register('ax'), ax - 1);
        first = expectStop('breakpoint', REP, inc);
        await dc.continueRequest({ threadId: 1 });
        await first;
      }
      assert.strictEqual(await register('ax'), 2);
      assert.strictEqual(Number((await evaluate('[origin + point.y]')).body.result), 2);
      assert.strictEqual(Number((await evaluate('point_size')).body.result), 4);
    });

    it('counts hits: a hit count of 3 stops on the third pass, a condition when it holds', async () => {
      const inc = line(REP, 'inc ax');
      let stop = expectStop('breakpoint', REP, inc);
      await launch({ program: REP }, () =>
        dc.setBreakpointsRequest({ source: { path: REP }, breakpoints: [{ line: inc, hitCondition: '3' }] }),
      );
      await stop;
      assert.strictEqual(await register('ax'), 2, 'third pass');
      await dc.setBreakpointsRequest({ source: { path: REP }, breakpoints: [{ line: inc, condition: 'ax == 1' }] });
      stop = expectStop('breakpoint', REP, inc);
      await dc.customRequest('bootvisor/reset'); // runs again from power-on with the new breakpoint
      await stop;
      assert.strictEqual(await register('ax'), 1);
    });

    it('runs without debugging (noDebug): no breakpoints, no stops, the guest runs to its end', async () => {
      let stops = 0;
      dc.on('stopped', () => stops++);
      const terminated = dc.waitForEvent('terminated');
      let bps: DebugProtocol.Breakpoint[] = [];
      await launch({ program: STEPS, noDebug: true, stopOnEntry: true }, async () => {
        bps = (
          await dc.setBreakpointsRequest({
            source: { path: STEPS },
            breakpoints: [{ line: line(STEPS, 'mov bx, ax') }],
          })
        ).body.breakpoints;
        await dc.setExceptionBreakpointsRequest({ filters: ['triple-fault', 'hang'] });
      });
      await terminated;
      assert.strictEqual(bps[0].verified, false);
      assert.strictEqual(stops, 0);
      assert.ok(outputs.join('').includes('N'), 'the guest ran');
    });

    it('ends the session at a hang when the hang filter is off', async () => {
      const exited = dc.waitForEvent('exited');
      const terminated = dc.waitForEvent('terminated');
      await launch({ program: STEPS }, () => dc.setExceptionBreakpointsRequest({ filters: ['triple-fault'] }));
      assert.strictEqual(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, 1);
      await terminated;
      assert.ok(
        outputs.some((o) => /Hang: HLT at 0000:7C38/.test(o)),
        JSON.stringify(outputs),
      );
    });

    it('reads registers and memory, and the guest uses memory the debugger wrote', async () => {
      const stopped = expectStop('breakpoint', STEPS, line(STEPS, 'mov al, [flag]'));
      await launch({ program: STEPS }, () =>
        dc.setBreakpointsRequest({ source: { path: STEPS }, breakpoints: [{ line: line(STEPS, 'mov al, [flag]') }] }),
      );
      await stopped;
      assert.strictEqual(await register('bx'), 0x1235);
      assert.strictEqual(await register('cx'), 0);
      const counter = await evaluate('[counter]');
      assert.strictEqual(Number(counter.body.result), 1);
      const hover = await dc.evaluateRequest({ expression: 'counter', frameId: 0, context: 'hover' });
      assert.strictEqual(hover.body.result, '0x7C42 (word [counter] = 0x0001)');
      assert.strictEqual(hover.body.memoryReference, '0x7C42');
      const flagRef = (await evaluate('flag')).body.memoryReference!;
      const before = await readMemory(flagRef, 1);
      assert.strictEqual(Buffer.from(before.body!.data!, 'base64')[0], 0);
      await dc.customRequest('writeMemory', { memoryReference: flagRef, data: Buffer.from([0x55]).toString('base64') });
      assert.strictEqual(Buffer.from((await readMemory(flagRef, 1)).body!.data!, 'base64')[0], 0x55);
      const hang = expectStop('exception');
      await dc.continueRequest({ threadId: 1 });
      const e = await hang;
      assert.match(e.body.description ?? '', /HLT/);
      const serial = outputs.join('');
      assert.ok(
        serial.includes('Y') && !serial.includes('N'),
        `the guest took the flag's branch (serial: ${JSON.stringify(serial)})`,
      );
    });

    it('stops on a data breakpoint when the guest writes the watched word', async () => {
      const stopped = expectStop('entry');
      await launch({ program: STEPS, stopOnEntry: true });
      await stopped;
      const info = await dc.dataBreakpointInfoRequest({ name: 'word [counter]', frameId: 0 });
      assert.ok(info.body.dataId, info.body.description);
      assert.deepStrictEqual(info.body.accessTypes, ['read', 'write', 'readWrite']);
      const set = await dc.setDataBreakpointsRequest({
        breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }],
      });
      assert.ok(set.body.breakpoints[0].verified);
      const hit = expectStop('data breakpoint');
      await dc.continueRequest({ threadId: 1 });
      const e = await hit;
      assert.match(e.body.description ?? '', /write/);
      assert.strictEqual(Number((await evaluate('word [counter]')).body.result), 1);
      const f = await top();
      assert.ok(
        f.line === line(STEPS, 'inc word [counter]') || f.line === line(STEPS, 'mov al, [flag]'),
        `stopped at line ${f.line}`,
      );
      // Any access (read or write) to the flag byte, by its label.
      const flag = await dc.dataBreakpointInfoRequest({ name: 'byte [flag]', frameId: 0 });
      await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: flag.body.dataId!, accessType: 'readWrite' }] });
      const read = expectStop('data breakpoint');
      await dc.continueRequest({ threadId: 1 });
      const r = await read;
      assert.match(r.body.description ?? '', /read of 1 byte at 0x07C44 \(byte \[flag\]\)/);
      assert.strictEqual(await register('al'), 0);
    });

    it('stops on an exception it was asked to catch, and explains it', async () => {
      const stopped = expectStop('exception');
      await launch({ program: FAULT }, () =>
        dc.setExceptionBreakpointsRequest({ filters: ['triple-fault', 'hang', 'vector-6'] }),
      );
      const e = await stopped;
      assert.match(e.body.description ?? '', /#UD|invalid opcode/i);
      const f = await top();
      assert.strictEqual(f.line, line(FAULT, 'ud2'));
      const info = await dc.exceptionInfoRequest({ threadId: 1 });
      assert.match(info.body.exceptionId, /#UD|vector 6/);
      assert.match(info.body.description ?? '', /vector 6/);
      assert.strictEqual(await register('ax'), 0xbeef);
    });

    it('steps back and reverse-continues, restoring registers and memory', async () => {
      const stopped = expectStop('breakpoint', STEPS, line(STEPS, 'mov al, [flag]'));
      await launch({ program: STEPS }, () =>
        dc.setBreakpointsRequest({ source: { path: STEPS }, breakpoints: [{ line: line(STEPS, 'mov al, [flag]') }] }),
      );
      await stopped;
      assert.strictEqual(Number((await evaluate('word [counter]')).body.result), 1);
      let s = expectStop('step', STEPS, line(STEPS, 'inc word [counter]'));
      await dc.stepBackRequest({ threadId: 1 });
      await s;
      assert.strictEqual(Number((await evaluate('word [counter]')).body.result), 0, 'memory restored');
      s = expectStop('step', STEPS, line(STEPS, 'mov cx, [counter]'));
      await dc.stepBackRequest({ threadId: 1 });
      await s;
      // Forward again, then back to the breakpoint behind us.
      s = expectStop('step', STEPS, line(STEPS, 'inc word [counter]'));
      await dc.stepInRequest({ threadId: 1 });
      await s;
      type Screen = { lines: string[]; cursor: { row: number; column: number } };
      const screen = async () => (await dc.customRequest('bootvisor/screen', { format: 'text' })).body as Screen;
      const after = await screen();
      assert.ok(
        after.lines.some((l) => l.includes('X')),
        'INT 10h printed X',
      );
      await dc.setBreakpointsRequest({ source: { path: STEPS }, breakpoints: [{ line: line(STEPS, 'mov bx, ax') }] });
      s = expectStop('breakpoint', STEPS, line(STEPS, 'mov bx, ax'));
      await dc.reverseContinueRequest({ threadId: 1 });
      await s;
      assert.strictEqual(await register('ax'), 0x1235, 'registers restored');
      assert.strictEqual(await register('bx'), 0);
      assert.strictEqual(Number((await evaluate('word [counter]')).body.result), 0);
      const before = await screen();
      assert.ok(!before.lines.some((l) => l.includes('X')), 'the screen is back to before the X');
      assert.strictEqual(before.cursor.column, after.cursor.column - 1, 'the cursor (a device register) is restored');
      // And forward again, deterministically: the same X at the same place.
      s = expectStop('breakpoint', STEPS, line(STEPS, 'mov al, [flag]'));
      await dc.setBreakpointsRequest({
        source: { path: STEPS },
        breakpoints: [{ line: line(STEPS, 'mov al, [flag]') }],
      });
      await dc.continueRequest({ threadId: 1 });
      await s;
      assert.deepStrictEqual(await screen(), after);
    });

    it('reverse-continues across millions of instructions and many snapshots', async () => {
      const hang = expectStop('exception', LONG, line(LONG, 'hlt'));
      await launch({ program: LONG });
      await hang;
      assert.strictEqual(await register('ecx'), 0);
      await dc.setBreakpointsRequest({ source: { path: LONG }, breakpoints: [{ line: line(LONG, 'mov bx, dx') }] });
      const back = expectStop('breakpoint', LONG, line(LONG, 'mov bx, dx'));
      await dc.reverseContinueRequest({ threadId: 1 });
      await back;
      assert.strictEqual(await register('ecx'), 0);
      assert.strictEqual(await register('dx'), 1000000 & 0xffff, 'the first loop has run, the second not yet');
      assert.strictEqual(await register('bx'), 0);
      const fwd = expectStop('exception', LONG, line(LONG, 'hlt'));
      await dc.continueRequest({ threadId: 1 });
      await fwd;
      assert.strictEqual(await register('dx'), 0);
      assert.strictEqual(await register('bx'), 1000000 & 0xffff);
    });

    it('pauses a guest spinning with interrupts off', async () => {
      await launch({ program: SPIN });
      await new Promise((r) => setTimeout(r, 300));
      const stopped = expectStop('pause');
      await dc.pauseRequest({ threadId: 1 });
      await stopped;
      assert.ok((await register('dx')) > 0, 'the guest ran');
      const f = await top();
      assert.strictEqual(f.source?.path, SPIN);
      // A breakpoint set while the guest runs takes effect.
      await dc.continueRequest({ threadId: 1 });
      await new Promise((r) => setTimeout(r, 100));
      const bp = expectStop('breakpoint', SPIN, line(SPIN, 'inc dx'));
      const set = await dc.setBreakpointsRequest({
        source: { path: SPIN },
        breakpoints: [{ line: line(SPIN, 'inc dx') }],
      });
      assert.ok(set.body.breakpoints[0].verified);
      await bp;
    });

    it('runs logpoints and honours conditions and hit counts', async () => {
      const stopped = expectStop('breakpoint', SERIAL_INC, line(SERIAL_INC, 'push dx'));
      await launch({ program: STEPS }, async () => {
        await dc.setBreakpointsRequest({
          source: { path: STEPS },
          breakpoints: [
            { line: line(STEPS, 'mov bx, ax'), logMessage: 'ax={ax} ptr={es:di}' },
            { line: line(STEPS, 'mov cx, [counter]'), condition: 'ax == 0x9999' },
          ],
        });
        await dc.setBreakpointsRequest({
          source: { path: SERIAL_INC },
          breakpoints: [{ line: line(SERIAL_INC, 'push dx'), hitCondition: '1' }],
        });
      });
      await stopped;
      assert.ok(
        outputs.some((o) => /ax=0x1235 ptr=0000:[0-9A-F]{4}/.test(o)),
        `logpoint output: ${JSON.stringify(outputs)}`,
      );
    });

    it('disassembles in NASM syntax with seg:off, labels and source lines', async () => {
      const stopped = expectStop('entry');
      await launch({ program: STEPS, stopOnEntry: true });
      await stopped;
      const loaded = (await dc.customRequest('loadedSources')).body.sources
        .map((x: DebugProtocol.Source) => x.path)
        .sort();
      assert.deepStrictEqual(loaded, [SERIAL_INC, STEPS].sort());
      const completions = await dc.completionsRequest({ text: 'word [coun', column: 11, frameId: 0 });
      assert.deepStrictEqual(
        completions.body.targets.map((t) => t.label),
        ['counter'],
      );
      const d = await dc.disassembleRequest({ memoryReference: '0x7C00', instructionCount: 4 });
      const ins = d.body!.instructions;
      assert.strictEqual(ins.length, 4);
      assert.strictEqual(ins[0].instruction, 'cli');
      assert.strictEqual(ins[1].instruction, 'xor ax, ax');
      assert.match(ins[0].symbol ?? '', /^0000:7C00 start$/);
      assert.strictEqual(ins[1].line, line(STEPS, 'xor ax, ax'));
      const back = await dc.disassembleRequest({
        memoryReference: '0x7C03',
        instructionOffset: -2,
        instructionCount: 3,
      });
      assert.deepStrictEqual(
        back.body!.instructions.map((i) => i.address),
        ['0x7C00', '0x7C01', '0x7C03'],
      );
      // What VS Code's Disassembly view asks for: 200 before and 200 after, addresses rising, listing-aligned.
      const pc = (await evaluate('add_one')).body.memoryReference!;
      const view = (
        await dc.disassembleRequest({ memoryReference: pc, instructionOffset: -200, instructionCount: 400 })
      ).body!.instructions;
      assert.strictEqual(view.length, 400);
      assert.strictEqual(view[200].address, pc);
      assert.strictEqual(view[200].instruction, 'inc ax');
      for (let k = 1; k < view.length; k++)
        assert.ok(Number(view[k].address) > Number(view[k - 1].address), `address ${k} rises`);
      const listed = view.filter((i) => i.line !== undefined);
      assert.ok(listed.length > 20);
      for (const i of listed) assert.notStrictEqual(i.presentationHint, 'invalid', `${i.address} ${i.instruction}`);
      assert.ok(
        view.some((i) => i.address === '0x7C31' && /^call 0x7C3B/i.test(i.instruction)),
        'the backwards decode keeps to the listed instruction starts',
      );
    });

    it('shows segment, flag, control-register and descriptor-table scopes, and sets registers and flags', async () => {
      const stopped = expectStop('entry');
      await launch({ program: STEPS, stopOnEntry: true });
      await stopped;
      const scopes = (await dc.scopesRequest({ frameId: 0 })).body.scopes;
      assert.deepStrictEqual(scopes.map((s) => s.name).slice(0, 7), [
        'Registers',
        'General registers',
        'Segment registers',
        'Flags',
        'Control and system registers',
        'GDT',
        'IDT',
      ]);
      const flags = (await dc.variablesRequest({ variablesReference: scopes[3].variablesReference })).body.variables;
      const zf = flags.find((v) => v.name === 'ZF')!;
      const set = await dc.setVariableRequest({
        variablesReference: scopes[3].variablesReference,
        name: 'ZF',
        value: zf.value === '1' ? '0' : '1',
      });
      assert.strictEqual(set.body.value, zf.value === '1' ? '0' : '1');
      const general = scopes[1].variablesReference;
      await dc.setVariableRequest({ variablesReference: general, name: 'eax', value: '0x11223344' });
      assert.strictEqual(await register('ah'), 0x33);
      const segs = (await dc.variablesRequest({ variablesReference: scopes[2].variablesReference })).body.variables;
      assert.match(segs.find((v) => v.name === 'cs')!.value, /^0x0000 \(base 0x00000000/);
      const sys = (await dc.variablesRequest({ variablesReference: scopes[4].variablesReference })).body.variables;
      assert.match(sys.find((v) => v.name === 'cr0')!.value, /^0x[0-9A-F]{8} \[/);
      const ivt = (await dc.variablesRequest({ variablesReference: scopes[6].variablesReference })).body.variables;
      assert.strictEqual(ivt[0x10].name, 'int 0x10');
      assert.match(ivt[0x10].value, /^[0-9A-F]{4}:[0-9A-F]{4}$/);
    });

    it('stops on a triple fault at the faulting line, explains the chain, and ends when continued', async () => {
      const stopped = expectStop('exception', TRIPLE, line(TRIPLE, 'div cx'));
      await launch({ program: TRIPLE });
      const e = await stopped;
      assert.match(e.body.description ?? '', /^Triple fault/);
      const info = await dc.exceptionInfoRequest({ threadId: 1 });
      assert.strictEqual(info.body.exceptionId, 'triple fault');
      assert.match(info.body.description ?? '', /#DE/);
      assert.match(info.body.description ?? '', /#DF|double/i);
      assert.match(info.body.description ?? '', new RegExp(`triple-fault\\.asm:${line(TRIPLE, 'div cx')}`));
      const terminated = dc.waitForEvent('terminated');
      await dc.continueRequest({ threadId: 1 });
      await terminated;
      const report = JSON.parse(fs.readFileSync(path.join(cwd, '.bootvisor/last-run.json'), 'utf8'));
      const exit = report.exits.find((x: { kind: string }) => x.kind === 'triple-fault');
      assert.ok(exit, JSON.stringify(report.exits));
      assert.strictEqual(exit.source.line, line(TRIPLE, 'div cx'));
      assert.ok(exit.chain.length >= 2);
    });

    it('debugs 32-bit protected-mode code: disassembly, descriptors, stepping over a call', async () => {
      const target = line(PROTECTED, 'mov [edi], ax');
      const stopped = expectStop('breakpoint', PROTECTED, target);
      await launch({ program: PROTECTED }, () =>
        dc.setBreakpointsRequest({ source: { path: PROTECTED }, breakpoints: [{ line: target }] }),
      );
      await stopped;
      const pc = (await top()).instructionPointerReference!;
      const d = await dc.disassembleRequest({ memoryReference: pc, instructionCount: 3 });
      assert.deepStrictEqual(
        d.body!.instructions.map((i) => i.instruction),
        [
          'mov [edi], ax',
          'add edi, 2',
          'call 0x' +
            Number((await evaluate('serial_putc')).body.result)
              .toString(16)
              .toUpperCase()
              .padStart(8, '0'),
        ],
      );
      assert.match(d.body!.instructions[0].symbol ?? '', /^0008:[0-9A-F]{8} pm_start\.next\+/);
      const scopes = (await dc.scopesRequest({ frameId: 0 })).body.scopes;
      const gdt = (
        await dc.variablesRequest({ variablesReference: scopes.find((x) => x.name === 'GDT')!.variablesReference })
      ).body.variables;
      assert.match(gdt[1].value, /base 0x00000000, limit 0xFFFFFFFF: code, readable.*32-bit, 4K granular/);
      assert.strictEqual(Number((await evaluate('byte [esi-1]')).body.result), 'H'.charCodeAt(0));
      assert.strictEqual(
        (await evaluate('es:edi')).body.result,
        `0010:${(0xb8000 + 160).toString(16).toUpperCase().padStart(8, '0')}`,
      );
      let s = expectStop('step');
      await dc.nextRequest({ threadId: 1 }); // mov [edi], ax
      await s;
      s = expectStop('step');
      await dc.nextRequest({ threadId: 1 }); // add edi, 2
      await s;
      s = expectStop('step', PROTECTED, line(PROTECTED, 'jmp .next'));
      await dc.nextRequest({ threadId: 1 }); // call serial_putc, whole
      await s;
      assert.ok(outputs.join('').includes('H'), 'serial_putc ran');
    });

    it('serves the screen, keys, serial input, status and reset as custom requests and events', async () => {
      const serial: string[] = [];
      let screenChanged = 0;
      const statuses: { running: boolean; backend: string }[] = [];
      dc.on('bootvisor/serial', (e: DebugProtocol.Event) =>
        serial.push(Buffer.from(e.body.data, 'base64').toString('latin1')),
      );
      dc.on('bootvisor/screenChanged', () => screenChanged++);
      dc.on('bootvisor/status', (e: DebugProtocol.Event) => statuses.push(e.body));
      const waitFor = async (what: string, ok: () => boolean) => {
        for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
        assert.ok(ok(), `timed out waiting for ${what}`);
      };
      await launch({ program: ECHO, serial: 'none' });
      await waitFor('the prompt on the screen', () => screenChanged > 0);
      await dc.customRequest('bootvisor/keys', { text: 'hey' });
      await waitFor('the keys echoed on COM1', () => serial.join('').includes('hey'));
      assert.ok(!outputs.join('').includes('hey'), 'serial "none" keeps COM1 out of the Debug Console');
      const text = (await dc.customRequest('bootvisor/screen', { format: 'text' })).body as {
        lines: string[];
        width: number;
      };
      assert.strictEqual(text.width, 80);
      assert.ok(
        text.lines.some((l) => l.includes('hey')),
        text.lines.join('\n'),
      );
      const image = (await dc.customRequest('bootvisor/screen', {})).body as {
        width: number;
        height: number;
        rgba: string;
      };
      assert.strictEqual(Buffer.from(image.rgba, 'base64').length, image.width * image.height * 4);
      assert.ok(statuses.some((x) => x.running && x.backend === 'software'));
      await assert.rejects(
        dc.customRequest('bootvisor/keys', { scanCodes: [300] }),
        /scanCodes must be an array of bytes/,
      );
    });

    it('sends serial input to the guest', async () => {
      await launch({ program: SERIAL_ECHO });
      await new Promise((r) => setTimeout(r, 100));
      await dc.customRequest('bootvisor/serialInput', { data: Buffer.from('abc').toString('base64') });
      for (let i = 0; i < 200 && !outputs.join('').includes('ABC'); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(outputs.join('').includes('ABC'), `COM1 echo: ${JSON.stringify(outputs)}`);
    });

    it('resets the guest to its entry', async () => {
      const entry = expectStop('entry');
      await launch({ program: STEPS, stopOnEntry: true });
      await entry;
      await runTo('mov al, [flag]');
      assert.strictEqual(Number((await evaluate('word [counter]')).body.result), 1);
      const again = expectStop('entry');
      await dc.customRequest('bootvisor/reset');
      await again;
      assert.strictEqual(await register('eip'), 0x7c00);
      assert.strictEqual(Number((await evaluate('word [counter]')).body.result), 0, 'memory is fresh');
      const bp = expectStop('breakpoint', STEPS, line(STEPS, 'mov al, [flag]'));
      await dc.continueRequest({ threadId: 1 });
      await bp; // breakpoints survive the reset
    });

    it('walks the page tables when paging is on', async () => {
      const hang = expectStop('exception', PAGING, line(PAGING, 'hlt'));
      await launch({ program: PAGING });
      await hang;
      const scopes = (await dc.scopesRequest({ frameId: 0 })).body.scopes;
      const walk = scopes.find((x) => x.name === 'Page walk');
      assert.ok(walk, scopes.map((x) => x.name).join(', '));
      const places = (await dc.variablesRequest({ variablesReference: walk!.variablesReference })).body.variables;
      assert.match(places[0].name, /^CS:EIP/);
      assert.match(places[0].value, /^physical 0x00007C/);
      const sys = (
        await dc.variablesRequest({
          variablesReference: scopes.find((x) => x.name === 'Control and system registers')!.variablesReference,
        })
      ).body.variables;
      assert.match(sys.find((v) => v.name === 'cr0')!.value, /PE.*PG/);
      const unmapped = await evaluate('pagewalk 0x400000');
      assert.strictEqual(unmapped.body.result, 'does not translate');
      const mapped = await evaluate('pagewalk 0x123456');
      assert.strictEqual(mapped.body.result, 'physical 0x00123456');
      assert.ok(
        (await dc.variablesRequest({ variablesReference: mapped.body.variablesReference })).body.variables.length >= 2,
        'the walk shows its steps',
      );
    });

    it('debugs a prebuilt image through its listing, with instruction breakpoints and data breakpoints on a register', async () => {
      // As a project with its own build: sources, image and listing side by side.
      for (const f of ['steps.asm', 'serial-macros.inc', 'serial.inc'])
        fs.copyFileSync(path.join(PROGRAMS, f), path.join(cwd, f));
      const built = buildProgram('steps');
      const source = path.join(cwd, 'steps.asm');
      try {
        const image = path.join(cwd, 'steps.img');
        fs.copyFileSync(built.image, image);
        fs.copyFileSync(built.listing, path.join(cwd, 'steps.lst'));
        const entry = expectStop('entry', source, line(STEPS, 'cli'));
        await launch({ program: image, listing: 'steps.lst', stopOnEntry: true });
        await entry;
        const addr = '0x' + (0x7c00 + 0x11).toString(16).toUpperCase(); // mov bx, ax
        const ib = await dc.customRequest('setInstructionBreakpoints', {
          breakpoints: [{ instructionReference: addr }],
        });
        assert.ok(ib.body.breakpoints[0].verified);
        const hit = expectStop('instruction breakpoint', source, line(STEPS, 'mov bx, ax'));
        await dc.continueRequest({ threadId: 1 });
        await hit;
        // A data breakpoint on the memory a register points at: point BX at the counter, watch DS:BX (by its
        // expression: on the register itself it is refused, since the machine watches memory, not registers).
        const scopes = (await dc.scopesRequest({ frameId: 0 })).body.scopes;
        const general = scopes.find((x) => x.name === 'General registers')!.variablesReference;
        await dc.setVariableRequest({ variablesReference: general, name: 'ebx', value: String(0x7c00 + 0x42) });
        const vars = (await dc.variablesRequest({ variablesReference: general })).body.variables;
        assert.strictEqual(vars.find((v) => v.name === 'ebx')!.memoryReference, '0x7C42');
        const refused = await dc.dataBreakpointInfoRequest({ variablesReference: general, name: 'ebx' });
        assert.strictEqual(refused.body.dataId, null);
        assert.match(refused.body.description, /EBX is a register.*word \[ds:ebx\]/);
        const info = await dc.dataBreakpointInfoRequest({ name: 'word [ds:bx]', frameId: 0 });
        assert.ok(info.body.dataId, info.body.description);
        await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'read' }] });
        await dc.customRequest('setInstructionBreakpoints', { breakpoints: [] });
        const read = expectStop('data breakpoint');
        await dc.continueRequest({ threadId: 1 });
        const e = await read;
        assert.match(e.body.description ?? '', /read of 2 bytes at 0x07C42/);
      } finally {
        fs.rmSync(built.dir, { recursive: true, force: true });
      }
    });

    it('debugs an image without a listing: disassembly, instruction breakpoints, call frames from CALLs in memory', async () => {
      const built = buildProgram('steps');
      const image = path.join(cwd, 'bare.img');
      fs.copyFileSync(built.image, image);
      fs.rmSync(built.dir, { recursive: true, force: true });
      const entry = expectStop('entry');
      await launch({ program: image, stopOnEntry: true });
      await entry;
      assert.ok(
        outputs.some((o) => /No listing for bare\.img/.test(o)),
        'says why source breakpoints are off',
      );
      const f = await top();
      assert.strictEqual(f.source, undefined);
      assert.strictEqual(f.instructionPointerReference, '0x7C00');
      const src = await dc.setBreakpointsRequest({
        source: { path: STEPS },
        breakpoints: [{ line: line(STEPS, 'cli') }],
      });
      assert.match(src.body.breakpoints[0].message ?? '', /No listing/);
      await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: '0x7C3F' }] }); // serial_putc's out dx, al
      const hit = expectStop('instruction breakpoint');
      await dc.continueRequest({ threadId: 1 });
      await hit;
      const st = await dc.stackTraceRequest({ threadId: 1 });
      assert.deepStrictEqual(
        st.body.stackFrames.map((x) => x.instructionPointerReference),
        ['0x7C3F', '0x7C34'],
      );
      assert.strictEqual(st.body.stackFrames[1].name, '0000:7C34');
      const d = await dc.disassembleRequest({ memoryReference: '0x7C3F', instructionCount: 1 });
      assert.strictEqual(d.body!.instructions[0].instruction, 'out dx, al');
    });

    it('answers bad requests with clear errors and keeps serving', async () => {
      const stopped = expectStop('entry');
      await launch({ program: STEPS, stopOnEntry: true });
      await stopped;
      await assert.rejects(dc.variablesRequest({ variablesReference: 987654 }), /variablesReference 987654 is unknown/);
      await assert.rejects(readMemory('0xFFFFF000', 16), /cannot be read/);
      await assert.rejects(readMemory('not-an-address', 16), /not a memory reference/);
      await assert.rejects(evaluate('ax +* 2'), /expected a number, register, label/);
      await assert.rejects(evaluate('no_such_label'), /neither a register nor a label/);
      const elsewhere = await dc.setBreakpointsRequest({
        source: { path: '/tmp/elsewhere.asm' },
        breakpoints: [{ line: 3 }],
      });
      assert.strictEqual(elsewhere.body.breakpoints[0].verified, false);
      assert.match(elsewhere.body.breakpoints[0].message ?? '', /not part of the program/);
      const badCondition = await dc.setBreakpointsRequest({
        source: { path: STEPS },
        breakpoints: [{ line: line(STEPS, 'xor ax, ax'), condition: 'ax ==' }],
      });
      assert.strictEqual(badCondition.body.breakpoints[0].verified, false);
      assert.match(badCondition.body.breakpoints[0].message ?? '', /Condition/);
      await assert.rejects(dc.customRequest('bootvisor/nonsense'), /Unknown request/);
      // Malformed arguments of every kind get an error response, never a dead adapter.
      const junk: [string, unknown][] = [
        ['setBreakpoints', {}],
        ['setBreakpoints', { source: {}, breakpoints: [{ line: 'x' }] }],
        ['variables', {}],
        ['readMemory', { memoryReference: '0x7c00', count: -5 }],
        ['readMemory', {}],
        ['writeMemory', { memoryReference: '0x7c00', data: 42 }],
        ['writeMemory', { memoryReference: '0xFFFFFFFF', data: 'AAAA' }],
        ['disassemble', { memoryReference: '0x7c00', instructionCount: -1 }],
        ['disassemble', { memoryReference: 'zz', instructionCount: 3 }],
        ['evaluate', {}],
        ['setVariable', { variablesReference: 1, name: 'ZF', value: 'maybe' }],
        ['setDataBreakpoints', { breakpoints: [{ dataId: 'garbage' }] }],
        ['dataBreakpointInfo', { name: '1 +' }],
        ['setInstructionBreakpoints', { breakpoints: [{ instructionReference: 'nowhere' }] }],
        ['bootvisor/serialInput', { data: 5 }],
        ['bootvisor/keys', { scanCodes: 'abc' }],
        ['stackTrace', { threadId: 1, startFrame: -3 }],
      ];
      for (const [command, args] of junk) {
        await dc.customRequest(command, args).then(
          (r) => assert.ok(r.success !== undefined, command),
          (e: Error) =>
            assert.doesNotMatch(
              e.message,
              /Cannot read properties|is not a function|of undefined/,
              `${command}: ${e.message}`,
            ),
        );
      }
      await assert.rejects(
        dc.launchRequest({ program: STEPS } as DebugProtocol.LaunchRequestArguments),
        /already runs a guest/,
      );
      await assert.rejects(dc.attachRequest({}), /use a "launch" configuration/);
      const threads = await dc.threadsRequest();
      assert.strictEqual(threads.body.threads.length, 1, 'still serving');
    });
  });

  it('fails a launch with a clear message for a bad configuration or an assembly error', async () => {
    await dc.initializeRequest({ adapterID: 'bootvisor', pathFormat: 'path' });
    await assert.rejects(dc.launchRequest({ cwd } as DebugProtocol.LaunchRequestArguments), /"program" is missing/);
    await assert.rejects(
      dc.launchRequest({ program: STEPS, memory: 'lots' } as DebugProtocol.LaunchRequestArguments),
      /"memory" is guest RAM in MiB/,
    );
    const broken = path.join(cwd, 'broken.asm');
    fs.writeFileSync(broken, 'org 0x7c00\n  mov ax, \n  jmp nowhere\n');
    await assert.rejects(
      dc.launchRequest({ program: broken, cwd } as DebugProtocol.LaunchRequestArguments),
      /broken\.asm:2: error/,
    );
    assert.ok((await dc.threadsRequest()).body.threads.length === 1, 'the adapter survived');
  });

  describe('ending', () => {
    before(function () {
      if (nativeProblem()) this.skip();
    });

    it("records the run's diagnostics (an unhandled port) in the exit report, on their source line", async () => {
      const hang = expectStop('exception');
      await launch({ program: UNHANDLED });
      await hang;
      const terminated = dc.waitForEvent('terminated');
      await dc.continueRequest({ threadId: 1 }); // a hang cannot go on: the session ends
      await terminated;
      const report = JSON.parse(fs.readFileSync(path.join(cwd, '.bootvisor/last-run.json'), 'utf8'));
      const port = report.exits.find((x: { kind: string }) => x.kind === 'unhandled-port');
      assert.ok(port, JSON.stringify(report.exits));
      assert.strictEqual(port.port, 0x5a5a);
      const inLine = report.profile.find(
        (p: { source: { line: number } }) => p.source.line === line(UNHANDLED, 'in al, dx'),
      );
      assert.ok(
        inLine && inLine.exits >= 1 && inLine.ports.includes(0x5a5a),
        `profile: ${JSON.stringify(report.profile)}`,
      );
      assert.deepStrictEqual(port.source, { file: UNHANDLED, line: line(UNHANDLED, 'in al, dx') });
      assert.ok(
        report.sources.some(
          (x: { file: string; sha256: string }) => x.file === UNHANDLED && /^[0-9a-f]{64}$/.test(x.sha256),
        ),
      );
    });

    it('writes the exit report and leaves no process behind on disconnect', async () => {
      const stopped = expectStop('exception');
      await launch({ program: STEPS });
      await stopped; // the hang: HLT with interrupts off
      const proc = (dc as unknown as { _adapterProcess: import('child_process').ChildProcess })._adapterProcess;
      const exited = new Promise<number | null>((resolve) =>
        proc.exitCode !== null ? resolve(proc.exitCode) : proc.once('exit', (code) => resolve(code)),
      );
      await dc.disconnectRequest({ terminateDebuggee: true });
      disconnected = true;
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 5000))]);
      assert.strictEqual(code, 0);
      const report = JSON.parse(fs.readFileSync(path.join(cwd, '.bootvisor/last-run.json'), 'utf8'));
      assert.strictEqual(report.version, 1);
      assert.strictEqual(report.stop.reason, 'hlt-cli');
      assert.strictEqual(report.stop.source.line, line(STEPS, 'hlt'));
      assert.strictEqual(report.exits[0].kind, 'hlt-cli');
    });
  });
});
