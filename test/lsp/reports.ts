// Exit reports in the documented format (common/exit-report.ts) for faulty.asm, written as a run writes them.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { ExitRecord, ExitReport } from '../../common/exit-report';
import { WORKSPACE_REPORT_PATH } from '../../common/exit-report';

export const FILE = 'faulty.asm';
// 1-based lines of faulty.asm
export const L = { outDx: 9, load: 12, div: 15, hlt: 17, lidt: 13, start: 5 };

export function sha(root: string): string {
  return crypto
    .createHash('sha256')
    .update(fs.readFileSync(path.join(root, FILE)))
    .digest('hex');
}

export function record(kind: ExitRecord['kind'], line: number, extra: Partial<ExitRecord> = {}): ExitRecord {
  return {
    kind,
    severity: 'warning',
    message: '',
    linear: 0x7c00 + line,
    cs: 0,
    eip: 0x7c00 + line,
    source: { file: FILE, line },
    count: 1,
    ...extra,
  };
}

export function faultyReport(
  root: string,
  finishedAt: string,
  exits: ExitRecord[],
  profile: ExitReport['profile'] = [],
): ExitReport {
  return {
    version: 1,
    finishedAt,
    image: path.join(root, 'faulty.img'),
    sources: [{ file: FILE, sha256: sha(root) }],
    backend: 'software',
    // The stop is the first record when that is what ended the run, as the CLI writes it.
    stop:
      exits[0]?.kind === 'triple-fault' || exits[0]?.kind === 'hlt-cli'
        ? {
            reason: exits[0].kind,
            cs: 0,
            eip: exits[0].eip,
            linear: exits[0].linear,
            instructions: 20,
            source: exits[0].source,
          }
        : { reason: 'instruction-limit', cs: 0, eip: 0x7c20, linear: 0x7c20, instructions: 1000 },
    exits,
    profile,
  };
}

export function writeReport(root: string, report: ExitReport): void {
  const file = path.join(root, WORKSPACE_REPORT_PATH);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file + '.tmp', JSON.stringify(report, null, 2));
  fs.renameSync(file + '.tmp', file);
}
