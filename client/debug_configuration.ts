// F5 without a launch.json: the active .asm or .img is booted as it is. With a launch.json, a missing
// `program` means the active file too. VS Code offers `initialConfigurations()` when it creates a launch.json.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activeFile, isBootable } from './active_file';

export const DEBUG_TYPE = 'bootvisor';

export function bootConfiguration(file: vscode.Uri): vscode.DebugConfiguration {
  return { type: DEBUG_TYPE, request: 'launch', name: `Boot ${path.basename(file.fsPath)}`, program: file.fsPath };
}

export function initialConfigurations(): vscode.DebugConfiguration[] {
  return [
    { type: DEBUG_TYPE, request: 'launch', name: 'Boot the current file', program: '${file}' },
    { type: DEBUG_TYPE, request: 'launch', name: 'Boot the current file, stop at its first instruction', program: '${file}', stopOnEntry: true },
  ];
}

export class BootConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return initialConfigurations();
  }

  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    const empty = !config.type && !config.request && !config.name;
    if (empty || !config.program) {
      const file = activeFile();
      if (!file || !isBootable(file)) {
        void vscode.window.showErrorMessage(
          'Bootvisor: open a NASM source (.asm) or a disk image (.img) to boot it, or set "program" in launch.json.',
        );
        // undefined stops the launch; null would open launch.json instead, which is not what the user asked for.
        return undefined;
      }
      return empty ? bootConfiguration(file) : { ...config, type: config.type || DEBUG_TYPE, program: file.fsPath };
    }
    return config;
  }
}
