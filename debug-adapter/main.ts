// The adapter's entry: a DAP server on stdin/stdout (or --server=PORT for debugging the adapter itself).
// In stdio mode the bytes from the client go through our own framing (common/message-framing.ts and
// dap-input.ts), which survives malformed input; the session sees only well-formed messages. The adapter exits when the client closes its end, on
// disconnect, or on a signal, and whatever it started (nasm, temp folders) goes with it.
import { PassThrough } from 'stream';
import { DebugSession, OutputEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';

import { exitOnSignals } from '../common/scratch';
import { BatchedOutput } from './batched-output';
import { dapFramer } from './dap-input';
import { InputSpin } from './input-spin';
import { BootvisorSession } from './session';

const log = (text: string): void => void process.stderr.write(`bootvisor-debug: ${text}\n`);

process.on('uncaughtException', (e) => {
  // Last line of defence: report and keep serving; the session catches request errors itself.
  log(`uncaught ${e instanceof Error ? e.stack : String(e)}`);
});
process.on('unhandledRejection', (e) => {
  log(`unhandled rejection ${e instanceof Error ? e.stack : String(e)}`);
});

function serveStdio(): void {
  const session = new BootvisorSession();
  // The session reads nothing itself: its input stream only tells it when the client has gone.
  const closed = new PassThrough();
  const output = new BatchedOutput(process.stdout);
  process.on('exit', () => output.flush());
  // Not a stream.Writable, only the part of one the DAP library uses (batched-output.ts says why).
  session.start(closed, output as unknown as NodeJS.WritableStream);
  process.stdout.on('error', () => {
    log('the client stopped reading; exiting');
    process.exit(0);
  });
  const framer = dapFramer({
    message: (msg) => {
      try {
        session.handleMessage(msg as unknown as DebugProtocol.ProtocolMessage);
      } catch (e) {
        log(
          `handling ${JSON.stringify((msg as { command?: unknown }).command ?? msg.type)} failed: ${e instanceof Error ? e.stack : String(e)}`,
        );
      }
    },
    refused: (message, request) => {
      log(message);
      if (request && typeof request.id === 'number') {
        const response: DebugProtocol.Response = {
          type: 'response',
          seq: 0,
          request_seq: request.id,
          command: request.name,
          success: false,
          message,
        };
        session.sendResponse(response);
      } else {
        session.sendEvent(new OutputEvent(`Bootvisor debug adapter: ${message}\n`, 'console'));
      }
    },
  });
  // The answers sent while handling the chunk leave at its end rather than after a turn of the event loop.
  const take = (chunk: Buffer): void => output.handle(() => framer.push(chunk));
  const spin = new InputSpin(0, take, () => process.stdin.readableLength);
  process.stdin.on('data', (chunk: Buffer) => {
    take(chunk);
    if (session.answersAtOnce) spin.run(() => session.answersAtOnce);
  });
  process.stdin.on('end', () => {
    log('the client closed the connection; exiting');
    closed.end();
    closed.destroy();
  });
  process.stdin.on('error', (e) => {
    log(`reading from the client failed (${e.message}); exiting`);
    closed.destroy();
  });
  // A signal stops the guest as a disconnect would, then exits at once (helpers killed, temp folders gone).
  exitOnSignals([], () => session.shutdown());
}

if (process.argv.slice(2).some((a) => /^--server=\d+$/.test(a))) DebugSession.run(BootvisorSession);
else serveStdio();
