// Assembling a NASM source into a flat binary and its listing (`nasm -f bin -l`), in a private temp folder.
// The listing is what maps addresses back to source lines (common/listing.ts reads it).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

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

export interface Assembled {
  /** The flat binary. */
  image: Uint8Array;
  imagePath: string;
  listingPath: string;
  /** The temp folder holding both; remove() deletes it. */
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
}

/** `file:line: error: text` and `file:line: warning: text [-w+...]`, as nasm prints them. */
export function parseNasmDiagnostics(output: string): AssemblyDiagnostic[] {
  const out: AssemblyDiagnostic[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const m = /^(.*?):(\d+): (error|warning|fatal|panic): (.*)$/.exec(raw) ?? /^nasm: (error|warning|fatal|panic): (.*)$/.exec(raw);
    if (!m) continue;
    if (m.length === 5) {
      out.push({ file: m[1], line: Number(m[2]), severity: m[3] === 'warning' ? 'warning' : 'error', message: m[4] });
    } else {
      out.push({ file: '', line: 0, severity: m[1] === 'warning' ? 'warning' : 'error', message: m[2] });
    }
  }
  return out;
}

/** Assembles `source` with nasm (synchronously: it takes milliseconds and the caller waits for it anyway). */
export function assemble(source: string, options: AssembleOptions = {}): Assembled {
  const nasm = options.nasm ?? (process.env.BOOTVISOR_NASM || 'nasm');
  const abs = path.resolve(source);
  if (!fs.existsSync(abs)) throw new Error(`${source}: no such file.`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-nasm-'));
  const remove = (): void => fs.rmSync(dir, { recursive: true, force: true });
  const base = path.basename(abs).replace(/\.[^.]*$/, '');
  const imagePath = path.join(dir, `${base}.img`);
  const listingPath = path.join(dir, `${base}.lst`);
  const args = ['-f', 'bin', '-o', imagePath, '-l', listingPath];
  for (const inc of [path.dirname(abs), ...(options.includeDirs ?? [])]) args.push('-I', inc + path.sep);
  for (const [k, v] of Object.entries(options.defines ?? {})) args.push(`-D${k}=${v}`);
  args.push(abs);
  const r = spawnSync(nasm, args, { encoding: 'utf8', cwd: path.dirname(abs) });
  if (r.error) {
    remove();
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new NasmMissingError(nasm);
    throw new Error(`could not run ${nasm}: ${r.error.message}`);
  }
  const output = `${r.stderr ?? ''}${r.stdout ?? ''}`;
  const diagnostics = parseNasmDiagnostics(output);
  if (r.status !== 0 || !fs.existsSync(imagePath)) {
    remove();
    throw new AssemblyError(source, diagnostics, output);
  }
  return {
    image: fs.readFileSync(imagePath),
    imagePath,
    listingPath,
    dir,
    warnings: diagnostics.filter((d) => d.severity === 'warning'),
    remove,
  };
}
