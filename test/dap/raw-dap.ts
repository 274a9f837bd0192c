// A DAP client that can also send bytes no well-behaved client would: for the framing tests and the
// protocol fuzzer. It runs the real adapter (out/debug-adapter/main.js) and reads every frame it writes.
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';

export const ADAPTER = path.resolve(__dirname, '../../debug-adapter/main.js');

export interface DapMessage {
  type: string;
  seq: number;
  command?: string;
  event?: string;
  request_seq?: number;
  success?: boolean;
  message?: string;
  body?: Record<string, unknown>;
}

/** Complete frames at the start of `buf` (their bodies) and what is left after them. */
export function takeFrames(buf: Buffer): { bodies: string[]; rest: Buffer } {
  const bodies: string[] = [];
  for (;;) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) break;
    const m = /Content-Length: (\d+)/i.exec(buf.subarray(0, end).toString('latin1'));
    if (!m) throw new Error(`a frame without Content-Length: ${buf.subarray(0, end).toString('latin1')}`);
    const length = Number(m[1]);
    if (buf.length < end + 4 + length) break;
    bodies.push(buf.subarray(end + 4, end + 4 + length).toString('utf8'));
    buf = buf.subarray(end + 4 + length);
  }
  return { bodies, rest: buf };
}

/**
 * A server process (DAP or LSP: same framing) and every frame it writes, parsed; a body that is not JSON is
 * kept as `{ unparsable }`, so a test sees it rather than the reader throwing. `keep` bounds how many frames
 * stay (a fuzzing run reads many).
 */
export class FramedPeer<T = Record<string, unknown>> {
  readonly child: ChildProcess;
  readonly messages: T[] = [];
  stderr = '';
  exited?: { code: number | null; signal: NodeJS.Signals | null };
  private buf: Buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  constructor(
    script: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    private readonly keep = Infinity,
  ) {
    this.child = spawn(process.execPath, [script, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (b: Buffer) => this.read(b));
    this.child.stderr!.on('data', (b: Buffer) => {
      // Keep the last part only: a fuzzing run logs a lot.
      this.stderr = (this.stderr + b.toString('utf8')).slice(-65536);
      this.wake();
    });
    this.child.stdin!.on('error', () => undefined);
    this.child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private read(b: Buffer): void {
    const { bodies, rest } = takeFrames(Buffer.concat([this.buf, b]));
    this.buf = rest;
    for (const body of bodies) {
      let m: T;
      try {
        m = JSON.parse(body) as T;
      } catch {
        m = { unparsable: body.slice(0, 200) } as T;
      }
      this.arrived(m);
      this.messages.push(m);
    }
    if (this.messages.length > this.keep) this.messages.splice(0, this.messages.length - this.keep);
    this.wake();
  }

  /** Sees every message as it arrives, before `keep` may drop it. */
  protected arrived(_m: T): void {}

  /** Raw bytes, exactly as given (dropped once the process has exited). */
  sendRaw(bytes: Buffer | string): void {
    if (!this.exited) this.child.stdin!.write(bytes);
  }

  /** The index of the first message matching `pred`, waiting up to `ms`; -1 on timeout or exit. */
  protected async indexOf(pred: (m: T) => boolean, ms: number): Promise<number> {
    const until = Date.now() + ms;
    for (;;) {
      const i = this.messages.findIndex(pred);
      if (i >= 0 || this.exited) return i;
      const left = until - Date.now();
      if (left <= 0) return -1;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until the process has exited (bounded). */
  async exit(ms = 10000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const until = Date.now() + ms;
    while (!this.exited && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    if (!this.exited) throw new Error(`the process did not exit within ${ms} ms`);
    return this.exited;
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

export class RawDap extends FramedPeer<DapMessage> {
  private seq = 1;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    super(ADAPTER, [], env);
  }

  /** A well-formed request; returns its seq. */
  send(command: string, args?: unknown, seq = this.seq++): number {
    const json = JSON.stringify({ seq, type: 'request', command, arguments: args });
    this.sendRaw(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    return seq;
  }

  nextSeq(): number {
    return this.seq++;
  }

  /** Waits for a message matching `pred`; fails after `ms` or when the adapter exits first. */
  async waitFor(pred: (m: DapMessage) => boolean, ms: number, what: string): Promise<DapMessage> {
    const i = await this.indexOf(pred, ms);
    if (i >= 0) return this.messages[i];
    if (this.exited)
      throw new Error(
        `the adapter exited (${JSON.stringify(this.exited)}) while waiting for ${what}; stderr: ${this.stderr.slice(-2000)}`,
      );
    throw new Error(`no ${what} within ${ms} ms; stderr: ${this.stderr.slice(-2000)}`);
  }

  /** Waits until the adapter's log (stderr) after `from` characters matches. */
  async logged(pattern: RegExp, from: number, ms = 5000): Promise<void> {
    const until = Date.now() + ms;
    while (!pattern.test(this.stderr.slice(from))) {
      if (Date.now() > until)
        throw new Error(`the log does not say ${pattern}: ${this.stderr.slice(from, from + 2000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  response(seq: number, ms = 20000): Promise<DapMessage> {
    return this.waitFor((m) => m.type === 'response' && m.request_seq === seq, ms, `the response to request ${seq}`);
  }

  async request(command: string, args?: unknown, ms = 20000): Promise<DapMessage> {
    return this.response(this.send(command, args), ms);
  }
}
