// The debug adapter runs as a process of its own: the VMM is native code, and a crash in it must end the
// session, not the extension host with every other extension in it.
import * as vscode from 'vscode';
import { nodeRuntime } from './entry_points';

export class AdapterProcessFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly adapterMain: string) {}

  createDebugAdapterDescriptor(): vscode.DebugAdapterDescriptor {
    const runtime = nodeRuntime();
    return new vscode.DebugAdapterExecutable(runtime.command, [this.adapterMain], {
      env: { ...(process.env as Record<string, string>), ...runtime.env },
    });
  }
}
