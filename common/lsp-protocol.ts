// The language server's custom messages: what the extension (or any LSP client) may tell the server beyond
// standard LSP. Plain method names and payload types only, so neither side needs the other's libraries.
import type { Registers } from './api';
import type { ExitReport } from './exit-report';

/**
 * Client -> server notification: a run just finished (an F5 session or a task the client watched).
 * The server treats it exactly like a new report file: it replaces the diagnostics and the exit profile of
 * any older run. Runs from a terminal or CI reach the server through the report file instead.
 */
export const EXIT_REPORT_NOTIFICATION = 'bootvisor/exitReport';
export interface ExitReportParams {
  report: ExitReport;
  /** Where relative source paths in the report are resolved from (default: the first workspace folder). */
  baseDirectory?: string;
}

/**
 * Client -> server notification: a debug session stopped (registers present) or resumed/ended
 * (registers null). While registers are present, hovering a register name shows its value.
 */
export const DEBUG_STATE_NOTIFICATION = 'bootvisor/debugState';
export interface DebugStateParams {
  registers: Registers | null;
  /** Optional, for the hover's heading: "stopped at boot.asm:12 (breakpoint)". */
  description?: string;
}

/** Options the client may pass in `initializationOptions` (all optional). */
export interface ServerOptions {
  /** The nasm executable (default: $BOOTVISOR_NASM, else `nasm` on PATH). */
  nasmPath?: string;
  /** How long nasm may run on one check before it is stopped, in ms (default 10000). */
  nasmTimeoutMs?: number;
  /** Delay after the last keystroke before assembling, in ms (default 400). */
  debounceMs?: number;
  /** Extra report files to watch besides `<folder>/.bootvisor/last-run.json` (absolute, or relative to the first folder). */
  reportFiles?: string[];
}
