// The file F5 or "Boot this file" means: the active editor's, or, for a disk image (binary, so it has no
// text editor), the active tab's.
import * as path from 'node:path';
import * as vscode from 'vscode';

export const BOOTABLE_EXTENSIONS = ['.asm', '.nasm', '.img', '.bin', '.ima', '.flp'];

export function isBootable(uri: vscode.Uri): boolean {
  return uri.scheme === 'file' && BOOTABLE_EXTENSIONS.includes(path.extname(uri.fsPath).toLowerCase());
}

export function activeFile(): vscode.Uri | undefined {
  const editor = vscode.window.activeTextEditor;
  if (editor && editor.document.uri.scheme === 'file') return editor.document.uri;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) return input.uri;
  return undefined;
}
