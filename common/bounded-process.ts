// Running a helper program (nasm, a custom assembler) with bounds: a time limit, a cap on the messages kept,
// caps on the files it writes, and cancellation. It runs in a process group of its own, so a timeout, an
// abort or the end of our own process kills it and anything it started: no orphan keeps a core busy.
import * as fs from 'fs';
import * as path from 'path';

export interface BoundedRunOptions {
  command: string;
  args: string[];
  cwd?: string;
  /** Kill the process group after this long. */
  timeoutMs: number;
  /** CPU seconds the program may use (default cpuLimitSeconds(timeoutMs)): what bounds it if we are killed. */
  cpuSeconds?: number;
  /** Bytes of stdout + stderr kept (the rest is counted and dropped). */
  maxOutputBytes: number;
  /** Files the program writes, each with the size at which it is killed (checked while it runs). */
  outputFiles?: { path: string; maxBytes: number }[];
  signal?: AbortSignal;
  /** Called about every `progressMs` while the program runs, with the time spent. */
  onProgress?: (elapsedMs: number) => void;
  progressMs?: number;
}

export interface BoundedRunResult {
  /** The exit status, or null when it was killed or could not start. */
  status: number | null;
  output: string;
  /** Bytes of output dropped beyond maxOutputBytes. */
  droppedBytes: number;
  /** Why it was stopped, if it was ('cpu-limit': it used up its CPU time, see cpuLimitSeconds). */
  stopped?: 'timeout' | 'aborted' | 'file-too-large' | 'cpu-limit';
  /** The CPU time limit it ran under, in seconds. */
  cpuSeconds: number;
  /** The file that grew too large (with stopped === 'file-too-large'). */
  oversizedFile?: string;
  /** It could not start (ENOENT: no such program; EACCES: not executable). */
  spawnError?: NodeJS.ErrnoException;
  elapsedMs: number;
}

/** Process groups of helpers still running; killed when this process ends however it ends. */
const running = new Set<number>();

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Kills every helper this process started and that still runs (for signal and shutdown handlers). */
export function killAllHelpers(): void {
  for (const pid of running) killGroup(pid);
  running.clear();
}

/** How many helpers run now (tests check nothing is left). */
export function runningHelpers(): number {
  return running.size;
}

process.on('exit', killAllHelpers);

/**
 * Where `command` is, found as spawn would find it (a path, else each PATH folder, then `extraDirs`), or why
 * it cannot be started (ENOENT: nowhere; EACCES: found but not executable).
 */
function locateProgram(
  command: string,
  cwd: string | undefined,
  extraDirs: string[] = [],
): { path: string } | { problem: NodeJS.ErrnoException } {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).concat(extraDirs);
  const candidates = command.includes('/')
    ? [path.resolve(cwd ?? '.', command)]
    : dirs.map((d) => path.join(d, command));
  let problem: NodeJS.ErrnoException | undefined;
  for (const c of candidates) {
    try {
      if (!fs.statSync(c).isFile()) continue;
      fs.accessSync(c, fs.constants.X_OK);
      return { path: c };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EACCES') problem = e as NodeJS.ErrnoException;
    }
  }
  return { problem: problem ?? Object.assign(new Error(`spawn ${command} ENOENT`), { code: 'ENOENT' }) };
}

let timeoutProgram: string | null | undefined;
/**
 * timeout(1) (coreutils, NetBSD, FreeBSD), if the system has one: a helper runs under it, so even when our
 * process is killed outright (SIGKILL, no handler runs) the helper dies at its deadline instead of running on.
 */
