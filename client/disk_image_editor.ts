// A read-only view of a disk image (.img, .ima, .flp). Without it a binary file opens in VS Code's binary
// placeholder, which has no language, so F5 shows the "Select debugger" picker. With it the tab is a custom
// editor whose id a keybinding can match (activeCustomEditorId), so F5 boots the image directly.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const DISK_IMAGE_VIEW_TYPE = 'bootvisor.diskImage';

/** Standard PC floppy formats, by size: the BIOS's view of them decides DL and the CHS the guest sees. */
const FLOPPIES: { bytes: number; name: string; cylinders: number; heads: number; sectors: number }[] = [
  { bytes: 163_840, name: '160 KB 5¼″', cylinders: 40, heads: 1, sectors: 8 },
  { bytes: 184_320, name: '180 KB 5¼″', cylinders: 40, heads: 1, sectors: 9 },
  { bytes: 327_680, name: '320 KB 5¼″', cylinders: 40, heads: 2, sectors: 8 },
  { bytes: 368_640, name: '360 KB 5¼″', cylinders: 40, heads: 2, sectors: 9 },
  { bytes: 737_280, name: '720 KB 3½″', cylinders: 80, heads: 2, sectors: 9 },
  { bytes: 1_228_800, name: '1.2 MB 5¼″', cylinders: 80, heads: 2, sectors: 15 },
  { bytes: 1_474_560, name: '1.44 MB 3½″', cylinders: 80, heads: 2, sectors: 18 },
  { bytes: 2_949_120, name: '2.88 MB 3½″', cylinders: 80, heads: 2, sectors: 36 },
];

export interface DiskImageFacts {
  bytes: number;
  /** A human-readable guess of the medium and its geometry. */
  geometry: string;
  /** Whether the first sector ends in 0x55 0xAA, which the BIOS requires to boot it. */
  signature: boolean;
}

export function diskImageFacts(file: string): DiskImageFacts {
  const bytes = fs.statSync(file).size;
  const head = Buffer.alloc(512);
  const fd = fs.openSync(file, 'r');
  let read = 0;
  try {
    read = fs.readSync(fd, head, 0, 512, 0);
  } finally {
    fs.closeSync(fd);
  }
  const signature = read === 512 && head[510] === 0x55 && head[511] === 0xaa;
  const floppy = FLOPPIES.find((f) => f.bytes === bytes);
  let geometry: string;
  if (floppy) {
    geometry = `floppy, ${floppy.name} (${floppy.cylinders} cylinders × ${floppy.heads} heads × ${floppy.sectors} sectors), boots as drive 0x00`;
  } else if (bytes <= 512) {
    geometry = 'a lone boot sector, boots as floppy drive 0x00';
  } else {
    const sectors = Math.ceil(bytes / 512);
    const cylinders = Math.ceil(sectors / (16 * 63));
    geometry = `hard disk, ${sectors} sectors (about ${cylinders} cylinders × 16 heads × 63 sectors), boots as drive 0x80`;
  }
  return { bytes, geometry, signature };
}

export class DiskImageEditorProvider implements vscode.CustomReadonlyEditorProvider {
  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    panel.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [] };
    panel.webview.html = this.html(document.uri);
    panel.webview.onDidReceiveMessage((message: { type?: string }) => {
      if (message?.type === 'boot') void vscode.commands.executeCommand('bootvisor.bootFile', document.uri);
    });
  }

  private html(uri: vscode.Uri): string {
    const name = escapeHtml(path.basename(uri.fsPath));
    let body: string;
    try {
      const facts = diskImageFacts(uri.fsPath);
      const signature = facts.signature
        ? 'present (0x55 0xAA ends the first sector)'
        : 'missing: the BIOS will not boot it. End the boot sector with <code>dw 0xaa55</code> at offset 510.';
      body = `<table>
<tr><th>Size</th><td>${facts.bytes.toLocaleString('en-US')} bytes</td></tr>
<tr><th>Medium</th><td>${escapeHtml(facts.geometry)}</td></tr>
<tr><th>Boot signature</th><td>${signature}</td></tr>
</table>`;
    } catch (error) {
      body = `<p>Cannot read this image: ${escapeHtml(error instanceof Error ? error.message : String(error))}</p>`;
    }
    const nonce = [...Array(24)].map(() => Math.floor(Math.random() * 36).toString(36)).join('');
    return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 1em 2em; }
th { text-align: left; padding-right: 2em; font-weight: normal; color: var(--vscode-descriptionForeground); }
td, th { padding-top: .3em; padding-bottom: .3em; }
button { margin-top: 1.5em; padding: .4em 1.2em; color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; cursor: pointer; }
button:hover { background: var(--vscode-button-hoverBackground); }
</style></head>
<body>
<h2>Disk image ${name}</h2>
${body}
<button id="boot">Boot (F5)</button>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
document.getElementById('boot').addEventListener('click', () => vscode.postMessage({ type: 'boot' }));
</script>
</body></html>`;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
