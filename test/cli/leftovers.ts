// What a run may leave behind, checked the same way by every hostile-input test: processes (nasm, a custom
// assembler) and temp folders. Each run gets a private TMPDIR, so the check sees only its own leftovers on
// a machine where other runs come and go.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface Sandbox {
  /** The TMPDIR the runs get. */
  tmp: string;
  env: NodeJS.ProcessEnv;
  /** Processes whose command line names the sandbox (nasm writes its output there). */
  processes(): string[];
  /** What is left in the sandbox's TMPDIR. */
  files(): string[];
  /** Waits (bounded) until no process of the sandbox runs, then says what is left: [] when clean. */
  leftovers(waitMs?: number): Promise<string[]>;
  remove(): void;
}

export function sandbox(): Sandbox {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-sandbox-'));
  const processes = (): string[] => {
    const r = spawnSync('pgrep', ['-af', tmp], { encoding: 'utf8' });
    return (r.stdout ?? '').split('\n').filter((l) => l.trim() !== '');
  };
  const files = (): string[] => fs.readdirSync(tmp);
  return {
    tmp,
    env: { ...process.env, TMPDIR: tmp },
    processes,
    files,
    async leftovers(waitMs = 5000) {
      const until = Date.now() + waitMs;
      while (processes().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      return [...processes().map((p) => `process: ${p}`), ...files().map((f) => `file: ${f}`)];
    },
    remove: () => fs.rmSync(tmp, { recursive: true, force: true }),
  };
}

/** A NASM source nasm cannot finish in any reasonable time (10^9 lines through nested %rep). */
export const RUNAWAY_ASM =
  'bits 16\norg 0x7c00\n%rep 1000\n%rep 1000000\nnop\n%endrep\n%endrep\ntimes 510-($-$$) db 0\ndw 0xaa55\n';