function findTimeoutProgram(): string | null {
  if (timeoutProgram === undefined) {
    const found = process.platform === 'win32' ? undefined : locateProgram('timeout', undefined, ['/usr/bin', '/bin']);
    timeoutProgram = found && 'path' in found ? found.path : null;
  }
  return timeoutProgram;
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** The CPU seconds a helper may use: a second more than its time limit, which it never reaches while we run. */
export function cpuLimitSeconds(timeoutMs: number): number {
  return Math.ceil(timeoutMs / 1000) + 1;
}

let shell: string | null | undefined;
/**
 * `command args` under a CPU-time limit (RLIMIT_CPU through the shell's `ulimit -t`, POSIX on Linux and the
 * BSDs; SIGXCPU ends the program at the limit; a shell without it runs the command unlimited). It bounds a helper that outlives us: a SIGKILL runs no handler,
 * and a killed timeout(1) guard kills nothing. `exec` keeps the helper's pid, so a kill of the child reaches
 * it. Core dumps are turned off first: a helper runs in the user's folder, which Bootvisor never writes.
 * Without a POSIX shell (Windows), or when the command is not there (its spawn error says so), it runs as it is.
 */
export function withCpuLimit(command: string, args: string[], cpuSeconds: number, cwd?: string): [string, string[]] {
  if (shell === undefined) {
    const found = process.platform === 'win32' ? undefined : locateProgram('sh', undefined, ['/bin', '/usr/bin']);
    shell = found && 'path' in found ? found.path : null;
  }
  if (!shell || 'problem' in locateProgram(command, cwd)) return [command, args];
  // The soft limit sends SIGXCPU (the status says why); the hard one, a second later, SIGKILL (a program that
  // ignores SIGXCPU). Hard first: a soft limit above the hard one is refused.
  const script =
    'ulimit -c 0 2>/dev/null; ulimit -H -t "$2" 2>/dev/null; ulimit -S -t "$1" 2>/dev/null; shift 2; exec "$@"';
  const soft = Math.max(1, Math.ceil(cpuSeconds));
  return [shell, ['-c', script, 'sh', String(soft), String(soft + 1), command, ...args]];
}

export function runBounded(options: BoundedRunOptions): Promise<BoundedRunResult> {
  const started = Date.now();
  const cpuSeconds = options.cpuSeconds ?? cpuLimitSeconds(options.timeoutMs);
  return new Promise((resolve) => {
    if (options.signal?.aborted) {
      resolve({ status: null, output: '', droppedBytes: 0, stopped: 'aborted', cpuSeconds, elapsedMs: 0 });
      return;
    }
    // Checked first: under the timeout(1) guard a missing program would only be an exit status.
    const located = locateProgram(options.command, options.cwd);
    if ('problem' in located) {
      resolve({ status: null, output: '', droppedBytes: 0, spawnError: located.problem, cpuSeconds, elapsedMs: 0 });
      return;
    }
    const guard = findTimeoutProgram();
    // The guard's deadline is a little after ours: normally we stop the helper first and say why.
    const guardSeconds = String(Math.ceil(options.timeoutMs / 1000) + 2);
    const limited = withCpuLimit(options.command, options.args, cpuSeconds, options.cwd);
    const [command, args] = guard ? [guard, ['-s', 'KILL', guardSeconds, limited[0], ...limited[1]]] : limited;
    // node:child_process (and node:net under it) loads on the first spawn: `bootvisor run` of an image
    // spawns nothing, and its start-up is what the user waits for.
    const { spawn } = require('child_process') as typeof import('child_process');
    const child = spawn(command, args, {
      cwd: options.cwd,
      // Its own process group: one kill reaches whatever it starts (a custom assembler may be a script).
      detached: process.platform !== 'win32',
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const chunks: Buffer[] = [];
    let kept = 0;
    let dropped = 0;
    let stopped: BoundedRunResult['stopped'];
    let oversizedFile: string | undefined;
    let spawnError: NodeJS.ErrnoException | undefined;
    let settled = false;
    const collect = (b: Buffer): void => {
      const room = options.maxOutputBytes - kept;
      if (room > 0) chunks.push(room >= b.length ? b : b.subarray(0, room));
      kept += Math.min(room > 0 ? room : 0, b.length);
      dropped += Math.max(0, b.length - Math.max(room, 0));
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);

    const stop = (why: NonNullable<BoundedRunResult['stopped']>): void => {
      if (stopped || settled) return;
      stopped = why;
      if (child.pid !== undefined) killGroup(child.pid);
      else child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
    const progressMs = options.progressMs ?? 250;
    const ticker = setInterval(() => {
      for (const f of options.outputFiles ?? []) {
        if (fileSize(f.path) > f.maxBytes) {
          oversizedFile = f.path;
          stop('file-too-large');
          return;
        }
      }
      options.onProgress?.(Date.now() - started);
    }, progressMs);
    const onAbort = (): void => stop('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (child.pid !== undefined) running.add(child.pid);

    const finish = (status: number | null, signal?: NodeJS.Signals | null): void => {
      if (settled) return;
      if (!stopped && signal === 'SIGXCPU') stopped = 'cpu-limit';
      settled = true;
      clearTimeout(timer);
      clearInterval(ticker);
      options.signal?.removeEventListener('abort', onAbort);
      if (child.pid !== undefined) {
        // A helper's own children may outlive it in its group: end them too.
        killGroup(child.pid);
        running.delete(child.pid);
      }
      resolve({
        status: stopped ? null : status,
        output: Buffer.concat(chunks).toString('utf8'),
        droppedBytes: dropped,
        stopped,
        oversizedFile,
        spawnError,
        cpuSeconds,
        elapsedMs: Date.now() - started,
      });
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
      finish(null);
    });
    // Whatever it left running in its group holds our pipes open: end it, so 'close' comes.
    child.on('exit', () => {
      if (child.pid !== undefined) killGroup(child.pid);
    });
    // 'close' waits for the pipes too: every message is in.
    child.on('close', (status, signal) => finish(status, signal));
  });
}

/** In words, why a bounded run did not finish normally (for messages). */
export function describeStop(name: string, r: BoundedRunResult, timeoutMs: number): string | undefined {
  switch (r.stopped) {
    case 'timeout':
      return `${name} did not finish within ${(timeoutMs / 1000).toFixed(1)} s and was stopped (a runaway %rep or recursive macro?)`;
    case 'aborted':
      return `${name} was cancelled`;
    case 'file-too-large':
      return `${name} was stopped: ${r.oversizedFile} grew beyond the limit (a runaway \`times\` or %rep?)`;
    case 'cpu-limit':
      return `${name} used up its ${r.cpuSeconds} s of CPU time and was stopped (a runaway %rep or recursive macro?)`;
    default:
      return undefined;
  }
}
