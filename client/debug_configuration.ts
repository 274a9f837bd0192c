// F5 without a launch.json: the active .asm or .img is booted as it is. With a launch.json, a missing
// `program` means the active file too. VS Code offers `initialConfigurations()` when it creates a launch.json.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activeFile, isBootable } from './active_file';
import { applySettings } from './settings';

export const DEBUG_TYPE = 'bootvisor';

export function bootConfiguration(file: vscode.Uri): vscode.DebugConfiguration {
  return withDefaults(vscode.workspace.getWorkspaceFolder(file), {
    type: DEBUG_TYPE,
    request: 'launch',
    name: `Boot ${path.basename(file.fsPath)}`,
    program: file.fsPath,
  });
}

export function initialConfigurations(): vscode.DebugConfiguration[] {
  return [
    {
      type: DEBUG_TYPE,
      request: 'launch',
      name: 'Boot the current file',
      program: '${file}',
      cwd: '${workspaceFolder}',
    },
    {
      type: DEBUG_TYPE,
      request: 'launch',
      name: 'Boot the current file, stop at its first instruction',
      program: '${file}',
      cwd: '${workspaceFolder}',
      stopOnEntry: true,
    },
  ];
}

export class BootConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return initialConfigurations();
  }

  resolveDebugConfiguration(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.DebugConfiguration | undefined {
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
      config = empty ? bootConfiguration(file) : { ...config, type: config.type || DEBUG_TYPE, program: file.fsPath };
    }
    return withDefaults(folder, config);
  }
}

/**
 * What VS Code adds to any configuration: the settings (nasm path, backend, memory) the configuration leaves
 * out, the run's folder (the adapter writes .bootvisor/last-run.json
 * there, where the language server looks for it) and COM1 in the integrated terminal rather than mixed into
 * the Debug Console with port 0xE9's output.
 */
function withDefaults(
  folder: vscode.WorkspaceFolder | undefined,
  config: vscode.DebugConfiguration,
): vscode.DebugConfiguration {
  const resolved = { ...config };
  if (resolved.cwd === undefined) {
    const program =
      typeof resolved.program === 'string' && !resolved.program.includes('${')
        ? vscode.Uri.file(resolved.program)
        : undefined;
    const home =
      folder ?? (program && vscode.workspace.getWorkspaceFolder(program)) ?? vscode.workspace.workspaceFolders?.[0];
    if (home) resolved.cwd = home.uri.fsPath;
    else if (program) resolved.cwd = path.dirname(program.fsPath);
  }
  resolved.serial ??= 'terminal';
  return applySettings(resolved, folder);
}
