// Starts the Bootvisor language server (stdio) for NASM sources: diagnostics from the last run's exit
// report, hovers on BIOS calls and ports, symbols.
import * as vscode from 'vscode';
import {
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import type { ServerOptions as BootvisorServerOptions } from '../common/lsp-protocol';
import { readSettings } from './settings';

export function startLanguageClient(serverMain: string, log: vscode.OutputChannel): LanguageClient {
  // `module` makes the client fork the extension host's own Node, so no `node` on PATH is needed.
  const serverOptions: ServerOptions = {
    run: { module: serverMain, transport: TransportKind.stdio },
    debug: {
      module: serverMain,
      transport: TransportKind.stdio,
      options: { execArgv: ['--nolazy', '--inspect=6019'] },
    },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'nasm' }],
    outputChannel: log,
    initializationOptions: { nasmPath: readSettings().nasmPath || undefined } satisfies BootvisorServerOptions,
    synchronize: {
      // The exit report a run leaves behind: the server turns it into Problems.
      fileEvents: vscode.workspace.createFileSystemWatcher('**/.bootvisor/*.json'),
    },
  };
  const client = new LanguageClient('bootvisor', 'Bootvisor language server', serverOptions, clientOptions);
  void client.start().catch((error: unknown) => {
    log.appendLine(`The language server did not start: ${String(error)}`);
  });
  return client;
}
