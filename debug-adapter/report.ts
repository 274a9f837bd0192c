// The exit report every debug session leaves behind (.bootvisor/last-run.json under the cwd), in the format
// of common/exit-report.ts, so the language server can put the run's faults on their source lines.
import * as fs from 'fs';
import * as path from 'path';
import type { RunEvent, StopEvent } from '../common/api';
import { EXIT_REPORT_VERSION, ExitKind, ExitRecord, ExitReport, SourceLocation, WORKSPACE_REPORT_PATH } from '../common/exit-report';
import type { ListingMap } from '../common/listing';
import type { ExitCount } from '../common/machine';

export interface ReportInput {
  cwd: string;
  image: string;
  listingPath?: string;
  listing?: ListingMap;
  sources: { file: string; sha256: string }[];
  backend: string;
  /** The debug session's name, which labels the run's Problems entries. */
  origin?: string;
  stop: StopEvent;
  /** Where the stop belongs in the source when that is not where the CPU stands (after a HLT: the HLT). */
  stopSourceLinear?: number;
  events: RunEvent[];
  /** VM exits per instruction pointer, and the CS base to place them when code does not run at base 0. */
  profile?: ExitCount[];
  csBase?: number;
}

function exitFromStop(stop: StopEvent): { kind: ExitKind; message: string } | undefined {
  switch (stop.reason) {
    case 'triple-fault':
      return { kind: 'triple-fault', message: `Triple fault: ${stop.exception?.explanation || stop.message || 'the CPU shut down'}` };
    case 'hlt-cli':
      return { kind: 'hlt-cli', message: stop.message || 'HLT with interrupts disabled: the guest hangs here forever' };
    case 'exception':
      return stop.exception?.vector === 6
        ? { kind: 'invalid-opcode', message: stop.exception.explanation || 'invalid opcode (#UD)' }
        : { kind: 'exception', message: `${stop.exception?.name ?? 'exception'}: ${stop.exception?.explanation ?? ''}`.trim() };
    case 'unhandled-port':
      return { kind: 'unhandled-port', message: stop.message || `port 0x${(stop.port ?? 0).toString(16)} is served by no device` };
    default:
      return undefined;
  }
}

const SEVERITY: Record<ExitKind, ExitRecord['severity']> = {
  'triple-fault': 'error',
  exception: 'error',
  'invalid-opcode': 'error',
  'hlt-cli': 'warning',
  'unhandled-port': 'warning',
  'unmapped-memory': 'warning',
  'stack-overflow': 'error',
  'disk-error': 'warning',
};

export function buildReport(input: ReportInput): ExitReport {
  const source = (linear: number): SourceLocation | undefined => input.listing?.locate(linear);
  const records = new Map<string, ExitRecord>();
  const add = (r: Omit<ExitRecord, 'count' | 'severity'>) => {
    const key = `${r.kind}@${r.linear}`;
    const old = records.get(key);
    if (old) old.count++;
    else records.set(key, { ...r, severity: SEVERITY[r.kind], count: 1 });
  };
  for (const e of input.events) {
    add({ kind: e.kind, message: e.message, linear: e.linear, cs: e.cs, eip: e.eip, source: source(e.linear), port: e.port, address: e.address });
  }
  const final = exitFromStop(input.stop);
  if (final) {
    add({
      kind: final.kind,
      message: final.message,
      linear: input.stop.linear,
      cs: input.stop.cs,
      eip: input.stop.eip,
      source: source(input.stopSourceLinear ?? input.stop.linear),
      port: input.stop.port,
      chain: input.stop.exception?.chain.map((s) => ({ ...s, source: source(s.linear) })),
    });
  }
  // The profile keys on the instruction pointer alone: boot-sector code runs at CS base 0 or flat, so rip
  // is the linear address; otherwise the final CS base is the best guess.
  const perLine = new Map<string, { source: SourceLocation; exits: number; ports: Set<number> }>();
  for (const p of input.profile ?? []) {
    const at = source(p.rip) ?? source(p.rip + (input.csBase ?? 0));
    if (!at) continue;
    const key = `${at.file}:${at.line}`;
    const row = perLine.get(key) ?? { source: at, exits: 0, ports: new Set<number>() };
    row.exits += p.io + p.mmio;
    for (const port of p.ports ?? []) row.ports.add(port);
    perLine.set(key, row);
  }
  const profile = [...perLine.values()]
    .map((r) => ({ source: r.source, exits: r.exits, ports: [...r.ports].sort((a, b) => a - b) }))
    .sort((a, b) => b.exits - a.exits);
  return {
    version: EXIT_REPORT_VERSION,
    finishedAt: new Date().toISOString(),
    image: input.image,
    listing: input.listingPath,
    sources: input.sources,
    backend: input.backend,
    origin: input.origin,
    stop: { ...input.stop, source: source(input.stopSourceLinear ?? input.stop.linear) },
    exits: [...records.values()],
    profile,
  };
}

/** Writes the report; returns its path. */
export function writeReport(input: ReportInput): string {
  const file = path.join(input.cwd, WORKSPACE_REPORT_PATH);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(buildReport(input), null, 2));
  fs.renameSync(tmp, file);
  return file;
}
