// The debug adapter's process, owned by the extension rather than by VS Code (an inline debug adapter that
// forwards to it). VS Code's messages pass through unchanged both ways; what changes is the extension's own
// traffic: its requests (keys, screen frames) go straight to the adapter's stdin, and the events only the
// extension reads (frames, screen changes, serial output, status) come straight from its stdout. Through
// VS Code each went from the extension host to the workbench and back first: in code-server two trips over its
// websocket, measured by the e2e's key trace at 12 ms per key and 16 ms per frame (p50, load 7), a third of a
// key's way to the screen.
import { spawn, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import { MessageFramer } from '../common/message-framing';

interface AdapterMessage {
  type?: unknown;
  seq?: unknown;
  request_seq?: unknown;
  event?: unknown;
  success?: unknown;
  message?: unknown;
  body?: unknown;
}

/** Takes an event the extension reads itself: true when it did (VS Code then never sees it). */
export type EventTaker = (event: string, body: unknown) => boolean;

/** The extension's own requests use sequence numbers far above VS Code's, so their answers are told apart. */
const FIRST_OWN_SEQ = 1_000_000_000;
/** After the client's end of the pipe closes, how long the adapter may take to exit before it is killed. */
const EXIT_GRACE_MS = 2_000;

export class AdapterProcess implements vscode.DebugAdapter {
  private readonly emitter = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
  readonly onDidSendMessage = this.emitter.event;
  private readonly child: ChildProcess;
  private readonly framer: MessageFramer;
  private nextSeq = FIRST_OWN_SEQ;
  private readonly pending = new Map<number, { resolve(body: unknown): void; reject(error: Error): void }>();
  private taker: EventTaker | undefined;
  private disposed = false;
  private exited = false;
  /** A disconnect was sent or the session said it ended: the adapter exits of its own accord now. */
  private ending = false;

  constructor(
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    private readonly log: vscode.OutputChannel,
    private readonly onGone: () => void,
  ) {
    this.framer = new MessageFramer({
      message: (msg) => this.fromAdapter(msg as AdapterMessage),
      problem: (p) => this.log.appendLine(`debug adapter: ${p.message}`),
      identify: () => undefined,
    });
    this.child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => this.framer.push(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.log.append(chunk.toString('utf8')));
    // A write after the adapter died is reported by its exit; the pipe's own error adds nothing.
    this.child.stdin?.on('error', () => undefined);
    this.child.on('error', (e) => this.gone(`the debug adapter could not be started: ${e.message}`));
    this.child.on('exit', (code, signal) =>
      this.gone(
        this.ending && code === 0
          ? undefined
          : `the debug adapter exited unexpectedly (code ${code ?? '-'}, signal ${signal ?? '-'})`,
      ),
    );
  }

  /** From now on the events `taker` accepts go to it instead of VS Code. */
  takeEvents(taker: EventTaker): void {
    this.taker = taker;
  }

  /** A request of the extension's own, answered without VS Code seeing either. */
  request(command: string, args: unknown): Promise<unknown> {
    if (this.exited || this.disposed) return Promise.reject(new Error('the debug adapter has ended'));
    const seq = this.nextSeq++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.write({ type: 'request', seq, command, arguments: args });
    });
  }

  handleMessage(message: vscode.DebugProtocolMessage): void {
    const request = message as { type?: unknown; seq?: unknown; command?: unknown };
    if (request.command === 'disconnect') this.ending = true;
    if (this.exited && request.type === 'request') {
      // Nobody is left to answer: VS Code would wait for ever on a disconnect (or any other request).
      this.emitter.fire({
        type: 'response',
        seq: 0,
        request_seq: request.seq,
        command: request.command,
        success: request.command === 'disconnect',
        message: 'the debug adapter has ended',
      });
      return;
    }
    this.write(message);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // The adapter ends its session and exits when its input closes; one that does not is killed.
    this.child.stdin?.end();
    if (!this.exited) {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), EXIT_GRACE_MS);
      this.child.once('exit', () => clearTimeout(timer));
    }
    this.emitter.dispose();
  }

  private write(message: unknown): void {
    const json = Buffer.from(JSON.stringify(message), 'utf8');
    this.child.stdin?.write(Buffer.concat([Buffer.from(`Content-Length: ${json.length}\r\n\r\n`, 'latin1'), json]));
  }

  private fromAdapter(msg: AdapterMessage): void {
    if (msg.type === 'response' && typeof msg.request_seq === 'number' && msg.request_seq >= FIRST_OWN_SEQ) {
      const waiter = this.pending.get(msg.request_seq);
      this.pending.delete(msg.request_seq);
      if (msg.success === true) waiter?.resolve(msg.body);
      else waiter?.reject(new Error(typeof msg.message === 'string' ? msg.message : 'the request failed'));
      return;
    }
    if (msg.type === 'event' && (msg.event === 'terminated' || msg.event === 'exited')) this.ending = true;
    if (msg.type === 'event' && typeof msg.event === 'string' && this.taker?.(msg.event, msg.body)) return;
    if (!this.disposed) this.emitter.fire(msg as vscode.DebugProtocolMessage);
  }

  /** The process is gone: what was asked fails, and a session still going is told why and ends. */
  private gone(why: string | undefined): void {
    if (this.exited) return;
    this.exited = true;
    for (const waiter of this.pending.values()) waiter.reject(new Error(why ?? 'the debug adapter has ended'));
    this.pending.clear();
    this.onGone();
    if (this.disposed || why === undefined) return;
    this.log.appendLine(why);
    this.emitter.fire({ type: 'event', seq: 0, event: 'output', body: { category: 'stderr', output: `${why}\n` } });
    this.emitter.fire({ type: 'event', seq: 0, event: 'terminated' });
  }
}
