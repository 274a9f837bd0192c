// Where runs' exit reports come from and which one is current: report files (the workspace's
// `.bootvisor/last-run.json`, written by every debug session and by `bootvisor run` inside the workspace, and
// any `--report` file the client names), watched by the client (workspace/didChangeWatchedFiles) and by a
// stat poll of our own; and the client's `bootvisor/exitReport` notification. The newest run wins.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { EXIT_REPORT_VERSION, ExitReport, WORKSPACE_REPORT_PATH } from '../common/exit-report';

export interface CurrentReport {
  report: ExitReport;
  /** Directories relative source paths are tried against, in order. */
  bases: string[];
  /** Where it came from, for messages: a path or "the client". */
  origin: string;
}

export type ReportProblem = { origin: string; message: string };

const POLL_MS = 700;

export class ReportStore {
  private current: CurrentReport | undefined;
  private lastRaw = new Map<string, string>();
  private polled: string[] = [];
  private settle: NodeJS.Timeout | undefined;

  constructor(
    private readonly onChange: (current: CurrentReport | undefined) => void,
    private readonly onProblem: (problem: ReportProblem) => void,
  ) {}

  get latest(): CurrentReport | undefined {
    return this.current;
  }

  static defaultPaths(folders: string[]): string[] {
    return folders.map((f) => path.join(f, WORKSPACE_REPORT_PATH));
  }

  /** Reads a report file (missing: nothing to do; malformed: one problem per distinct content). */
  loadFile(file: string, folders: string[]): void {
    let raw: string;
    try {
      raw = fs.readFileSync(file, 'utf8');
    } catch {
      return;
    }
    if (this.lastRaw.get(file) === raw) return;
    this.lastRaw.set(file, raw);
    if (raw.trim() === '') return; // a writer truncated it and has not finished: the next change brings the content
    let report: unknown;
    try {
      report = JSON.parse(raw);
    } catch (e) {
      this.onProblem({
        origin: file,
        message: `is not valid JSON (${(e as Error).message}); it is ignored until it is rewritten`,
      });
      return;
    }
    const dir = path.dirname(file);
    const bases = [path.basename(dir) === '.bootvisor' ? path.dirname(dir) : dir, dir, ...folders];
    this.accept(report, bases, file);
  }

  /** A report from the client's notification. */
  accept(report: unknown, bases: string[], origin: string): void {
    const problem = validate(report);
    if (problem) {
      this.onProblem({ origin, message: problem });
      return;
    }
    const r = report as ExitReport;
    const time = Date.parse(r.finishedAt);
    const currentTime = this.current ? Date.parse(this.current.report.finishedAt) : -Infinity;
    if (this.current && Number.isFinite(time) && time < currentTime) return; // an older run: keep the newer one
    this.current = { report: r, bases: [...new Set(bases)], origin };
    this.onChange(this.current);
  }

  /** Polls the report files' stat (works before the file or its folder exist, and on every file system). */
  watch(files: string[], folders: string[]): void {
    this.unwatch();
    this.polled = [...new Set(files)];
    for (const file of this.polled) {
      fs.watchFile(file, { interval: POLL_MS, persistent: false }, (cur) => {
        if (cur.mtimeMs !== 0) this.loadFile(file, folders);
      });
      this.loadFile(file, folders);
    }
    // watchFile takes its first stat asynchronously: a report written between the read above and that stat
    // is in the baseline and never reported as a change. One more read once the baseline surely exists
    // (loadFile skips content it has seen).
    this.settle = setTimeout(() => this.polled.forEach((file) => this.loadFile(file, folders)), 2 * POLL_MS);
    this.settle.unref();
  }

  unwatch(): void {
    for (const file of this.polled) fs.unwatchFile(file);
    this.polled = [];
    if (this.settle) clearTimeout(this.settle);
    this.settle = undefined;
  }
}

function validate(report: unknown): string | undefined {
  if (typeof report !== 'object' || report === null) return 'is not an exit report (expected a JSON object)';
  const r = report as Partial<ExitReport>;
  if (r.version !== EXIT_REPORT_VERSION)
    return `has version ${String(r.version)}; this server reads version ${EXIT_REPORT_VERSION} (update Bootvisor)`;
  if (typeof r.finishedAt !== 'string') return 'has no finishedAt time';
  if (!Array.isArray(r.exits)) return 'has no exits list';
  if (r.profile !== undefined && !Array.isArray(r.profile)) return 'has a profile that is not a list';
  if (r.sources !== undefined && !Array.isArray(r.sources)) return 'has a sources list that is not a list';
  return undefined;
}

/** Finds a report's source on disk: absolute as is, relative against each base in turn. */
export function resolveSource(file: string, bases: string[]): string | undefined {
  if (path.isAbsolute(file)) return path.normalize(file);
  for (const base of bases) {
    const candidate = path.resolve(base, file);
    if (fs.existsSync(candidate)) return candidate;
  }
  return bases.length > 0 ? path.resolve(bases[0], file) : undefined;
}

export function sha256(text: string | Buffer): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}
