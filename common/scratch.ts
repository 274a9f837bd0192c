// Temporary folders (nasm's output, listings) that must not outlive the process that made them, however it
// ends: normally, by process.exit, or by a signal the entry point turns into an exit (exitOnSignals).
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

/** A fresh folder under the system's temp folder, named PREFIX-XXXXXX, removed at exit at the latest. */
export function makeScratchDir(prefix: string): ScratchDir {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
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
