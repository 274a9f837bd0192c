// The extension's settings (contributes.configuration, section "bootvisor"): defaults a launch configuration
// does not give, and the nasm the language server checks sources with. A launch.json attribute always wins.
import * as vscode from 'vscode';

export const SETTINGS_SECTION = 'bootvisor';

export interface BootvisorSettings {
  /** The nasm executable; empty: $BOOTVISOR_NASM, else `nasm` on PATH. */
  nasmPath: string;
  defaultBackend: 'software' | 'auto' | 'kvm' | 'nvmm';
  /** Guest RAM in MiB. */
  memory: number;
}

export function readSettings(scope?: vscode.ConfigurationScope): BootvisorSettings {
  const c = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  return {
    nasmPath: (c.get<string>('nasmPath') ?? '').trim(),
    defaultBackend: c.get<BootvisorSettings['defaultBackend']>('defaultBackend') ?? 'software',
    memory: c.get<number>('memory') ?? 32,
  };
}

/** The settings as launch attributes, for those the configuration leaves out. */
export function applySettings(config: vscode.DebugConfiguration, scope?: vscode.ConfigurationScope): vscode.DebugConfiguration {
  const s = readSettings(scope);
  const resolved = { ...config };
  if (resolved.assembler === undefined && s.nasmPath) resolved.assembler = s.nasmPath;
  resolved.backend ??= s.defaultBackend;
  resolved.memory ??= s.memory;
  return resolved;
}
