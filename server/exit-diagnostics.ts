// A run's exit report turned into findings on source lines: the words a user reads in the Problems panel
// for a triple fault, an unhandled exception, HLT with interrupts off, an unserved port, unbacked memory, or
// the stack running into code. Pure: paths and current file hashes come from the caller.
import { Decoder, DecoderOptions, Formatter, FormatterSyntax } from 'iced-x86';
import {
  EXIT_SEVERITY,
  type ExitKind,
  type ExitRecord,
  type ExitReport,
  type ExitSeverity,
  type SourceLocation,
} from '../common/exit-report';
import { stopRecord } from '../common/exit-report-builder';
import { hex, lookupPort } from '../common/reference/ports';
import { commentStart } from './nasm-lexer';

export interface ExitFinding {
  /** Absolute path. */
  file: string;
  /** 0-based */
  line: number;
  severity: ExitSeverity;
  code: ExitKind;
  message: string;
  related: { file: string; line: number; message: string }[];
}

export interface ExitContext {
  /** Source path as written in the report -> absolute path (undefined when it cannot be found). */
  resolve(file: string): string | undefined;
  /** Text of a line of a source (for naming the instruction of a chain step). */
  lineText(file: string, line: number): string | undefined;
  /** Whether the source differs from what the run assembled (sha256 mismatch). */
  changed(file: string): boolean;
}

export function exitFindings(report: ExitReport, ctx: ExitContext): ExitFinding[] {
  const records: ExitRecord[] = [...(report.exits ?? [])];
  const stop = report.stop;
  // The stop itself is an exit worth showing when the run's record list does not already carry it (a report
  // written by hand or by another tool: the builder always puts the stop first).
  const final =
    stop && (stop.reason === 'triple-fault' || stop.reason === 'hlt-cli') ? stopRecord(stop, stop.source) : undefined;
  if (final && !records.some((r) => r.kind === final.kind)) records.push(final);
  const findings: ExitFinding[] = [];
  const seen = new Set<string>();
  for (const record of records) {
    let place = locate(record.source, ctx) ?? locate(record.chain?.find((s) => s.source)?.source, ctx);
    let outside = '';
    if (!place) {
      // Code outside the listing (the BIOS, or a jump into the weeds): still worth seeing, on the main file's first line.
      const main = report.sources?.[0]?.file;
      const file = typeof main === 'string' ? ctx.resolve(main) : undefined;
      if (!file) continue;
      place = { file, line: 0 };
      outside = ` [at ${hex(record.cs ?? 0, 4)}:${hex(record.eip ?? 0, 4)} (linear ${hex(record.linear ?? 0, 5)}), outside the assembled source]`;
    }
    const finding: ExitFinding = {
      file: place.file,
      line: place.line,
      severity: EXIT_SEVERITY[record.kind] ?? record.severity ?? 'warning',
      code: record.kind,
      message: messageFor(record) + outside,
      related: [],
    };
    if (record.kind === 'triple-fault' || (record.chain && record.chain.length > 0)) {
      for (const step of record.chain ?? []) {
        const at = locate(step.source, ctx) ?? place;
        const written = step.source ? ctx.lineText(at.file, at.line) : undefined;
        const instruction =
          (written !== undefined ? written.slice(0, commentStart(written)).trim() || undefined : undefined) ??
          disassemble(step.bytes);
        finding.related.push({
          file: at.file,
          line: at.line,
          message:
            `${step.name}${step.vector >= 0 && step.vector < 32 ? ` (vector ${step.vector})` : ''} at ${hex(step.cs, 4)}:${hex(step.eip, 4)}` +
            `${instruction ? ` in \`${instruction}\`` : ''}${step.reason ? `: ${step.reason}` : ''}`,
        });
      }
    }
    if (ctx.changed(place.file)) {
      finding.message += ` [${place.file.split(/[\\/]/).pop()} changed since this run (${report.finishedAt}): the line may have moved; run again]`;
    }
    const key = `${finding.file}:${finding.line}:${finding.code}:${finding.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push(finding);
  }
  return findings;
}

export function messageFor(record: ExitRecord): string {
  const times = record.count > 1 ? ` (${record.count} times)` : '';
  const detail = record.message ? `: ${record.message}` : '';
  switch (record.kind) {
    case 'triple-fault': {
      // The chain's steps, each with its reason, are the related information: the message names them only.
      const chain = record.chain ?? [];
      if (chain.length === 0) return `Triple fault: the CPU shut down${detail}`;
      const first = chain[0];
      return `Triple fault (${chain.map((s) => s.name).join(' -> ')}): the CPU shut down; it began with ${first.name}${first.reason ? ` (${first.reason})` : ''}`;
    }
    case 'exception':
      return `Unhandled exception${detail}${times}`;
    case 'invalid-opcode':
      return `Invalid opcode (#UD)${detail}${times}`;
    case 'hlt-cli':
      if (/\bPIC\b/.test(record.message)) return `Execution ended here: ${record.message}`;
      return 'Execution ended here: HLT with interrupts disabled, the CPU can never wake';
    case 'unhandled-port': {
      const direction = /\bwrite|\bout\b/i.test(record.message)
        ? 'write'
        : /\bread|\bin\b/i.test(record.message)
          ? 'read'
          : undefined;
      const what = direction === 'write' ? 'Write to' : direction === 'read' ? 'Read from' : 'I/O to';
      const effect =
        direction === 'write'
          ? 'the write is dropped'
          : direction === 'read'
            ? 'the read returns 0xFF'
            : 'reads return 0xFF, writes are dropped';
      if (record.port === undefined) return `${what} a port no device of the VM serves (${effect})${times}`;
      const info = lookupPort(record.port);
      const usual = info
        ? `on a PC it is usually ${info.name} [${info.device}]`
        : 'nothing standard lives there on a PC';
      return `${what} port ${hex(record.port, 2)}, which no device of the VM serves (${effect}); ${usual}${times}`;
    }
    case 'unmapped-memory':
      return `Access to ${record.address !== undefined ? hex(record.address, 8) : 'memory'}, where nothing is mapped (no RAM, ROM or device)${detail}${times}`;
    case 'stack-overflow':
      return `The stack ran into ${/ivt|interrupt vector/i.test(record.message) ? 'the interrupt vector table' : /code|loaded/i.test(record.message) ? 'the loaded code' : 'memory in use'}${detail}${times}`;
    default:
      return `${record.message || record.kind}${times}`;
  }
}

function locate(source: SourceLocation | undefined, ctx: ExitContext): { file: string; line: number } | undefined {
  if (!source || typeof source.file !== 'string' || !Number.isFinite(source.line)) return undefined;
  const file = ctx.resolve(source.file);
  if (!file) return undefined;
  return { file, line: Math.max(0, source.line - 1) };
}

/** Real-mode disassembly of a chain step's bytes (boot code is 16-bit until it says otherwise). */
export function disassemble(bytes: number[] | undefined, bitness: 16 | 32 = 16): string | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    const decoder = new Decoder(bitness, new Uint8Array(bytes), DecoderOptions.None);
    const instr = decoder.decode();
    const formatter = new Formatter(FormatterSyntax.Nasm);
    const text = formatter.format(instr);
    instr.free();
    formatter.free();
    decoder.free();
    return text;
  } catch {
    return bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
  }
}
