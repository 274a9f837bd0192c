// The memory view (Bootvisor: Show memory): a webview beside the editor with hex and ASCII, which follows an
// address expression (`ds:si`, `esp`, a label) at every stop, marks the bytes that changed since the previous
// stop, and writes a byte typed over a hex cell. It needs no other extension (the Hex Editor may not be
// installable: offline machines, code-server). The model is memory_dump.ts; this file is the view.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { GuestSession } from './guest_session';
import { MemoryDump, renderRows } from './memory_dump';

/** Webview to host. */
type MemoryViewMessage =
  | { type: 'ready' }
  | { type: 'show'; expression: string }
  | { type: 'scroll'; lines: number }
  | { type: 'write'; address: number; text: string };

export class MemoryPanel implements vscode.Disposable {
  static readonly viewType = 'bootvisor.memory';
  private panel: vscode.WebviewPanel | undefined;
  private guest: GuestSession | undefined;
  private dump: MemoryDump | undefined;
  private listener: vscode.Disposable | undefined;
  private wasPaused = false;

  /** Opens the view (or brings it forward) on this session, at `expression` when given. */
  async show(guest: GuestSession | undefined, expression?: string): Promise<void> {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(
        MemoryPanel.viewType,
        'Guest memory',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
        { enableScripts: true, retainContextWhenHidden: true },
      );
      this.panel.webview.html = this.html();
      this.panel.webview.onDidReceiveMessage((m: MemoryViewMessage) => void this.onMessage(m));
      this.panel.onDidDispose(() => {
        this.panel = undefined;
        this.listener?.dispose();
      });
    } else this.panel.reveal(undefined, false);
    if (guest && guest !== this.guest) this.attach(guest);
    if (expression && this.dump) await this.run(() => this.dump!.show(expression));
    else this.post();
  }

  private attach(guest: GuestSession): void {
    this.listener?.dispose();
    this.guest = guest;
    this.dump = new MemoryDump(guest.session);
    this.wasPaused = guest.guestState === 'paused';
    // Every stop: follow the expression and mark what changed since the previous stop.
    this.listener = guest.onStateChange(() => {
      const paused = guest.guestState === 'paused';
      if (paused && !this.wasPaused) void this.run(() => this.dump!.stopped());
      this.wasPaused = paused;
      if (!paused) this.post();
    });
    if (this.wasPaused) void this.run(() => this.dump!.stopped());
  }

  private async onMessage(m: MemoryViewMessage): Promise<void> {
    const dump = this.dump;
    if (m.type === 'ready') return this.post();
    if (!dump || this.guest?.guestState !== 'paused') {
      this.post('Pause the guest to look at its memory.');
      return;
    }
    if (m.type === 'show') await this.run(() => dump.show(m.expression));
    else if (m.type === 'scroll') await this.run(() => dump.scroll(m.lines));
    else if (m.type === 'write') {
      const value = /^[0-9a-f]{1,2}$/i.test(m.text.trim()) ? parseInt(m.text.trim(), 16) : NaN;
      if (Number.isNaN(value)) return this.post(`"${m.text}" is not a byte: type two hex digits (00-FF).`);
      await this.run(() => dump.write(m.address, value));
    }
  }

  private async run(action: () => Promise<void>): Promise<void> {
    let problem: string | undefined;
    try {
      await action();
    } catch (e) {
      problem = e instanceof Error ? e.message : String(e);
    }
    this.post(problem);
  }

  private post(problem?: string): void {
    const dump = this.dump;
    const state = this.guest?.guestState;
    const status = problem ?? dump?.problem ?? '';
    void this.panel?.webview.postMessage({
      type: 'render',
      expression: dump?.expression ?? '',
      rows: dump && state === 'paused' ? renderRows(dump.rows(), dump.target) : '',
      status: !this.guest
        ? 'No guest: start a Bootvisor debug session.'
        : state === 'paused'
          ? status || `${dump!.expression} = 0x${dump!.target.toString(16).toUpperCase()}`
          : state === 'ended'
            ? 'The session has ended.'
            : 'Running: the view updates when the guest stops.',
    });
  }

  dispose(): void {
    this.listener?.dispose();
    this.panel?.dispose();
  }

  private html(): string {
    const nonce = randomBytes(16).toString('base64url');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<title>Guest memory</title>
<style nonce="${nonce}">
  body { color: var(--vscode-foreground); background: var(--vscode-editor-background); font-family: var(--vscode-font-family); }
  #bar { display: flex; gap: 6px; align-items: center; padding: 4px 0 8px; }
  #bar input { flex: 0 1 16em; background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-input-border, transparent); padding: 2px 4px; }
  #bar button { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); border: none; padding: 3px 8px; cursor: pointer; }
  #status { opacity: 0.8; }
  table { border-collapse: collapse; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
  th { font-weight: normal; opacity: 0.7; padding-right: 1em; text-align: left; }
  td.b { padding: 0 3px; cursor: text; }
  td.b:nth-child(9) { padding-right: 10px; }
  td.ascii { padding-left: 1em; white-space: pre; }
  .changed { color: var(--vscode-debugTokenExpression-error, #f48771); font-weight: bold; }
  .target { outline: 1px solid var(--vscode-focusBorder); }
  .unreadable { opacity: 0.5; }
  td[contenteditable="true"] { background: var(--vscode-input-background); outline: 1px solid var(--vscode-focusBorder); }
</style>
</head>
<body>
<div id="bar">
  <label for="expr">Address</label>
  <input id="expr" placeholder="ds:si, esp, a label, 0x7c00" aria-label="Address expression, followed at every stop">
  <button id="go">Go</button>
  <button id="up" title="Up 256 bytes" aria-label="Up 256 bytes">&#9650;</button>
  <button id="down" title="Down 256 bytes" aria-label="Down 256 bytes">&#9660;</button>
  <span id="status" role="status"></span>
</div>
<table id="dump" aria-label="Guest memory: click a byte to change it"></table>
<script nonce="${nonce}">
(() => {
  const vscode = acquireVsCodeApi();
  const expr = document.getElementById('expr');
  const dump = document.getElementById('dump');
  const status = document.getElementById('status');
  document.getElementById('go').onclick = () => vscode.postMessage({ type: 'show', expression: expr.value });
  document.getElementById('up').onclick = () => vscode.postMessage({ type: 'scroll', lines: -16 });
  document.getElementById('down').onclick = () => vscode.postMessage({ type: 'scroll', lines: 16 });
  expr.addEventListener('keydown', (e) => { if (e.key === 'Enter') vscode.postMessage({ type: 'show', expression: expr.value }); });
  // A byte is edited where it is: the cell becomes editable; Enter writes it, Escape gives up.
  dump.addEventListener('click', (e) => {
    const cell = e.target.closest('td[data-a]');
    if (!cell || cell.isContentEditable) return;
    cell.dataset.old = cell.textContent;
    cell.contentEditable = 'true';
    cell.focus();
    document.getSelection().selectAllChildren(cell);
  });
  dump.addEventListener('keydown', (e) => {
    const cell = e.target.closest('td[data-a]');
    if (!cell || !cell.isContentEditable) return;
    if (e.key === 'Enter') {
      e.preventDefault();
      cell.contentEditable = 'false';
      vscode.postMessage({ type: 'write', address: Number(cell.dataset.a), text: cell.textContent });
    } else if (e.key === 'Escape') {
      cell.contentEditable = 'false';
      cell.textContent = cell.dataset.old;
    }
  });
  window.addEventListener('message', (event) => {
    const m = event.data;
    if (m.type !== 'render') return;
    if (document.activeElement !== expr) expr.value = m.expression;
    dump.innerHTML = m.rows;
    status.textContent = m.status;
  });
  vscode.postMessage({ type: 'ready' });
})();
</script>
</body>
</html>`;
  }
}

/** The expression a command argument names: a string, or a Variables-view item (a register as seg:reg, so the view follows it). */
export function memoryExpressionOf(target: unknown): string | undefined {
  if (typeof target === 'string' && target.trim()) return target.trim();
  const variable = (
    target as { variable?: { name?: string; evaluateName?: string; memoryReference?: string } } | undefined
  )?.variable;
  if (!variable) return undefined;
  const name = (variable.name ?? '').toLowerCase();
  if (/^e?(ax|bx|cx|dx|si|di)$/.test(name)) return `ds:${name}`;
  if (/^e?(sp|bp)$/.test(name)) return `ss:${name}`;
  if (/^e?ip$/.test(name)) return `cs:${name}`;
  return variable.evaluateName ?? variable.memoryReference;
}
