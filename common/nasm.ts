// Assembling a NASM source into a flat binary and its listing (`nasm -f bin -l`), in a private temp folder,
// through the one bounded runner (common/bounded-process.ts): a time limit, capped messages and output
// files, cancellation, nothing left running or on disk. The CLI, the debug adapter, the language server and
// the extension all assemble through here. The listing is what maps addresses back to source lines
// (common/listing.ts reads it).
import { spawnSync } from 'child_process';
import * as path from 'path';

import { cpuLimitSeconds, describeStop, runBounded, withCpuLimit } from './bounded-process';
import { checkInputFile, readInputFile } from './input-file';
import {
  MAX_LISTING_BYTES,
  MAX_SOURCE_BYTES,
  NASM_DEFAULT_TIMEOUT_MS,
  NASM_MAX_IMAGE_BYTES,
  NASM_MAX_MESSAGE_BYTES,
} from './limits';
import { makeScratchDir } from './scratch';

export const NASM_INSTALL_HINT =
  'Install it: `sudo apt-get install nasm` (Debian, Ubuntu), `brew install nasm` (macOS), ' +
  '`pkgin install nasm` (NetBSD); or run an already assembled image instead.';

export class NasmMissingError extends Error {
  constructor(readonly command: string) {
    super(`nasm was not found (tried \`${command}\`): Bootvisor needs it to assemble .asm files. ${NASM_INSTALL_HINT}`);
    this.name = 'NasmMissingError';
  }
}

export interface AssemblyDiagnostic {
  file: string;
  /** 1-based; 0 when nasm named no line. */
  line: number;
  severity: 'error' | 'warning';
  message: string;
}

export class AssemblyError extends Error {
  constructor(
    readonly source: string,
    readonly diagnostics: AssemblyDiagnostic[],
    readonly output: string,
  ) {
    super(`nasm could not assemble ${source}:\n${output.trim() || '(no message; nasm exited with an error)'}`);
    this.name = 'AssemblyError';
  }
}

/** nasm (or a custom assembler) was stopped before it finished: too slow, cancelled, output too large. */
export class AssemblerStoppedError extends Error {
  constructor(
    readonly reason: 'timeout' | 'aborted' | 'file-too-large' | 'cpu-limit',
    message: string,
  ) {
    super(message);
    this.name = 'AssemblerStoppedError';
  }
}

export interface Assembled {
  /** The flat binary. */
  image: Uint8Array;
  imagePath: string;
  listingPath: string;
  /** The temp folder holding both; remove() deletes it (it goes at process exit in any case). */
  dir: string;
  /** nasm's warnings (assembly succeeded). */
  warnings: AssemblyDiagnostic[];
  remove(): void;
}

export interface AssembleOptions {
  /** The nasm executable (default: BOOTVISOR_NASM, else `nasm` on PATH). */
  nasm?: string;
  /** Extra include folders (the source's own folder is always searched first). */
  includeDirs?: string[];
  /** -D definitions. */
  defines?: Record<string, string | number>;
  /** More nasm options (warnings, `--before`), placed before the source. */
  extraArgs?: string[];
  /** Stop nasm after this long (default NASM_DEFAULT_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Stops nasm (the session ended, the user gave up). */
  signal?: AbortSignal;
  /** Called while nasm runs (about every 250 ms) with the time spent, for progress reports. */
  onProgress?: (elapsedMs: number) => void;
}

/** `file:line: error: text` and `file:line: warning: text [-w+...]`, as nasm prints them. */
export function parseNasmDiagnostics(output: string): AssemblyDiagnostic[] {
  const out: AssemblyDiagnostic[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const m =
      /^(.*?):(\d+): (error|warning|fatal|panic): (.*)$/.exec(raw) ??
      /^nasm: (error|warning|fatal|panic): (.*)$/.exec(raw);
    if (!m) continue;
    if (m.length === 5) {
      out.push({ file: m[1], line: Number(m[2]), severity: m[3] === 'warning' ? 'warning' : 'error', message: m[4] });
    } else {
      out.push({ file: '', line: 0, severity: m[1] === 'warning' ? 'warning' : 'error', message: m[2] });
    }
  }
  return out;
}

interface Prepared {
  nasm: string;
  abs: string;
  args: string[];
  imagePath: string;
  listingPath: string;
  scratch: { dir: string; remove(): void };
}

