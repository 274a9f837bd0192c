// The exit report every debug session leaves behind (.bootvisor/last-run.json under the cwd), made by
// common/exit-report-builder.ts as `bootvisor run --report` makes it, so the language server can put the
// run's faults on their source lines.
import * as fs from 'fs';
import * as path from 'path';
import { type ExitReportInput, buildExitReport } from '../common/exit-report-builder';
import { WORKSPACE_REPORT_PATH } from '../common/exit-report';

/** Writes the report under `cwd` (whole or not at all: a reader never sees half a file); returns its path. */
export function writeReport(cwd: string, input: ExitReportInput): string {
  const file = path.join(cwd, WORKSPACE_REPORT_PATH);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(buildExitReport(input), null, 2));
  fs.renameSync(tmp, file);
  return file;
}
