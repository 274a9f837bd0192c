// COM1 as an integrated terminal: what the guest sends appears here, and what the user types goes to the
// guest's serial receiver. Bytes are shown as Latin-1, the way a serial console shows 8-bit data.
import * as vscode from 'vscode';
import type { GuestSession } from './guest_session';

export class SerialTerminal implements vscode.Pseudoterminal, vscode.Disposable {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  private opened = false;
  /** Output that arrived before VS Code opened the terminal. */
  private pending = '';
  private terminal: vscode.Terminal | undefined;
  /** Whether the last byte written was a CR, so a CR LF pair is not turned into CR CR LF. */
  private lastWasCr = false;

  constructor(
    private readonly guest: GuestSession,
    private readonly name: string,
  ) {}

  open(): void {
    this.opened = true;
    if (this.pending) this.writeEmitter.fire(this.pending);
    this.pending = '';
  }

  close(): void {
    this.terminal = undefined;
    this.opened = false;
  }

  /** What the user types: sent as it is, byte for byte (Enter arrives as CR, as from a real terminal). */
  handleInput(data: string): void {
    void this.guest.sendSerial(Buffer.from(data, 'latin1')).catch(() => undefined);
  }

  /** Guest output. The terminal appears (without taking the focus) the first time there is something to show. */
  write(bytes: Uint8Array): void {
    let text = '';
    for (const byte of bytes) {
      if (byte === 0x0a && !this.lastWasCr) text += '\r';
      text += String.fromCharCode(byte);
      this.lastWasCr = byte === 0x0d;
    }
    if (this.opened) this.writeEmitter.fire(text);
    else this.pending += text;
    if (!this.terminal) this.show(true);
  }

  show(preserveFocus: boolean): void {
    this.terminal ??= vscode.window.createTerminal({
      name: this.name,
      pty: this,
      iconPath: new vscode.ThemeIcon('plug'),
    });
    this.terminal.show(preserveFocus);
  }

  /** The session ended: say so in the terminal, which stays open for reading. */
  ended(): void {
    const note = '\r\n\x1b[2m[session ended]\x1b[0m\r\n';
    if (this.opened) this.writeEmitter.fire(note);
  }

  dispose(): void {
    this.terminal?.dispose();
    this.writeEmitter.dispose();
  }
}
