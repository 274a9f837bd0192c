// Entry point of the Bootvisor language server: LSP over stdio (or whatever transport the client picks on
// the command line: --stdio, --node-ipc, --socket=N), for the extension and for any other LSP client.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { exitOnSignals } from '../common/scratch';
import { BootvisorServer } from './bootvisor-server';

if (!process.argv.some((a) => a === '--stdio' || a === '--node-ipc' || a.startsWith('--socket') || a.startsWith('--pipe'))) {
  process.argv.push('--stdio');
}
const connection = createConnection(ProposedFeatures.all);
// The server outlives any single bad request: log and carry on.
process.on('uncaughtException', (e) => connection.console.error(`bootvisor-lsp: uncaught: ${e.stack ?? e}`));
process.on('unhandledRejection', (e) => connection.console.error(`bootvisor-lsp: unhandled rejection: ${String((e as Error)?.stack ?? e)}`));
// A plain kill still runs the 'exit' handlers (which stop nasm and remove its temporary folders).
exitOnSignals();
new BootvisorServer(connection).listen();
