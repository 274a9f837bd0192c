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
  clock: 'paced' | 'fast' | 'real';
  /** The guest screen's size: 'fit' the panel, or a fixed zoom of 1 to 4. */
  screenScale: 'fit' | 1 | 2 | 3 | 4;
  /** 'physical': scan codes by key position; 'characters': printable keys as the US key typing the same character. */
  keyboardLayout: 'physical' | 'characters';
}

export function readSettings(scope?: vscode.ConfigurationScope): BootvisorSettings {
  const c = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  return {
    nasmPath: (c.get<string>('nasmPath') ?? '').trim(),
    defaultBackend: c.get<BootvisorSettings['defaultBackend']>('defaultBackend') ?? 'software',
    memory: c.get<number>('memory') ?? 32,
    clock: c.get<BootvisorSettings['clock']>('clock') ?? 'paced',
    screenScale: screenScale(c.get<string>('screenScale')),
    keyboardLayout: c.get<string>('keyboardLayout') === 'characters' ? 'characters' : 'physical',
  };
}

function screenScale(value: string | undefined): BootvisorSettings['screenScale'] {
  const n = Number(value);
  return n === 1 || n === 2 || n === 3 || n === 4 ? n : 'fit';
}

/** The settings as launch attributes, for those the configuration leaves out. */
export function applySettings(
  config: vscode.DebugConfiguration,
  scope?: vscode.ConfigurationScope,
): vscode.DebugConfiguration {
  const s = readSettings(scope);
  const resolved = { ...config };
  if (resolved.assembler === undefined && s.nasmPath) resolved.assembler = s.nasmPath;
  resolved.backend ??= s.defaultBackend;
  resolved.memory ??= s.memory;
  resolved.clock ??= s.clock;
  return resolved;
}
