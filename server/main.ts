// Entry point of the Bootvisor language server: LSP over stdio (or whatever transport the client picks on
// the command line: --stdio, --node-ipc, --socket=N), for the extension and for any other LSP client.
// Over stdio the client's bytes go through our own framing (common/message-framing.ts, lsp-input.ts) first,
// so malformed input is answered or logged and skipped, never a reason to stop listening.
import { PassThrough } from 'stream';
import {
  Connection,
  createConnection,
  ProposedFeatures,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver/node';
import { exitOnSignals } from '../common/scratch';
import { BootvisorServer } from './bootvisor-server';
import { lspFramer } from './lsp-input';

const otherTransport = process.argv.some(
  (a) => a === '--node-ipc' || a.startsWith('--socket') || a.startsWith('--pipe'),
);
const log = (text: string): void => void process.stderr.write(`bootvisor-lsp: ${text}\n`);

function stdioConnection(): Connection {
  const input = new PassThrough();
  const writer = new StreamMessageWriter(process.stdout);
  const framer = lspFramer({
    message: (body) => {
      input.write(`Content-Length: ${body.length}\r\n\r\n`);
      input.write(body);
    },
    refused: (message, request) => {
      log(message);
      // JSON-RPC's "invalid request" (or "parse error" when the text was not JSON).
      if (request)
        void writer.write({
          jsonrpc: '2.0',
          id: request.id,
          error: { code: /not JSON/.test(message) ? -32700 : -32600, message },
        } as never);
    },
  });
  process.stdin.on('data', (chunk: Buffer) => framer.push(chunk));
  process.stdin.on('end', () => {
    log('the client closed the connection; exiting');
    input.end();
    setTimeout(() => process.exit(0), 100).unref();
  });
  process.stdout.on('error', () => process.exit(0));
  return createConnection(ProposedFeatures.all, new StreamMessageReader(input), writer);
}

const connection: Connection = otherTransport ? createConnection(ProposedFeatures.all) : stdioConnection();
// The server outlives any single bad request: log and carry on.
process.on('uncaughtException', (e) => connection.console.error(`bootvisor-lsp: uncaught: ${e.stack ?? e}`));
process.on('unhandledRejection', (e) =>
  connection.console.error(`bootvisor-lsp: unhandled rejection: ${String((e as Error)?.stack ?? e)}`),
);
// A plain kill still runs the 'exit' handlers (which stop nasm and remove its temporary folders).
exitOnSignals();
new BootvisorServer(connection).listen();
