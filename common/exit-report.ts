// The report a run leaves behind (`bootvisor run --report`, and every debug session): the language server
// reads it to put VM exits and faults on the source lines they came from.
import type { FaultStep, StopEvent } from './api';

export const EXIT_REPORT_VERSION = 1;
/** Where runs inside a workspace write their report, and where the language server looks for it. */
export const WORKSPACE_REPORT_PATH = '.bootvisor/last-run.json';

export interface SourceLocation {
  file: string;
  /** 1-based */
  line: number;
}

export type ExitKind =
  | 'triple-fault'
  | 'exception'
  | 'invalid-opcode'
  | 'hlt-cli'
  | 'unhandled-port'
  | 'unmapped-memory'
  | 'stack-overflow'
  /** A BIOS disk call (INT 13h) that failed: the message says which call, why, and what to try. */
  | 'disk-error';

export type ExitSeverity = 'error' | 'warning' | 'information';

/**
 * How much each kind of exit matters, for every report writer and reader (the CLI, the debug adapter, the
 * language server's Problems entries). Errors end the guest against its will; warnings are what a working
 * guest should not do (the run went on); HLT with interrupts off is how most boot sectors end on purpose.
 */
export const EXIT_SEVERITY: Readonly<Record<ExitKind, ExitSeverity>> = {
  'triple-fault': 'error',
  exception: 'error',
  'invalid-opcode': 'error',
  'hlt-cli': 'information',
  'unhandled-port': 'warning',
  'unmapped-memory': 'warning',
  'stack-overflow': 'warning',
  'disk-error': 'warning',
};

export interface ExitRecord {
  kind: ExitKind;
  severity: ExitSeverity;
  message: string;
  linear: number;
  cs: number;
  eip: number;
  source?: SourceLocation;
  chain?: (FaultStep & { source?: SourceLocation })[];
  port?: number;
  address?: number;
  /** How many times it happened in the run (records are merged per kind and place). */
  count: number;
}

export interface ExitReport {
  version: typeof EXIT_REPORT_VERSION;
  /** ISO time the run ended. */
  finishedAt: string;
  image: string;
  listing?: string;
  /** Sources the listing maps to, with a hash of each as assembled (to tell when a file changed since). */
  sources: { file: string; sha256: string }[];
  backend: string;
  /** What ran it, as the Problems panel labels its findings: a debug session's name ("Boot hello.asm"); absent: `bootvisor run`. */
  origin?: string;
  stop: StopEvent & { source?: SourceLocation };
  exits: ExitRecord[];
  /** VM exits per source line (I/O and MMIO round trips to the monitor: what costs under KVM/NVMM). */
  profile: { source: SourceLocation; exits: number; ports: number[] }[];
}
