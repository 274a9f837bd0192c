// The CPU's exception vectors (common/exceptions.ts: the vCPU's own table), what the user asked to stop on
// (exception-filters.ts turns VS Code's filters into it), and how a fault is explained in words for
// exceptionInfo.
import type { FaultStep, StopEvent, SystemBreaks } from '../common/api';
import { exceptionRow, exceptionTable } from '../common/exceptions';

/** Vector, mnemonic, name of the exceptions a user can stop on: the vCPU's table without its reserved rows. */
export function catchableVectors(): [number, string, string][] {
  return exceptionTable()
    .filter((e) => e.kind !== 'reserved')
    .map((e): [number, string, string] => [e.vector, e.mnemonic, e.name]);
}

export function vectorName(vector: number): string {
  return exceptionRow(vector)?.mnemonic ?? `vector 0x${vector.toString(16)}`;
}

/** What the filters the user ticked mean for the machine. */
export interface ExceptionSettings {
  stopOnTripleFault: boolean;
  stopOnHang: boolean;
  vectors: number[];
  /** The "System events..." filter's choice, when ticked. */
  system?: SystemBreaks;
}

export const DEFAULT_EXCEPTION_SETTINGS: ExceptionSettings = { stopOnTripleFault: true, stopOnHang: true, vectors: [] };

function hex(n: number, digits = 4): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(digits, '0');
}

function describeStep(s: FaultStep, where: (linear: number) => string | undefined): string {
  const code = s.errorCode !== undefined ? ` (error code 0x${hex(s.errorCode)})` : '';
  const at = where(s.linear);
  return `${s.name}${code} at ${hex(s.cs)}:${hex(s.eip)}${at ? ` (${at})` : ''}: ${s.reason}`;
}

/** The chain in words: "#GP at 0000:7C10 (boot.asm:12): ... -> #DF ... -> shutdown". */
export function explainStop(
  stop: StopEvent,
  where: (linear: number) => string | undefined,
): { id: string; description: string; details: string[] } {
  const at = where(stop.linear);
  const place = `${hex(stop.cs)}:${hex(stop.eip)}${at ? ` (${at})` : ''}`;
  switch (stop.reason) {
    case 'triple-fault': {
      const chain = stop.exception?.chain ?? [];
      const details = chain.map((s) => describeStep(s, where));
      const words = stop.exception?.explanation || stop.message || 'the CPU shut down';
      return {
        id: 'triple fault',
        description: `Triple fault: ${words}${chain.length ? `\n${details.join('\n  then ')}` : ''}`,
        details,
      };
    }
    case 'hlt-cli':
      return {
        id: 'hang',
        description: `Hang: HLT at ${place} with interrupts disabled (IF=0); nothing can wake the CPU.`,
        details: [],
      };
    case 'exception': {
      const e = stop.exception;
      const name = e ? `${e.name || vectorName(e.vector)} (vector ${e.vector})` : 'exception';
      const code = e?.errorCode !== undefined ? `, error code 0x${hex(e.errorCode)}` : '';
      const cr2 = e?.cr2 !== undefined && e.vector === 14 ? `, CR2=0x${hex(e.cr2, 8)}` : '';
      const details = (e?.chain ?? []).map((s) => describeStep(s, where));
      const why = e?.explanation ? `: ${e.explanation}` : '';
      return {
        id: name,
        description: `${name} at ${place}${code}${cr2}${why}${details.length ? `\n${details.join('\n  then ')}` : ''}`,
        details,
      };
    }
    case 'system-event':
      return {
        id: `system event (${stop.systemEvent ?? '?'})`,
        description: `System event at ${place}: ${stop.message ?? stop.systemEvent ?? ''}`,
        details: [],
      };
    case 'unhandled-port':
      return {
        id: 'unhandled port',
        description:
          `Access to port 0x${hex(stop.port ?? 0)} that no device serves, at ${place}. ${stop.message ?? ''}`.trim(),
        details: [],
      };
    default:
      return { id: stop.reason, description: stop.message ?? stop.reason, details: [] };
  }
}
