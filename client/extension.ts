// The extension's entry: starts the language server, registers the debugger's helpers, and connects each
// Bootvisor debug session to the guest screen, the serial terminal and the status bar. It only starts
// processes and draws; the VM lives in the debug adapter's process.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  SCREEN_CHANGED_EVENT,
  SCREEN_FRAME_EVENT,
  SERIAL_EVENT,
  STATUS_EVENT,
  type ScreenFrameEventBody,
  type SerialEventBody,
  type StatusEventBody,
} from '../common/dap-protocol';
import { activeFile, isBootable } from './active_file';
import { AdapterProcessFactory } from './debug_adapter_factory';
import { BootConfigurationProvider, DEBUG_TYPE, bootConfiguration } from './debug_configuration';
import { DISK_IMAGE_VIEW_TYPE, DiskImageEditorProvider } from './disk_image_editor';
import { entryPoints } from './entry_points';
import { forwardDebugState } from './debug_state';
import { GuestSession } from './guest_session';
import { HeadlessRunTasks, TASK_TYPE } from './headless_task';
import { startLanguageClient } from './language_client';
import { openListing } from './open_listing';
import { newBootSector } from './new_boot_sector';
import { MemoryPanel, memoryExpressionOf } from './memory_panel';
import { ScreenPanel } from './screen_panel';
import { SerialTerminal } from './serial_terminal';
import { StatusBar } from './status_bar';

