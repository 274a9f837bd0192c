// Where the extension's other programs live, the same in a development tree (tsc's out/) and in the .vsix
// (esbuild's bundles are written to the same paths), and how to run them without a `node` on PATH.
import * as path from 'node:path';

export interface EntryPoints {
  languageServer: string;
  debugAdapter: string;
  cli: string;
}

export function entryPoints(extensionPath: string): EntryPoints {
  return {
    languageServer: path.join(extensionPath, 'out', 'server', 'main.js'),
    debugAdapter: path.join(extensionPath, 'out', 'debug-adapter', 'main.js'),
    cli: path.join(extensionPath, 'out', 'cli', 'main.js'),
  };
}

/**
 * The Node that runs the extension host runs the others too: in desktop VS Code it is Electron, which behaves
 * as plain Node with ELECTRON_RUN_AS_NODE; in code-server it is Node already. A user needs no Node of their own.
 */
export function nodeRuntime(): { command: string; env: Record<string, string> } {
  return { command: process.execPath, env: { ELECTRON_RUN_AS_NODE: '1' } };
}
