// A DebugClient over out/debug-adapter/main.js with the few moves every DAP test makes: launch with
// breakpoints set during configuration, wait for a stop of a given reason, read the top frame, evaluate.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { REPO } from './nasm-fixture';

export const ADAPTER = path.join(REPO, 'out/debug-adapter/main.js');

const sourceLines = new Map<string, string[]>();
/** The 1-based line of the first line in `file` containing `text` (tests name lines by their code). */
export function lineOf(file: string, text: string): number {
  if (!sourceLines.has(file)) sourceLines.set(file, fs.readFileSync(file, 'utf8').split('\n'));
  const i = sourceLines.get(file)!.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`no line with "${text}" in ${file}`);
  return i + 1;
}

export class DapSession {
  readonly dc: DebugClient;
  readonly cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-dap-'));
  readonly outputs: string[] = [];

  constructor() {
    this.dc = new DebugClient('node', ADAPTER, 'bootvisor', { cwd: this.cwd }, true);
    this.dc.on('output', (e: DebugProtocol.OutputEvent) => this.outputs.push(e.body.output));
  }

  async start(): Promise<void> {
    await this.dc.start();
  }

  async stop(): Promise<void> {
    await this.dc.stop().catch(() => undefined);
    fs.rmSync(this.cwd, { recursive: true, force: true });
  }

  /** initialize, launch, `configure` (breakpoints), configurationDone; resolves with the launch response. */
  async launch(
    args: Record<string, unknown>,
    configure?: (dc: DebugClient) => Promise<unknown>,
  ): Promise<DebugProtocol.LaunchResponse> {
    const dc = this.dc;
    await dc.initializeRequest({
      adapterID: 'bootvisor',
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: 'path',
    });
    const configured = dc.waitForEvent('initialized').then(async () => {
      if (configure) await configure(dc);
      await dc.configurationDoneRequest();
    });
    const [response] = await Promise.all([
      dc.launchRequest({ cwd: this.cwd, serial: 'debugConsole', ...args } as DebugProtocol.LaunchRequestArguments),
      configured,
    ]);
    return response as DebugProtocol.LaunchResponse;
  }

  async expectStop(reason: string): Promise<DebugProtocol.StoppedEvent> {
    const e = (await this.dc.waitForEvent('stopped', 20000)) as DebugProtocol.StoppedEvent;
    assert.strictEqual(
      e.body.reason,
      reason,
      `stopped for ${e.body.reason} (${e.body.description}), expected ${reason}`,
    );
    return e;
  }

  /** Launches stopped at `text`'s line of `file`. */
  async launchTo(file: string, text: string, args: Record<string, unknown> = {}): Promise<DebugProtocol.StoppedEvent> {
    const stopped = this.expectStop('breakpoint');
    await this.launch({ program: file, ...args }, (dc) =>
      dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line: lineOf(file, text) }] }),
    );
    return stopped;
  }

  async frames(): Promise<DebugProtocol.StackFrame[]> {
    return (await this.dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
  }

  async evaluate(expression: string, context = 'watch'): Promise<DebugProtocol.EvaluateResponse> {
    return this.dc.evaluateRequest({ expression, frameId: 0, context });
  }

  /** Runs one request that resumes the guest and waits for the stop it causes. */
  async resume(reason: string, request: (dc: DebugClient) => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
    const stopped = this.expectStop(reason);
    await request(this.dc);
    return stopped;
  }
}

/** A fresh adapter for each test of the enclosing describe(); call the result inside a test. */
export function eachTestSession(): () => DapSession {
  let s: DapSession | undefined;
  beforeEach(async () => {
    s = new DapSession();
    await s.start();
  });
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });
  return () => s!;
}

/** A C frame's Locals scope, name -> value. */
export async function frameLocals(s: DapSession, frameId: number): Promise<Map<string, string>> {
  return frameScope(s, frameId, 'Locals');
}

/** The variables of frame `frameId`'s scope `name` (which must be there), name -> value. */
export async function frameScope(s: DapSession, frameId: number, name: string): Promise<Map<string, string>> {
  const scopes = (await s.dc.scopesRequest({ frameId })).body.scopes;
  const sc = scopes.find((x) => x.name === name);
  assert.ok(sc, `${name} in ${scopes.map((x) => x.name).join(', ')}`);
  const vars = (await s.dc.variablesRequest({ variablesReference: sc.variablesReference })).body.variables;
  return new Map(vars.map((v) => [v.name, v.value]));
}

/** The call stack at a stop, the index of its first interrupt marker frame, and a printable summary. */
export async function markedStack(
  s: DapSession,
): Promise<{ frames: DebugProtocol.StackFrame[]; marker: number; text: string }> {
  const frames = await s.frames();
  const text = frames.map((f) => `${f.name} @${path.basename(f.source?.path ?? '-')}:${f.line}`).join('\n  ');
  return { frames, marker: frames.findIndex((f) => f.name.startsWith('[')), text };
}
