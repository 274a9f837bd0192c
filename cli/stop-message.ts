// Why the VM stopped, in words, for the terminal: the reason, where (CS:EIP, and the source line when a
// listing is known), and for faults the chain that led there. Pure functions of the stop.
import * as path from 'path';

import type { FaultStep, RunEvent, StopEvent } from '../common/api';
import { GuestExitMode, guestExitStatus, guestExitValue } from './exit-codes';

export interface SourceLine {
  file: string;
  /** 1-based */
  line: number;
  text?: string;
  /** The instruction's address and length, when the listing knows them. */
  address?: number;
  length?: number;
}

/** Finds the source line of a linear address, when a listing is known. */
export type Locator = (linear: number) => SourceLine | undefined;

/** How the run ended, as the runner saw it (a stop from the guest, or the runner pausing it). */
export type Ending =
  | { kind: 'stop'; stop: StopEvent; guestExit?: GuestExitMode }
  | { kind: 'timeout'; stop: StopEvent; seconds: number }
  | { kind: 'matched'; stop: StopEvent; what: string }
  | { kind: 'interrupted'; stop: StopEvent };

/** The exit status a guest's exit gives, and why when it is not QEMU's. */
function guestExitWords(qemuCode: number, mode: GuestExitMode): string {
  const status = guestExitStatus(qemuCode, mode);
  const value = guestExitValue(qemuCode);
  if (mode === 'verbatim') return `exit status ${status} (--guest-exit verbatim)`;
  if (status === qemuCode) return `exit status ${status} (as QEMU's isa-debug-exit)`;
  return (
    `exit status ${status}: QEMU's status (${value} << 1) | 1 = ${qemuCode} ` +
    `${qemuCode > 255 ? 'does not fit in 8 bits' : "is one of Bootvisor's own"}; --guest-exit verbatim gives ${value & 0xff}`
  );
}

const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0');
export const segOff = (cs: number, eip: number): string => `${hex(cs, 4)}:${hex(eip, eip > 0xffff ? 8 : 4)}`;
const bytes = (b: number[]): string => b.map((x) => hex(x, 2)).join(' ');

/** The source text without its comment. */
export function codeOf(text: string): string {
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === ';') return text.slice(0, i).trim();
  }
  return text.trim();
}

function where(cs: number, eip: number, linear: number, locate: Locator): string {
  const src = locate(linear);
  if (!src) return `at ${segOff(cs, eip)}`;
  const file = path.relative(process.cwd(), src.file) || src.file;
  const code = src.text ? codeOf(src.text) : '';
  return `at ${segOff(cs, eip)} (${file.startsWith('..') ? src.file : file}:${src.line}${code ? `: ${code}` : ''})`;
}

function chainLines(chain: FaultStep[], locate: Locator): string[] {
  return chain.map((step, i) => {
    const arrow = i === 0 ? '  ' : '  -> ';
    const code = step.errorCode !== undefined ? ` (error code ${hex(step.errorCode, 4)})` : '';
    // The same place as the step before (a fault while delivering one) is not repeated.
    const prev = chain[i - 1];
    const same = prev && prev.cs === step.cs && prev.eip === step.eip;
    const src = locate(step.linear);
    // The machine hands over a window of bytes; the listing knows how many are the instruction.
    const len = src?.address === step.linear && src.length ? src.length : step.bytes.length;
    const insn = !same && step.bytes.length ? ` [${bytes(step.bytes.slice(0, len))}]` : '';
    const at = same ? '' : ` ${where(step.cs, step.eip, step.linear, locate)}`;
    const reason = step.reason ? `: ${step.reason}` : '';
    return `${arrow}${step.name}${code}${at}${insn}${reason}`;
  });
}

/** The lines the runner prints on standard error about how the run ended. */
export function describeEnding(ending: Ending, locate: Locator): string[] {
  const s = ending.stop;
  const at = where(s.cs, s.eip, s.linear, locate);
  const count = `${s.instructions} instruction${s.instructions === 1 ? '' : 's'}`;
  switch (ending.kind) {
    case 'timeout':
      return [`timed out after ${ending.seconds} s ${at}, ${count} executed`];
    case 'matched':
      return [`${ending.what} matched after ${count}`];
    case 'interrupted':
      return [`interrupted ${at} after ${count}`];
    case 'stop':
      break;
  }
  switch (s.reason) {
    case 'hlt-cli':
      // Interrupts on but shut out at the PIC: the native message names the masks (and a missing EOI).
      if (s.message && /\bPIC\b/.test(s.message)) return [`the guest halted ${at} after ${count}: ${s.message}`];
      return [`the guest halted with interrupts disabled ${at} after ${count}: nothing can wake it (a clean stop)`];
    case 'guest-exit':
      return [
        `the guest wrote ${hex(guestExitValue(s.exitCode ?? 1), 2)}h to the exit port 0xF4 ${at}: ${guestExitWords(s.exitCode ?? 1, ending.guestExit ?? 'qemu')}`,
      ];
    case 'triple-fault': {
      const lines = [`triple fault: the CPU shut down ${at} after ${count}`];
      if (s.exception?.chain.length) lines.push(...chainLines(s.exception.chain, locate));
      else if (s.exception?.explanation || s.message) lines.push(`  ${s.exception?.explanation || s.message}`);
      return lines;
    }
    case 'exception': {
      const e = s.exception;
      const lines = [`unhandled exception ${e?.name ?? ''} ${at} after ${count}`.replace(/\s+/g, ' ')];
      if (e?.chain.length) lines.push(...chainLines(e.chain, locate));
      else if (e?.explanation) lines.push(`  ${e.explanation}`);
      return lines;
    }
    case 'instruction-limit':
      return [`stopped: the instruction budget (${count}) is spent ${at}`];
    case 'unhandled-port':
      return [
        `stopped: port ${s.port !== undefined ? '0x' + hex(s.port, 4) : '?'} is served by no device ${at}` +
          (s.message ? ` (${s.message})` : ''),
      ];
    case 'system-event':
      return [`stopped on a system event ${at}: ${s.message ?? s.systemEvent ?? ''}`];
    case 'error':
      return [`the virtual machine could not go on ${at}: ${s.message ?? 'no reason given'}`];
    case 'breakpoint':
    case 'watchpoint':
    case 'step':
    case 'entry':
    case 'pause':
      return [`stopped (${s.reason}) ${at} after ${count}`];
  }
}

/** One line per distinct run event (unknown ports...), with how often it happened. */
export function describeEvents(events: { event: RunEvent; count: number }[], locate: Locator): string[] {
  return events.map(({ event, count }) => {
    const times = count > 1 ? ` (${count} times)` : '';
    return `${event.kind}: ${event.message} ${where(event.cs, event.eip, event.linear, locate)}${times}`;
  });
}
