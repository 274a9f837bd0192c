// Temporary folders (nasm's output, listings) that must not outlive the process that made them, however it
// ends: normally, by process.exit, or by a signal the entry point turns into an exit (exitOnSignals). A
// SIGKILL runs no handler: each folder's name carries its owner's pid, and the next process to make one with
// the same prefix removes those whose owner is gone (sweepStaleScratch).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { killAllHelpers } from './bounded-process';

const live = new Set<string>();

export interface ScratchDir {
  dir: string;
  /** Deletes the folder (again is harmless). */
  remove(): void;
}

const swept = new Set<string>();

/** Whether process `pid` exists (EPERM: it does, as another user's). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the folders PREFIX<pid>-XXXXXX in the system's temp folder whose owner process no longer exists
 * (killed outright, so its exit handlers never ran), if they are ours (same uid). Folders of live processes,
 * of other users and without a pid in the name are left alone. Returns how many it removed.
 */
export function sweepStaleScratch(prefix: string): number {
  swept.add(prefix);
  const tmp = os.tmpdir();
  const uid = process.getuid?.();
  let removed = 0;
  let names: string[];
  try {
    names = fs.readdirSync(tmp);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)-[^-]+$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processExists(pid)) continue;
    const dir = path.join(tmp, name);
    try {
      const st = fs.lstatSync(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
    } catch {
      continue;
    }
    removeQuietly(dir);
    removed++;
  }
  return removed;
}

/**
 * A fresh folder under the system's temp folder, named PREFIX<pid>-XXXXXX, removed at exit at the latest. The
 * first one of a prefix sweeps away that prefix's folders of processes that are gone.
 */
export function makeScratchDir(prefix: string): ScratchDir {
  if (!swept.has(prefix)) sweepStaleScratch(prefix);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}${process.pid}-`));
  live.add(dir);
  return {
    dir,
    remove: () => {
      live.delete(dir);
      removeQuietly(dir);
    },
  };
}

function removeQuietly(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // it lives in the system's temp folder; nothing more to do
  }
}

/** Removes every scratch folder still there (at exit; also for tests). */
export function removeAllScratch(): void {
  for (const dir of live) removeQuietly(dir);
  live.clear();
}

/** How many scratch folders this process holds now. */
export function liveScratchDirs(): number {
  return live.size;
}

process.on('exit', removeAllScratch);

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/**
 * Makes these signals end the process through process.exit (status 128 + the signal's number), so the exit
 * handlers run: helpers killed, scratch folders removed. A signal someone else handles (the CLI pauses the
 * guest on SIGINT) is left to them: pass it in `except`.
 */
export function exitOnSignals(except: string[] = [], before?: (signal: string) => void): void {
  for (const [signal, number] of Object.entries(SIGNALS)) {
    if (except.includes(signal)) continue;
    process.on(signal as NodeJS.Signals, () => {
      try {
        before?.(signal);
      } finally {
        killAllHelpers();
        removeAllScratch();
        process.exit(128 + number);
      }
    });
  }
}
