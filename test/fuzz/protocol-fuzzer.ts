// The second fuzz target: the DAP and LSP servers' message handling, as real processes (out/debug-adapter/
// main.js, out/server/main.js) fed random and mutated messages over stdio. After every input a probe
// request must be answered in bounded time: a server that crashed, exited on its own or went deaf fails,
// with the bytes that did it saved as a reproducer. A short run is part of the test suite
// (test/fuzz/protocol.test.ts); `npm run fuzz:protocol` runs it longer and prints executions and exec/s.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';

import { FramedPeer } from '../dap/raw-dap';

const REPO = path.resolve(__dirname, '../../..');
const ADAPTER = path.join(REPO, 'out/debug-adapter/main.js');
const SERVER = path.join(REPO, 'out/server/main.js');
const STEPS = path.join(REPO, 'test/dap/programs/steps.asm');
const LSP_DOC = path.join(REPO, 'test/lsp/programs/hello.asm');

/** xorshift32: the same seed gives the same inputs. */
class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return this.next() % n;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.below(list.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Values that break careless handlers. */
function hostileValue(rng: Rng, depth = 0): Json {
  switch (rng.below(14)) {
    case 0:
      return null;
    case 1:
      return -1;
    case 2:
      return 1e308;
    case 3:
      return 2 ** 53 + 1;
    case 4:
      return 3e6;
    case 5:
      return '';
    case 6:
      return 'x'.repeat(rng.below(20000));
    case 7:
      return [];
    case 8:
      return {};
    case 9:
      return depth < 3 ? [hostileValue(rng, depth + 1), hostileValue(rng, depth + 1)] : 0;
    case 10:
      return true;
    case 11:
      return '0x' + rng.next().toString(16);
    case 12: {
      let v: Json = 1;
      for (let i = 0; i < 200; i++) v = [v];
      return v;
    }
    default:
      return rng.below(0x10000) - 0x8000;
  }
}

function paths(v: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (v && typeof v === 'object') {
    for (const [k, c] of Object.entries(v)) {
      const p = [...prefix, Array.isArray(v) ? Number(k) : k];
      out.push(p);
      if (out.length < 200) paths(c as Json, p, out);
    }
  }
  return out;
}

function mutateJson(rng: Rng, message: Json): Json {
  const copy = JSON.parse(JSON.stringify(message)) as Json;
  const all = paths(copy);
  for (let n = 1 + rng.below(3); n > 0 && all.length > 0; n--) {
    const p = rng.pick(all);
    let parent = copy as Record<string | number, Json> | undefined;
    for (const k of p.slice(0, -1))
      parent = parent && typeof parent === 'object' ? (parent[k] as Record<string | number, Json>) : undefined;
    if (!parent || typeof parent !== 'object') continue;
    const key = p[p.length - 1];
    if (rng.below(4) === 0 && !Array.isArray(parent)) delete parent[key];
    else parent[key] = hostileValue(rng);
  }
  return copy;
}

const frame = (body: Buffer, length: number | string = body.length): Buffer =>
  Buffer.concat([Buffer.from(`Content-Length: ${length}\r\n\r\n`), body]);

/** One fuzz input: the bytes to send, built from the corpus by one of the mutation kinds. */
function makeInput(rng: Rng, corpus: Json[]): Buffer {
  const base = Buffer.from(JSON.stringify(rng.pick(corpus)));
  switch (rng.below(9)) {
    case 0:
      return rng.bytes(rng.below(600));
    case 1:
    case 2:
    case 3:
      return frame(Buffer.from(JSON.stringify(mutateJson(rng, rng.pick(corpus)))));
    case 4: {
      // Byte-level damage to a valid body, framed with its true length.
      const b = Buffer.from(base);
      for (let n = 1 + rng.below(8); n > 0; n--) b[rng.below(b.length)] = rng.next() & 0xff;
      return frame(b);
    }
    case 5: {
      const lengths: (number | string)[] = [
        base.length - 1 - rng.below(20),
        base.length + 1 + rng.below(20),
        -5,
        0,
        '1e3',
        'abc',
        99999999999,
        '',
      ];
      return frame(base, rng.pick(lengths));
    }
    case 6:
      return Buffer.concat([Buffer.from('Content-Type: application/vscode-jsonrpc\r\n\r\n'), base]);
    case 7: {
      // Invalid UTF-8 inside a string.
      const at = Math.max(1, base.indexOf('"', 10) + 1);
      return frame(Buffer.concat([base.subarray(0, at), Buffer.from([0xc3, 0x28, 0xff]), base.subarray(at)]));
    }
    default:
      return Buffer.concat([
        frame(base),
        rng.bytes(rng.below(40)),
        frame(Buffer.from(JSON.stringify(mutateJson(rng, rng.pick(corpus))))),
      ]);
  }
}

interface Frame {
  [key: string]: unknown;
}

/** A server process and the frames it writes; frames are taken (removed) as they are waited for. */
class Peer extends FramedPeer<Frame> {
  /** The session told its client it is over (DAP terminated): it may then end by itself. */
  terminated = false;

  constructor(script: string, args: string[], env: NodeJS.ProcessEnv) {
    super(script, args, env, 1000);
  }
  protected arrived(f: Frame): void {
    if (f.event === 'terminated') this.terminated = true;
  }
  send(bytes: Buffer): void {
    this.sendRaw(bytes);
  }
  sendJson(message: Json): void {
    this.send(frame(Buffer.from(JSON.stringify(message))));
  }
  async waitFor(pred: (f: Frame) => boolean, ms: number): Promise<Frame | undefined> {
    const i = await this.indexOf(pred, ms);
    if (i < 0) return undefined;
    return this.messages.splice(i, 1)[0];
  }
}

export interface ProtocolTarget {
  name: 'dap' | 'lsp';
  /** A server ready for fuzzing (initialized; for DAP, a guest launched and stopped). */
  start(env: NodeJS.ProcessEnv, workDir: string): Promise<Peer>;
  /** Asks something the server must answer; true when it did in time. */
  probe(peer: Peer, n: number, ms: number): Promise<boolean>;
  corpus: Json[];
  /** Inputs after which the server may end on purpose (disconnect, exit). */
  mayEnd: RegExp;
}

export const dapTarget: ProtocolTarget = {
  name: 'dap',
  async start(env, workDir) {
    const peer = new Peer(ADAPTER, [], env);
    peer.sendJson({
      seq: 1,
      type: 'request',
      command: 'initialize',
      arguments: { adapterID: 'bootvisor', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true },
    });
    peer.sendJson({
      seq: 2,
      type: 'request',
      command: 'launch',
      arguments: { program: STEPS, stopOnEntry: true, cwd: workDir, serial: 'none' },
    });
    if (!(await peer.waitFor((f) => f.event === 'initialized', 60000)))
      throw new Error(`the adapter did not launch: ${peer.stderr}`);
    peer.sendJson({ seq: 3, type: 'request', command: 'configurationDone' });
    await peer.waitFor((f) => f.event === 'stopped', 60000);
    return peer;
  },
  async probe(peer, n, ms) {
    const seq = 1_000_000 + n;
    peer.sendJson({ seq, type: 'request', command: 'threads' });
    return (await peer.waitFor((f) => f.type === 'response' && f.request_seq === seq, ms)) !== undefined;
  },
  corpus: [
    { seq: 10, type: 'request', command: 'threads' },
    { seq: 11, type: 'request', command: 'stackTrace', arguments: { threadId: 1, startFrame: 0, levels: 20 } },
    { seq: 12, type: 'request', command: 'scopes', arguments: { frameId: 1 } },
    { seq: 13, type: 'request', command: 'variables', arguments: { variablesReference: 1, start: 0, count: 10 } },
    { seq: 14, type: 'request', command: 'evaluate', arguments: { expression: 'word [es:di+2]', context: 'watch' } },
    { seq: 15, type: 'request', command: 'readMemory', arguments: { memoryReference: '0x7c00', offset: 0, count: 64 } },
    {
      seq: 16,
      type: 'request',
      command: 'writeMemory',
      arguments: { memoryReference: '0x9000', offset: 0, data: 'AAECAw==' },
    },
    {
      seq: 17,
      type: 'request',
      command: 'disassemble',
      arguments: { memoryReference: '0x7c00', instructionOffset: -10, instructionCount: 20, resolveSymbols: true },
    },
    {
      seq: 18,
      type: 'request',
      command: 'setBreakpoints',
      arguments: {
        source: { path: STEPS },
        breakpoints: [
          { line: 5, condition: 'ax == 1' },
          { line: 7, hitCondition: '>2' },
        ],
      },
    },
    {
      seq: 19,
      type: 'request',
      command: 'setInstructionBreakpoints',
      arguments: { breakpoints: [{ instructionReference: '0x7c05', offset: 0 }] },
    },
    { seq: 20, type: 'request', command: 'setFunctionBreakpoints', arguments: { breakpoints: [{ name: 'start' }] } },
    { seq: 21, type: 'request', command: 'dataBreakpointInfo', arguments: { name: '[0x500]', variablesReference: 0 } },
    {
      seq: 22,
      type: 'request',
      command: 'setDataBreakpoints',
      arguments: { breakpoints: [{ dataId: '0x500:2', accessType: 'write' }] },
    },
    {
      seq: 23,
      type: 'request',
      command: 'setVariable',
      arguments: { variablesReference: 1, name: 'ax', value: '0x1234' },
    },
    { seq: 24, type: 'request', command: 'next', arguments: { threadId: 1, granularity: 'instruction' } },
    { seq: 25, type: 'request', command: 'stepBack', arguments: { threadId: 1 } },
    { seq: 26, type: 'request', command: 'completions', arguments: { text: 'a', column: 2 } },
    { seq: 27, type: 'request', command: 'gotoTargets', arguments: { source: { path: STEPS }, line: 5 } },
    { seq: 28, type: 'request', command: 'bootvisor/screen', arguments: { format: 'text' } },
    { seq: 29, type: 'request', command: 'bootvisor/keys', arguments: { scanCodes: [0x1e, 0x9e], text: 'hi' } },
    { seq: 30, type: 'request', command: 'exceptionInfo', arguments: { threadId: 1 } },
    { seq: 31, type: 'request', command: 'setExceptionBreakpoints', arguments: { filters: ['triple-fault'] } },
    { seq: 32, type: 'request', command: 'loadedSources' },
    {
      seq: 33,
      type: 'request',
      command: 'breakpointLocations',
      arguments: { source: { path: STEPS }, line: 1, endLine: 40 },
    },
  ],
  mayEnd: /disconnect|terminate/,
};

export const lspTarget: ProtocolTarget = {
  name: 'lsp',
  async start(env, workDir) {
    const peer = new Peer(SERVER, ['--stdio'], env);
    const root = pathToFileURL(workDir).toString();
    // A long debounce: the fuzzing is of message handling, not of nasm (which has its own tests).
    peer.sendJson({
      jsonrpc: '2.0',
      id: 'init',
      method: 'initialize',
      params: {
        processId: null,
        rootUri: root,
        workspaceFolders: [{ uri: root, name: 'ws' }],
        capabilities: {},
        initializationOptions: { debounceMs: 600000 },
      },
    });
    if (!(await peer.waitFor((f) => f.id === 'init', 60000)))
      throw new Error(`the server did not initialize: ${peer.stderr}`);
    peer.sendJson({ jsonrpc: '2.0', method: 'initialized', params: {} });
    return peer;
  },
  async probe(peer, n, ms) {
    const id = `probe-${n}`;
    peer.sendJson({ jsonrpc: '2.0', id, method: 'workspace/symbol', params: { query: '' } });
    return (await peer.waitFor((f) => f.id === id, ms)) !== undefined;
  },
  corpus: (() => {
    const uri = pathToFileURL(LSP_DOC).toString();
    const text = fs.existsSync(LSP_DOC) ? fs.readFileSync(LSP_DOC, 'utf8') : 'mov ax, 1\n';
    const pos = { line: 3, character: 4 };
    return [
      {
        jsonrpc: '2.0',
        method: 'textDocument/didOpen',
        params: { textDocument: { uri, languageId: 'nasm', version: 1, text } },
      },
      {
        jsonrpc: '2.0',
        method: 'textDocument/didChange',
        params: {
          textDocument: { uri, version: 2 },
          contentChanges: [{ range: { start: pos, end: pos }, text: 'int 0x10\n' }],
        },
      },
      { jsonrpc: '2.0', id: 1, method: 'textDocument/hover', params: { textDocument: { uri }, position: pos } },
      { jsonrpc: '2.0', id: 2, method: 'textDocument/definition', params: { textDocument: { uri }, position: pos } },
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'textDocument/references',
        params: { textDocument: { uri }, position: pos, context: { includeDeclaration: true } },
      },
      { jsonrpc: '2.0', id: 4, method: 'textDocument/documentSymbol', params: { textDocument: { uri } } },
      { jsonrpc: '2.0', id: 5, method: 'textDocument/codeLens', params: { textDocument: { uri } } },
      {
        jsonrpc: '2.0',
        id: 6,
        method: 'textDocument/inlayHint',
        params: { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 50, character: 0 } } },
      },
      { jsonrpc: '2.0', id: 7, method: 'workspace/symbol', params: { query: 'start' } },
      {
        jsonrpc: '2.0',
        method: 'bootvisor/exitReport',
        params: {
          report: {
            version: 1,
            finishedAt: '2026-01-01T00:00:00Z',
            image: LSP_DOC,
            sources: [],
            backend: 'software',
            stop: { reason: 'hlt-cli', linear: 0x7c00, cs: 0, eip: 0x7c00, instructions: 1 },
            exits: [],
            profile: [],
          },
        },
      },
      { jsonrpc: '2.0', method: 'bootvisor/debugState', params: { registers: { eax: 1, ax: 1 } } },
      { jsonrpc: '2.0', method: 'workspace/didChangeWatchedFiles', params: { changes: [{ uri, type: 2 }] } },
      { jsonrpc: '2.0', method: 'textDocument/didClose', params: { textDocument: { uri } } },
      { jsonrpc: '2.0', id: 8, method: 'no/such/method', params: {} },
      { jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 3 } },
    ] as Json[];
  })(),
  mayEnd: /"exit"|exit"|shutdown/,
};

