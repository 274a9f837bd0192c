// The exit report of a run (common/exit-report.ts), as the language server reads it: the stop, every
// exit and diagnostic merged per kind and place, each with its source line, and VM exits per source line.
import * as path from 'path';

import type { RunEvent, StopEvent } from '../common/api';
import {
  EXIT_REPORT_VERSION,
  type ExitKind,
  type ExitRecord,
  type ExitReport,
  type SourceLocation,
} from '../common/exit-report';
import type { ExitCount } from '../common/machine';
import type { Sources } from './sources';

/** Run events merged per kind and address, in the order first seen. */
export class EventTally {
  private readonly byKey = new Map<string, { event: RunEvent; count: number }>();

  add(e: RunEvent): void {
    const key = `${e.kind}@${e.linear}:${e.port ?? ''}:${e.address ?? ''}:${e.vector ?? ''}`;
    const seen = this.byKey.get(key);
    if (seen) seen.count++;
    else this.byKey.set(key, { event: e, count: 1 });
  }

  list(): { event: RunEvent; count: number }[] {
    return [...this.byKey.values()];
  }
}

const SEVERITY: Record<ExitKind, ExitRecord['severity']> = {
  'triple-fault': 'error',
  exception: 'error',
  'invalid-opcode': 'error',
  // A boot sector that ends in cli; hlt usually means to: worth knowing, not a problem.
  'hlt-cli': 'information',
  'unhandled-port': 'warning',
  'unmapped-memory': 'warning',
  'stack-overflow': 'warning',
  'disk-error': 'warning',
};

export interface ReportInput {
  imagePath: string;
  backend: string;
  stop: StopEvent;
  /** Says in words why the run ended (the runner's first stop line). */
  stopMessage: string;
  events: { event: RunEvent; count: number }[];
  profile: ExitCount[];
  /** Where the stop's source line is (a HLT stop reports the address past the HLT; its line is the HLT's). */
  stopSourceLinear?: number;
  /** CS base at the end of the run, to place profile entries when the code runs with a non-zero base. */
  csBase: number;
  sources?: Sources;
}

function locate(sources: Sources | undefined, linear: number): SourceLocation | undefined {
  const s = sources?.locate(linear);
  return s ? { file: s.file, line: s.line } : undefined;
}

function stopRecord(input: ReportInput): ExitRecord | undefined {
  const s = input.stop;
  const base = { linear: s.linear, cs: s.cs, eip: s.eip, source: locate(input.sources, input.stopSourceLinear ?? s.linear), count: 1 };
  const chain = s.exception?.chain.map((step) => ({ ...step, source: locate(input.sources, step.linear) }));
  switch (s.reason) {
    case 'triple-fault':
      return {
        ...base,
        kind: 'triple-fault',
        severity: SEVERITY['triple-fault'],
        message: s.exception?.explanation || s.message || input.stopMessage,
        chain,
      };
    case 'exception': {
      const kind: ExitKind = s.exception?.vector === 6 ? 'invalid-opcode' : 'exception';
      return { ...base, kind, severity: SEVERITY[kind], message: s.exception?.explanation || input.stopMessage, chain };
    }
    case 'hlt-cli':
      return { ...base, kind: 'hlt-cli', severity: SEVERITY['hlt-cli'], message: s.message || input.stopMessage };
    case 'unhandled-port':
      return {
        ...base,
        kind: 'unhandled-port',
        severity: SEVERITY['unhandled-port'],
        message: s.message || input.stopMessage,
        port: s.port,
      };
    default:
      return undefined;
  }
}

export function buildReport(input: ReportInput): ExitReport {
  const exits: ExitRecord[] = [];
  const fromStop = stopRecord(input);
  if (fromStop) exits.push(fromStop);
  for (const { event, count } of input.events) {
    const record: ExitRecord = {
      kind: event.kind,
      severity: SEVERITY[event.kind],
      message: event.message,
      linear: event.linear,
      cs: event.cs,
      eip: event.eip,
      source: locate(input.sources, event.linear),
      count,
    };
    if (event.port !== undefined) record.port = event.port;
    if (event.address !== undefined) record.address = event.address;
    exits.push(record);
  }

  // VM exits per source line. The profile keys on the instruction pointer alone; boot-sector code runs with
  // CS base 0 or flat segments, so rip is the linear address, else we try the final CS base.
  const perLine = new Map<string, { source: SourceLocation; exits: number; ports: Set<number> }>();
  for (const p of input.profile) {
    const source = locate(input.sources, p.rip) ?? locate(input.sources, p.rip + input.csBase);
    if (!source) continue;
    const key = `${source.file}:${source.line}`;
    const row = perLine.get(key) ?? { source, exits: 0, ports: new Set<number>() };
    row.exits += p.io + p.mmio;
    for (const port of p.ports ?? []) row.ports.add(port);
    perLine.set(key, row);
  }
  const profile = [...perLine.values()]
    .map((r) => ({ source: r.source, exits: r.exits, ports: [...r.ports].sort((x, y) => x - y) }))
    .sort((x, y) => y.exits - x.exits);

  return {
    version: EXIT_REPORT_VERSION,
    finishedAt: new Date().toISOString(),
    image: path.resolve(input.imagePath),
    listing: input.sources?.listingPath,
    sources: input.sources?.hashes() ?? [],
    backend: input.backend,
    stop: { ...input.stop, source: locate(input.sources, input.stopSourceLinear ?? input.stop.linear) },
    exits,
    profile,
  };
}
