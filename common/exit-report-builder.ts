// The one place a run's exit report (common/exit-report.ts) is made, for `bootvisor run --report` and for
// every debug session: the stop as the first record, the run's events merged per kind and place, each with
// its source line and the severity of EXIT_SEVERITY, and VM exits per source line. The wording of a record
// is the detail only; readers (the language server) put their own headline in front of it.
import type { RunEvent, StopEvent } from './api';
import {
  EXIT_REPORT_VERSION,
  EXIT_SEVERITY,
  type ExitKind,
  type ExitRecord,
  type ExitReport,
  type SourceLocation,
} from './exit-report';
import type { ListingEntry } from './listing';
import type { ExitCount } from './machine';

export interface TalliedEvent {
  event: RunEvent;
  count: number;
}

/** Run events merged per kind and place (address, port, memory address, vector), in the order first seen. */
export class EventTally {
  private readonly byKey = new Map<string, TalliedEvent>();

  static of(events: Iterable<RunEvent>): EventTally {
    const tally = new EventTally();
    for (const e of events) tally.add(e);
    return tally;
  }

  add(e: RunEvent): void {
    const key = `${e.kind}@${e.linear}:${e.port ?? ''}:${e.address ?? ''}:${e.vector ?? ''}`;
    const seen = this.byKey.get(key);
    if (seen) seen.count++;
    else this.byKey.set(key, { event: e, count: 1 });
  }

  list(): TalliedEvent[] {
    return [...this.byKey.values()];
  }
}

export interface ExitReportInput {
  /** Absolute path of what ran (the .asm for an assembled source). */
  image: string;
  listingPath?: string;
  /** Sources the listing maps to, with the SHA-256 of each. */
  sources: { file: string; sha256: string }[];
  /** The source line of a linear address, when a listing is known. */
  locate: (linear: number) => SourceLocation | undefined;
  backend: string;
  /** A debug session's name; absent for `bootvisor run`. */
  origin?: string;
  stop: StopEvent;
  /** Where the stop belongs in the source when that is not where the CPU stands (after a HLT: the HLT). */
  stopSourceLinear?: number;
  events: TalliedEvent[];
  /** VM exits per instruction pointer, and the CS base to place them when code does not run at base 0. */
  profile?: ExitCount[];
  csBase?: number;
  /** When the run ended (now when absent). */
  finishedAt?: Date;
}

const hex = (n: number): string => `0x${n.toString(16).toUpperCase()}`;

/** The record of the stop that ended the run, when that stop is an exit worth reporting; the kind and its words. */
function stopExit(stop: StopEvent): { kind: ExitKind; message: string } | undefined {
  const e = stop.exception;
  switch (stop.reason) {
    case 'triple-fault':
      return { kind: 'triple-fault', message: e?.explanation || stop.message || 'the CPU shut down' };
    case 'exception': {
      if (e?.vector === 6) return { kind: 'invalid-opcode', message: e.explanation || 'invalid opcode' };
      const name = e?.name ?? '';
      const why = e?.explanation ?? stop.message ?? '';
      return { kind: 'exception', message: why.startsWith(name) ? why : [name, why].filter(Boolean).join(': ') };
    }
    case 'hlt-cli':
      return { kind: 'hlt-cli', message: stop.message || 'HLT with interrupts disabled: nothing can wake the CPU' };
    case 'unhandled-port':
      return {
        kind: 'unhandled-port',
        message: stop.message || `port ${stop.port !== undefined ? hex(stop.port) : '?'} is served by no device`,
      };
    default:
      return undefined;
  }
}

/**
 * Where the stop's source line is. HLT, the exit port's OUT and a port nobody serves stop with CS:EIP past
 * the instruction; the line to show is that instruction's (the listing entry ending at EIP, else a HLT byte
 * just before).
 */