export interface FuzzResult {
  target: string;
  executions: number;
  seconds: number;
  restarts: number;
  /** The reproducer of the first failure, if one happened. */
  failure?: { message: string; reproducer: string };
}

export interface FuzzOptions {
  iterations?: number;
  seconds?: number;
  seed?: number;
  /** How long a probe may wait for its answer (generous: machines here are loaded). */
  probeMs?: number;
  /** Where reproducers go. */
  artifacts?: string;
}

export async function fuzzProtocol(target: ProtocolTarget, options: FuzzOptions = {}): Promise<FuzzResult> {
  const rng = new Rng(options.seed ?? 1);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `bootvisor-fuzz-${target.name}-`));
  const env = { ...process.env, TMPDIR: work };
  const started = Date.now();
  const deadline = options.seconds !== undefined ? started + options.seconds * 1000 : Infinity;
  const iterations = options.iterations ?? (options.seconds !== undefined ? Infinity : 200);
  const probeMs = options.probeMs ?? 15000;
  let peer = await target.start(env, work);
  let executions = 0;
  let restarts = 0;
  let failure: FuzzResult['failure'];
  try {
    while (executions < iterations && Date.now() < deadline) {
      const input = makeInput(rng, target.corpus);
      peer.send(input);
      executions++;
      const answered = await target.probe(peer, executions, probeMs);
      if (answered) continue;
      const text = input.toString('latin1');
      if (peer.exited && (peer.terminated || target.mayEnd.test(text))) {
        restarts++;
        peer = await target.start(env, work);
        continue;
      }
      const dir = options.artifacts ?? path.join(REPO, 'build', 'fuzz');
      fs.mkdirSync(dir, { recursive: true });
      const reproducer = path.join(dir, `protocol-${target.name}-${Date.now()}.bin`);
      fs.writeFileSync(reproducer, input);
      failure = {
        message: `${target.name}: ${peer.exited ? 'the server exited' : `no answer to a probe within ${probeMs} ms`} after input ${executions}; its log ends: ${peer.stderr.slice(-1500)}`,
        reproducer,
      };
      break;
    }
  } finally {
    peer.kill();
    // The server is gone: its temp folders are removed by it or by us now.
    await new Promise((r) => setTimeout(r, 100));
    fs.rmSync(work, { recursive: true, force: true });
  }
  return { target: target.name, executions, seconds: (Date.now() - started) / 1000, restarts, failure };
}
