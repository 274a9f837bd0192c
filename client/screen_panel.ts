// The guest screen as a webview panel beside the editor. It shows the frames of whichever Bootvisor session is
// attached, passes the panel's key presses on as scan codes, and runs the toolbar's buttons.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { typeCharacter } from './keyboard_layout';
import { scanCodesFor } from './scancodes';
import { readSettings, SETTINGS_SECTION } from './settings';
import type { ScreenFrameBody } from '../common/dap-protocol';
import type { GuestSession } from './guest_session';
import { saveScreenshot } from './screenshot';
import { nowMs, type KeyTrace } from '../common/key-trace';
import { DirectChannel, type DirectInput } from './direct_channel';

export class ScreenPanel implements vscode.Disposable {
  static readonly viewType = 'bootvisor.screen';
  private panel: vscode.WebviewPanel | undefined;
  private guest: GuestSession | undefined;
  private guestListeners: vscode.Disposable[] = [];
  /** Key messages are sent one after another, so that make and break codes reach the guest in order. */
  private keyQueue: Promise<void> = Promise.resolve();
  /** Keys sent as a typed character (keyboardLayout "characters"): their release was sent with them. */
  private readonly typedKeys = new Set<string>();
  /** The view's own way to the extension, past the workbench (client/direct_channel.ts); none if it failed to open. */
  private direct: DirectChannel | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.OutputChannel,
  ) {}

  get attached(): GuestSession | undefined {
    return this.guest;
  }

  /** Opens the panel (or brings it forward) beside the editor, keeping the focus where it is. */
  show(preserveFocus = true): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const webviewRoot = vscode.Uri.joinPath(this.extensionUri, 'out', 'client', 'webview');
    this.panel = vscode.window.createWebviewPanel(
      ScreenPanel.viewType,
      'Guest screen',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      // Frames keep coming while the panel is hidden behind another tab; rebuilding the page on each reveal would lose them.
      { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [webviewRoot] },
    );
    const panel = this.panel;
    panel.webview.onDidReceiveMessage((message: BvWebviewMessage) => this.onMessage(message));
    const settings = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SETTINGS_SECTION}.screenScale`)) this.postSettings();
    });
    let closed = false;
    panel.onDidDispose(() => {
      closed = true;
      settings.dispose();
      this.direct?.close();
      this.direct = undefined;
      if (this.panel === panel) this.panel = undefined;
    });
    // The page is written once the direct channel listens: its Content-Security-Policy names that one origin.
    void DirectChannel.open({
      input: (message) => this.directInput(message),
      connected: () => this.postFrame(this.guest?.wholeFrame),
      problem: (text) => this.log.appendLine(text),
    }).then(
      (direct) => {
        if (closed) return direct.close();
        this.direct = direct;
        panel.webview.html = this.html(panel.webview, webviewRoot, direct.address);
      },
      (error: unknown) => {
        this.log.appendLine(`direct screen channel: ${String(error)}; the screen uses postMessage alone`);
        if (!closed) panel.webview.html = this.html(panel.webview, webviewRoot, undefined);
      },
    );
  }

  /** Shows this session's screen from now on. */
  attach(guest: GuestSession): void {
    this.guestListeners.forEach((d) => d.dispose());
    this.guest = guest;
    this.guestListeners = [
      guest.onFrame(({ frame, trace }) => this.postFrame(frame, trace)),
      guest.onStateChange(() => this.postState()),
    ];
    this.postState();
    // A new session before its first frame: a dark screen, not the last session's picture.
    this.postFrame(guest.wholeFrame);
  }

  /** Saves what the screen shows now as a PNG; asks where unless given a path. Returns the file written. */
  async screenshot(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const frame = this.guest?.screenFrame;
    if (!frame) {
      void vscode.window.showWarningMessage(
        'Bootvisor: there is no guest screen to save yet. Boot a file first (F5 on a .asm or .img).',
      );
      return undefined;
    }
    return saveScreenshot(frame, target);
  }

  dispose(): void {
    this.guestListeners.forEach((d) => d.dispose());
    this.panel?.dispose();
    this.direct?.close();
  }

  private postFrame(frame: ScreenFrameBody | undefined, trace?: KeyTrace): void {
    if (trace) trace.postAt = nowMs();
    const message = { type: 'screen', frame, trace } satisfies BvScreenMessage;
    // While the view is connected directly every frame goes that way, so that the changes arrive in order.
    if (this.direct?.send(message)) return;
    void this.panel?.webview.postMessage(message);
  }

  private postSettings(): void {
    void this.panel?.webview.postMessage({
      type: 'settings',
      scale: readSettings().screenScale,
    } satisfies BvSettingsMessage);
  }

  private postState(): void {
    const guest = this.guest;
    const message: BvStateMessage = guest
      ? { type: 'state', session: guest.guestState, detail: guest.describe() }
      : { type: 'state', session: 'none', detail: 'No guest running: press F5 on a .asm or .img file' };
    void this.panel?.webview.postMessage(message);
  }

  /** A key or mouse message through the direct channel: false when no live session can take it. */
  private directInput(message: DirectInput): boolean {
    if (!this.panel || !this.guest || this.guest.guestState === 'ended') return false;
    this.onMessage(message);
    return true;
  }

  private onMessage(message: BvWebviewMessage): void {
    const guest = this.guest;
    switch (message.type) {
      case 'ready':
        // The page was (re)built: give it the state and the last frame it missed.
        this.postState();
        this.postSettings();
        if (guest?.wholeFrame) this.postFrame(guest.wholeFrame);
        else guest?.refreshScreen();
        return;
      case 'resync':
        // The view could not apply a change (it missed the frame it builds on): start it again from the whole screen.
        this.postFrame(guest?.wholeFrame);
        return;
      case 'key': {
        if (!message.down && this.typedKeys.delete(message.code)) return;
        const typed =
          message.down && message.key?.length === 1 && readSettings().keyboardLayout === 'characters'
            ? typeCharacter(message.key, message.shift ?? false)
            : undefined;
        if (typed) this.typedKeys.add(message.code);
        const codes = typed ?? scanCodesFor(message.code, message.down);
        if (!guest || !codes) return;
        if (message.down) guest.noteKey(message.t);
        this.keyQueue = this.keyQueue
          .then(() => guest.sendScanCodes(codes))
          .catch((error: unknown) =>
            this.log.appendLine(`keys ${codes.map((c) => c.toString(16)).join(' ')}: ${String(error)}`),
          );
        return;
      }
      case 'mouse':
        if (!guest) return;
        // In the keys' queue: a click and the key pressed after it reach the guest in that order.
        this.keyQueue = this.keyQueue
          .then(() => guest.sendMouse(message.dx, message.dy, message.buttons))
          .catch((error: unknown) => this.log.appendLine(`mouse: ${String(error)}`));
        return;
      case 'pause':
        void guest?.pause().catch((error: unknown) => this.report('pause', error));
        return;
      case 'resume':
        void guest?.resume().catch((error: unknown) => this.report('resume', error));
        return;
      case 'reset':
        void guest?.reset().catch((error: unknown) => this.report('reset', error));
        return;
      case 'screenshot':
        void this.screenshot();
        return;
    }
  }

  private report(what: string, error: unknown): void {
    const text = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(`Bootvisor: ${what} failed: ${text}`);
  }

  private html(webview: vscode.Webview, root: vscode.Uri, direct: { url: string; token: string } | undefined): string {
    const script = webview.asWebviewUri(vscode.Uri.joinPath(root, 'screen.js'));
    const nonce = randomBytes(16).toString('base64url');
    const connect = direct ? ` connect-src ${direct.url};` : '';
    const directAttributes = direct ? ` data-direct-url="${direct.url}" data-direct-token="${direct.token}"` : '';
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${webview.cspSource} data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';${connect}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Guest screen</title>
<style nonce="${nonce}">
  html, body { height: 100%; margin: 0; padding: 0; overflow: hidden; }
  body { display: flex; flex-direction: column; background: var(--vscode-editor-background); color: var(--vscode-foreground);
         font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
  #toolbar { display: flex; gap: 6px; align-items: center; padding: 4px 8px; border-bottom: 1px solid var(--vscode-panel-border); }
  #toolbar button { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground);
                    border: none; padding: 3px 10px; cursor: pointer; }
  #toolbar button:hover:not(:disabled) { background: var(--vscode-button-secondaryHoverBackground); }
  #toolbar button:disabled { opacity: 0.5; cursor: default; }
  #toolbar button[aria-pressed="true"] { background: var(--vscode-button-background); color: var(--vscode-button-foreground); }
  body[data-grabbed="true"] #screen:focus { box-shadow: 0 0 0 2px var(--vscode-inputValidation-warningBorder, #b89500); }
  #detail { margin-left: auto; opacity: 0.8; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  #stage { flex: 1; display: flex; align-items: center; justify-content: center; min-height: 0; padding: 8px; position: relative; }
  #stage.zoomed { overflow: auto; align-items: flex-start; justify-content: flex-start; }
  /* Nearest-neighbour scaling: a 320x200 guest pixel stays a crisp block, not a blur. */
  #screen { image-rendering: pixelated; image-rendering: crisp-edges; background: #000; outline: none; }
  #screen.shrunk { image-rendering: auto; }
  #screen:focus { box-shadow: 0 0 0 2px var(--vscode-focusBorder); }
  #hint { position: absolute; bottom: 10px; opacity: 0.7; font-size: 90%; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: pre; }
</style>
</head>
<body data-session="none"${directAttributes}>
<div id="toolbar" role="toolbar" aria-label="Guest controls">
  <button id="pause" disabled>Pause</button>
  <button id="reset" disabled title="Reset the guest (as the reset button of a PC)">Reset</button>
  <button id="screenshot" title="Save the screen as a PNG">Screenshot</button>
  <button id="grab" aria-pressed="false" title="Send every key to the guest, Ctrl and Alt chords too (Ctrl+Alt+G)">Grab keys</button>
  <span id="detail"></span>
</div>
<div id="stage">
  <canvas id="screen" width="720" height="400" tabindex="0" aria-label="Guest screen: click here and type to send keys to the guest"></canvas>
  <div id="hint">Click the screen to type into the guest</div>
  <pre id="screen-text" class="sr-only" aria-live="off"></pre>
</div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }
}