export function instructionBehindStop(
  stop: StopEvent,
  listing: { entryAt(linear: number): Pick<ListingEntry, 'address' | 'length' | 'text'> | undefined } | undefined,
  peek: (linear: number) => number | undefined,
): number {
  if (stop.reason !== 'hlt-cli' && stop.reason !== 'guest-exit' && stop.reason !== 'unhandled-port') return stop.linear;
  const before = listing?.entryAt(stop.linear - 1);
  if (before && before.address + before.length === stop.linear && /^(hlt|out|in|ins|outs|rep)\b/i.test(before.text)) {
    return before.address;
  }
  if (stop.reason === 'hlt-cli' && stop.linear > 0 && peek(stop.linear - 1) === 0xf4) return stop.linear - 1;
  return stop.linear;
}

function plain(at: SourceLocation | undefined): SourceLocation | undefined {
  return at ? { file: at.file, line: at.line } : undefined;
}

/** The record of the stop that ended the run, when that stop is an exit; chain steps placed by `locate` when given. */
export function stopRecord(
  stop: StopEvent,
  source: SourceLocation | undefined,
  locate?: (linear: number) => SourceLocation | undefined,
): ExitRecord | undefined {
  const final = stopExit(stop);
  if (!final) return undefined;
  const record = recordOf(final.kind, final.message, stop, source, 1);
  if (stop.exception)
    record.chain = locate
      ? stop.exception.chain.map((step) => ({ ...step, source: locate(step.linear) }))
      : stop.exception.chain;
  if (stop.port !== undefined) record.port = stop.port;
  return record;
}

function recordOf(
  kind: ExitKind,
  message: string,
  at: { linear: number; cs: number; eip: number },
  source: SourceLocation | undefined,
  count: number,
): ExitRecord {
  return { kind, severity: EXIT_SEVERITY[kind], message, linear: at.linear, cs: at.cs, eip: at.eip, source, count };
}

export function buildExitReport(input: ExitReportInput): ExitReport {
  const locate = (linear: number): SourceLocation | undefined => plain(input.locate(linear));
  const { stop } = input;
  const stopSource = locate(input.stopSourceLinear ?? stop.linear);
  const exits: ExitRecord[] = [];
  const final = stopRecord(stop, stopSource, locate);
  if (final) exits.push(final);
  for (const { event, count } of input.events) {
    const record = recordOf(event.kind, event.message, event, locate(event.linear), count);
    if (event.port !== undefined) record.port = event.port;
    if (event.address !== undefined) record.address = event.address;
    exits.push(record);
  }
  const report: ExitReport = {
    version: EXIT_REPORT_VERSION,
    finishedAt: (input.finishedAt ?? new Date()).toISOString(),
    image: input.image,
    sources: input.sources,
    backend: input.backend,
    stop: { ...stop, source: stopSource },
    exits,
    profile: profileByLine(input.profile ?? [], input.csBase ?? 0, locate),
  };
  if (input.listingPath !== undefined) report.listing = input.listingPath;
  if (input.origin !== undefined) report.origin = input.origin;
  return report;
}

/**
 * VM exits per source line, most first. The profile keys on the instruction pointer alone: boot-sector code
 * runs at CS base 0 or flat, so rip is the linear address; otherwise the final CS base is the best guess.
 */
function profileByLine(
  profile: ExitCount[],
  csBase: number,
  locate: (linear: number) => SourceLocation | undefined,
): ExitReport['profile'] {
  const perLine = new Map<string, { source: SourceLocation; exits: number; ports: Set<number> }>();
  for (const p of profile) {
    const source = locate(p.rip) ?? locate(p.rip + csBase);
    if (!source) continue;
    const key = `${source.file}:${source.line}`;
    const row = perLine.get(key) ?? { source, exits: 0, ports: new Set<number>() };
    row.exits += p.io + p.mmio;
    for (const port of p.ports ?? []) row.ports.add(port);
    perLine.set(key, row);
  }
  return [...perLine.values()]
    .map((r) => ({ source: r.source, exits: r.exits, ports: [...r.ports].sort((a, b) => a - b) }))
    .sort((a, b) => b.exits - a.exits);
}
