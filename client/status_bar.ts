// The status bar item: which backend runs the guest (software, kvm or nvmm) and how fast, from the adapter's
// bootvisor/status events. Clicking it brings the guest screen forward.
import * as vscode from 'vscode';
import { formatSpeed, type GuestSession } from './guest_session';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('bootvisor.status', vscode.StatusBarAlignment.Left, 10);
  private listener: vscode.Disposable | undefined;

  constructor() {
    this.item.name = 'Bootvisor';
    this.item.command = 'bootvisor.showScreen';
  }

  attach(guest: GuestSession): void {
    this.listener?.dispose();
    this.listener = guest.onStateChange(() => this.update(guest));
    this.update(guest);
  }

  private update(guest: GuestSession): void {
    const status = guest.backendStatus;
    const state = guest.guestState;
    if (state === 'ended') {
      this.item.hide();
      return;
    }
    const backend = status?.backend ?? '…';
    const speed = state === 'paused' ? 'paused' : status ? formatSpeed(status.instructionsPerSecond) : 'starting';
    // Paced to a PC's speed, a host that falls behind makes games run slow: say so, plainly.
    const behind = state === 'running' && status?.keepingUp === false;
    this.item.text = behind ? `$(warning) ${backend} · ${speed} · slower than a PC` : `$(vm) ${backend} · ${speed}`;
    this.item.backgroundColor = behind ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.tooltip =
      `Bootvisor: ${guest.describe()}` +
      (behind ? "\nThis host cannot keep the guest at a PC's pace: its clock runs slower than a real PC's." : '') +
      '\nClick to show the guest screen';
    this.item.accessibilityInformation = {
      label: `Bootvisor ${backend} backend, ${speed}${behind ? ', slower than a PC' : ''}`,
    };
    this.item.show();
  }

  dispose(): void {
    this.listener?.dispose();
    this.item.dispose();
  }
}
