// The debug adapter runs as a process of its own: the VMM is native code, and a crash in it must end the
// session, not the extension host with every other extension in it. The extension owns that process
// (client/adapter_process.ts), so that its own requests and the events only it reads need not go through
// the workbench.
import * as vscode from 'vscode';
import { AdapterProcess } from './adapter_process';
import { nodeRuntime } from './entry_points';

export class AdapterProcessFactory implements vscode.DebugAdapterDescriptorFactory {
  private readonly adapters = new Map<string, AdapterProcess>();

  constructor(
    private readonly adapterMain: string,
    private readonly log: vscode.OutputChannel,
    /** A session's adapter process was started. */
    private readonly started: (session: vscode.DebugSession, adapter: AdapterProcess) => void,
  ) {}

  /** The adapter process of a live session (none when VS Code connects to a debugServer port instead). */
  adapterOf(sessionId: string): AdapterProcess | undefined {
    return this.adapters.get(sessionId);
  }

  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.DebugAdapterDescriptor {
    const runtime = nodeRuntime();
    const adapter = new AdapterProcess(
      runtime.command,
      [this.adapterMain],
      { ...process.env, ...runtime.env },
      this.log,
      () => this.adapters.get(session.id) === adapter && this.adapters.delete(session.id),
    );
    this.adapters.set(session.id, adapter);
    this.started(session, adapter);
    return new vscode.DebugAdapterInlineImplementation(adapter);
  }
}