let languageClient: LanguageClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Bootvisor');
  const entries = entryPoints(context.extensionPath);
  const screen = new ScreenPanel(context.extensionUri, log);
  const memory = new MemoryPanel();
  const statusBar = new StatusBar();
  const tasks = new HeadlessRunTasks(entries.cli);
  const guests = new Map<string, { guest: GuestSession; serial: SerialTerminal; listeners: vscode.Disposable[] }>();
  /** The serial terminal of the last session that ended: kept for reading until the next session starts. */
  let endedSerial: SerialTerminal | undefined;
  // The server runs nasm on the files it checks: not in a folder the user has not trusted (Restricted Mode).
  const startServer = () => {
    languageClient = fs.existsSync(entries.languageServer)
      ? startLanguageClient(entries.languageServer, log)
      : undefined;
    if (!languageClient)
      log.appendLine(`No language server at ${entries.languageServer}: NASM diagnostics and hovers are off.`);
  };
  if (vscode.workspace.isTrusted) startServer();
  else {
    log.appendLine('Restricted Mode: the language server (which runs nasm) starts once the folder is trusted.');
    context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(startServer));
  }

  const guestOf = (session: vscode.DebugSession | undefined): GuestSession | undefined =>
    session ? guests.get(session.id)?.guest : undefined;
  /** The session a command means: the focused one if it is ours, else the last one started. */
  const currentGuest = (): GuestSession | undefined => guestOf(vscode.debug.activeDebugSession) ?? screen.attached;

  /** The adapter's events the extension reads itself: true when it took this one. */
  const customEvent = (sessionId: string, event: string, body: unknown): boolean => {
    const entry = guests.get(sessionId);
    if (!entry) return false;
    switch (event) {
      case SCREEN_CHANGED_EVENT:
        entry.guest.onScreenChanged();
        return true;
      case SCREEN_FRAME_EVENT:
        entry.guest.onPushedFrame(body as ScreenFrameEventBody);
        return true;
      case SERIAL_EVENT:
        entry.serial.write(Buffer.from((body as SerialEventBody).data, 'base64'));
        return true;
      case STATUS_EVENT:
        entry.guest.onStatus(body as StatusEventBody);
        return true;
    }
    return false;
  };
  const adapters = new AdapterProcessFactory(entries.debugAdapter, log, (session, adapter) => {
    startGuest(session);
    adapter.takeEvents((event, body) => customEvent(session.id, event, body));
  });

  const fileArgument = (uri: unknown): vscode.Uri | undefined => (uri instanceof vscode.Uri ? uri : activeFile());

  /** A new Bootvisor session: its guest screen, serial terminal, status and registers for the server. */
  const startGuest = (session: vscode.DebugSession): GuestSession => {
    const existing = guests.get(session.id);
    if (existing) return existing.guest;
    const guest = new GuestSession(session, () => adapters.adapterOf(session.id));
    const serial = new SerialTerminal(guest, `COM1: ${session.name}`);
    const listeners = languageClient ? [forwardDebugState(guest, languageClient)] : [];
    guests.set(session.id, { guest, serial, listeners });
    endedSerial?.dispose();
    endedSerial = undefined;
    screen.show(true);
    screen.attach(guest);
    statusBar.attach(guest);
    return guest;
  };

  context.subscriptions.push(
    log,
    screen,
    memory,
    statusBar,
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new BootConfigurationProvider()),
    ...registerAdapter(context, adapters, log),
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
      // The tracker exists before the adapter's first message, unlike onDidStartDebugSession, which can come
      // after the guest already stopped at a breakpoint: so the session's state is followed from here.
      createDebugAdapterTracker: (session) => {
        const guest = startGuest(session);
        return {
          onDidSendMessage: (message) => guest.onAdapterMessage(message),
          onError: (error) => log.appendLine(`debug adapter: ${error.message}`),
          onExit: (code, signal) => {
            if (code || signal) log.appendLine(`debug adapter exited (code ${code ?? '-'}, signal ${signal ?? '-'})`);
          },
        };
      },
    }),
    vscode.tasks.registerTaskProvider(TASK_TYPE, tasks),

    vscode.debug.onDidTerminateDebugSession((session) => {
      const entry = guests.get(session.id);
      if (!entry) return;
      entry.guest.ended();
      entry.serial.ended();
      entry.listeners.forEach((d) => d.dispose());
      guests.delete(session.id);
      endedSerial?.dispose();
      endedSerial = entry.serial;
      // The screen keeps showing the last frame; the guest object is dropped when another session attaches.
    }),
    // Custom events come straight from the adapter process (adapters' started callback above); through VS Code
    // only when VS Code connected to an adapter of its own (a debugServer port).
    vscode.debug.onDidReceiveDebugSessionCustomEvent((event) => customEvent(event.session.id, event.event, event.body)),

    // A disk image opens in Bootvisor's view rather than the binary placeholder, so F5 (bound to that view's
    // id) boots it instead of asking which debugger to use.
    vscode.window.registerCustomEditorProvider(DISK_IMAGE_VIEW_TYPE, new DiskImageEditorProvider()),
    vscode.commands.registerCommand('bootvisor.bootFile', async (uri?: unknown) => {
      const file = fileArgument(uri);
      if (!file || !isBootable(file)) {
        void vscode.window.showErrorMessage('Bootvisor: open a NASM source (.asm) or a disk image (.img) to boot it.');
        return false;
      }
      return vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(file), bootConfiguration(file));
    }),
    vscode.commands.registerCommand('bootvisor.newBootSector', () => newBootSector()),
    vscode.commands.registerCommand('bootvisor.showScreen', () => {
      screen.show(false);
      const guest = currentGuest();
      if (guest) screen.attach(guest);
    }),
    vscode.commands.registerCommand('bootvisor.showMemory', async (target?: unknown) => {
      // From the Variables view's context menu: the variable; from the palette: ask (or a string from a test).
      let expression = memoryExpressionOf(target);
      if (expression === undefined) {
        expression = await vscode.window.showInputBox({
          title: 'Bootvisor: show memory at',
          prompt: 'An address the view follows at every stop: ds:si, es:di, esp, a label, 0x7c00',
          value: 'ds:si',
        });
        if (expression === undefined) return;
      }
      await memory.show(currentGuest(), expression);
    }),
    // The "Go to file:line" button of a launch that nasm refused (debug-adapter/launch-failure.ts).
    vscode.commands.registerCommand('bootvisor.openSourceLine', async (file?: unknown, line?: unknown) => {
      if (typeof file !== 'string') return;
      const at = Math.max(0, (typeof line === 'number' ? line : 1) - 1);
      await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(at, 0, at, 0) });
    }),
    vscode.commands.registerCommand('bootvisor.showSerial', () => {
      const session = vscode.debug.activeDebugSession;
      const entry = session ? guests.get(session.id) : [...guests.values()].pop();
      if (entry) entry.serial.show(false);
      else
        void vscode.window.showInformationMessage(
          'Bootvisor: no guest is running; press F5 on a .asm or .img file first.',
        );
    }),
    vscode.commands.registerCommand('bootvisor.screenshot', async (target?: unknown) => {
      const uri =
        target instanceof vscode.Uri ? target : typeof target === 'string' ? vscode.Uri.file(target) : undefined;
      return (await screen.screenshot(uri))?.fsPath;
    }),
    vscode.commands.registerCommand('bootvisor.openListing', (address?: unknown) => {
      const session =
        vscode.debug.activeDebugSession?.type === DEBUG_TYPE ? vscode.debug.activeDebugSession : undefined;
      return openListing(session, typeof address === 'string' || typeof address === 'number' ? address : undefined);
    }),
    vscode.commands.registerCommand('bootvisor.runHeadless', async (uri?: unknown) => {
      const file = fileArgument(uri);
      if (!file || !isBootable(file)) {
        void vscode.window.showErrorMessage(
          'Bootvisor: open a NASM source (.asm) or a disk image (.img) to run it headless.',
        );
        return;
      }
      await vscode.tasks.executeTask(tasks.taskFor(file));
    }),
  );
}

/** The adapter's process factory; VS Code refuses it unless the manifest contributes the debugger. */
function registerAdapter(
  context: vscode.ExtensionContext,
  factory: AdapterProcessFactory,
  log: vscode.OutputChannel,
): vscode.Disposable[] {
  const debuggers = (context.extension.packageJSON as { contributes?: { debuggers?: { type?: string }[] } }).contributes
    ?.debuggers;
  if (!debuggers?.some((d) => d.type === DEBUG_TYPE)) {
    log.appendLine(`This build's package.json contributes no '${DEBUG_TYPE}' debugger: F5 cannot boot anything.`);
    return [];
  }
  return [vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, factory)];
}

export function deactivate(): Thenable<void> | undefined {
  return languageClient?.stop();
}
