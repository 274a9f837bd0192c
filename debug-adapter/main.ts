// The adapter's entry: a DAP server on stdin/stdout (or --server=PORT for debugging the adapter itself).
import { DebugSession } from '@vscode/debugadapter';
import { BootvisorSession } from './session';

process.on('uncaughtException', (e) => {
  // Last line of defence: report and keep serving; the session catches request errors itself.
  process.stderr.write(`bootvisor-debug: uncaught ${e instanceof Error ? e.stack : String(e)}\n`);
});
process.on('unhandledRejection', (e) => {
  process.stderr.write(`bootvisor-debug: unhandled rejection ${e instanceof Error ? e.stack : String(e)}\n`);
});

DebugSession.run(BootvisorSession);