/** Checks the source, makes the temp folder and nasm's command line. */
function prepare(source: string, options: AssembleOptions): Prepared {
  const nasm = options.nasm ?? (process.env.BOOTVISOR_NASM || 'nasm');
  const abs = path.resolve(source);
  checkInputFile(source, 'a NASM source', MAX_SOURCE_BYTES);
  const scratch = makeScratchDir('bootvisor-nasm-');
  const base = path.basename(abs).replace(/\.[^.]*$/, '');
  const imagePath = path.join(scratch.dir, `${base}.img`);
  const listingPath = path.join(scratch.dir, `${base}.lst`);
  const args = ['-f', 'bin', '-o', imagePath, '-l', listingPath];
  for (const inc of [path.dirname(abs), ...(options.includeDirs ?? [])]) args.push('-I', inc + path.sep);
  for (const [k, v] of Object.entries(options.defines ?? {})) args.push(`-D${k}=${v}`);
  args.push(...(options.extraArgs ?? []), abs);
  return { nasm, abs, args, imagePath, listingPath, scratch };
}

/** nasm's outcome into an Assembled or the error that explains it; removes the folder on failure. */
function conclude(source: string, p: Prepared, status: number | null, output: string): Assembled {
  const diagnostics = parseNasmDiagnostics(output);
  try {
    if (status !== 0) throw new AssemblyError(source, diagnostics, output);
    let image: Uint8Array;
    try {
      image = readInputFile(p.imagePath, 'the assembled image', NASM_MAX_IMAGE_BYTES);
    } catch {
      throw new AssemblyError(source, diagnostics, output || 'nasm wrote no image');
    }
    return {
      image,
      imagePath: p.imagePath,
      listingPath: p.listingPath,
      dir: p.scratch.dir,
      warnings: diagnostics.filter((d) => d.severity === 'warning'),
      remove: p.scratch.remove,
    };
  } catch (e) {
    p.scratch.remove();
    throw e;
  }
}

/**
 * Assembles `source` with nasm, asynchronously and bounded: the caller's event loop keeps serving (a debug
 * adapter answers requests meanwhile), and a runaway source ends with AssemblerStoppedError.
 */
export async function assembleAsync(source: string, options: AssembleOptions = {}): Promise<Assembled> {
  const p = prepare(source, options);
  const timeoutMs = options.timeoutMs ?? NASM_DEFAULT_TIMEOUT_MS;
  const r = await runBounded({
    command: p.nasm,
    args: p.args,
    cwd: path.dirname(p.abs),
    timeoutMs,
    maxOutputBytes: NASM_MAX_MESSAGE_BYTES,
    outputFiles: [
      { path: p.imagePath, maxBytes: NASM_MAX_IMAGE_BYTES },
      { path: p.listingPath, maxBytes: MAX_LISTING_BYTES },
    ],
    signal: options.signal,
    onProgress: options.onProgress,
  });
  if (r.spawnError || r.stopped) p.scratch.remove();
  if (r.spawnError) {
    if (r.spawnError.code === 'ENOENT') throw new NasmMissingError(p.nasm);
    throw new Error(`could not run ${p.nasm}: ${r.spawnError.message}`);
  }
  if (r.stopped) throw new AssemblerStoppedError(r.stopped, `${source}: ${describeStop('nasm', r, timeoutMs)}`);
  return conclude(source, p, r.status, r.output);
}

/**
 * The same, blocking, for tests, tools and callers that wait anyway (the name every test knows): bounded in time and messages (nasm starts no
 * processes of its own, so killing it leaves nothing behind), not in the size of its output files.
 */
export function assemble(source: string, options: Omit<AssembleOptions, 'signal' | 'onProgress'> = {}): Assembled {
  const p = prepare(source, options);
  const timeoutMs = options.timeoutMs ?? NASM_DEFAULT_TIMEOUT_MS;
  // Under a CPU limit too: spawnSync kills nasm at the timeout, but not if our own process is killed first.
  const [command, args] = withCpuLimit(p.nasm, p.args, cpuLimitSeconds(timeoutMs), path.dirname(p.abs));
  const r = spawnSync(command, args, {
    encoding: 'utf8',
    cwd: path.dirname(p.abs),
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: NASM_MAX_MESSAGE_BYTES,
  });
  const error = r.error as NodeJS.ErrnoException | undefined;
  if (error) {
    p.scratch.remove();
    if (error.code === 'ENOENT') throw new NasmMissingError(p.nasm);
    if (error.code === 'ETIMEDOUT') {
      throw new AssemblerStoppedError(
        'timeout',
        `${source}: nasm did not finish within ${(timeoutMs / 1000).toFixed(1)} s and was stopped`,
      );
    }
    throw new Error(`could not run ${p.nasm}: ${error.message}`);
  }
  return conclude(source, p, r.status, `${r.stderr ?? ''}${r.stdout ?? ''}`);
}
