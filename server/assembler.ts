// Runs nasm on a temporary copy of a document (never writing into the user's tree) and reads back its
// messages, the image and the listing. %include and incbin still resolve: nasm runs in the file's own
// directory with `-I` pointing there. nasm runs through the shared bounded runner (common/bounded-process.ts):
// time limit, capped messages and output files, killed with its process group on timeout or cancel.
import * as fs from 'fs';
import * as path from 'path';

import { describeStop, runBounded } from '../common/bounded-process';
import { readInputFile } from '../common/input-file';
import { MAX_LISTING_BYTES, NASM_MAX_IMAGE_BYTES, NASM_MAX_MESSAGE_BYTES } from '../common/limits';
import { makeScratchDir } from '../common/scratch';

export interface NasmMessage {
  /** The file nasm named: the document itself (`null` file) or an included file's absolute path. */
  file: string | null;
  /** 0-based */
  line: number;
  severity: 'error' | 'warning' | 'information';
  message: string;
}

export type AssembleResult =
  | { ok: true; messages: NasmMessage[]; image?: Buffer; listing?: string; format: string }
  | { ok: false; missingNasm: true; detail: string }
  | { ok: false; missingNasm: false; detail: string };

export interface AssembleOptions {
  nasmPath: string;
  /** Kill nasm after this long (a runaway %rep must not hang the server). */
  timeoutMs?: number;
  format?: 'bin' | 'elf32' | 'elf64';
  /** Stops nasm (a newer keystroke, or the server shutting down). */
  signal?: AbortSignal;
  /** Unsaved text of other open files (absolute paths): used instead of the disk copy when included. */
  overlay?: { file: string; text: string }[];
}

/** Chooses nasm's output format: object formats for files that link with others, flat binary otherwise. */
export function chooseFormat(text: string): 'bin' | 'elf32' | 'elf64' {
  if (/^\s*(global|extern)\s/im.test(text) && !/^\s*\[?\s*org\b/im.test(text)) {
    return /^\s*\[?\s*bits\s+64/im.test(text) ? 'elf64' : 'elf32';
  }
  return 'bin';
}

export async function assemble(text: string, documentPath: string, options: AssembleOptions): Promise<AssembleResult> {
  const scratch = makeScratchDir('bootvisor-lsp-');
  const tmp = scratch.dir;
  try {
    const base = path.basename(documentPath) || 'untitled.asm';
    const source = path.join(tmp, base);
    const image = path.join(tmp, 'out.bin');
    const listing = path.join(tmp, 'out.lst');
    await fs.promises.writeFile(source, text);
    const dir = path.dirname(documentPath);
    const dirExists = dir !== '' && fs.existsSync(dir);
    // Open includes under the document's folder are mirrored into the temp folder, which nasm searches first
    // (it is nasm's current directory); everything else still comes from the user's folder through -I.
    const src = path.join(tmp, 'src');
    await fs.promises.mkdir(src);
    for (const o of options.overlay ?? []) {
      const rel = path.relative(dir, o.file);
      if (!dirExists || rel.startsWith('..') || path.isAbsolute(rel) || o.file === documentPath) continue;
      await fs.promises.mkdir(path.dirname(path.join(src, rel)), { recursive: true });
      await fs.promises.writeFile(path.join(src, rel), o.text);
    }
    const format = options.format ?? chooseFormat(text);
    const args = ['-f', format, '-o', image, '-l', listing, '-I', src + path.sep];
    if (dirExists) args.push('-I', dir + path.sep);
    args.push(source);
    const timeoutMs = options.timeoutMs ?? 10000;
    const run = await runBounded({
      command: options.nasmPath,
      args,
      cwd: src,
      timeoutMs,
      maxOutputBytes: NASM_MAX_MESSAGE_BYTES,
      outputFiles: [
        { path: image, maxBytes: NASM_MAX_IMAGE_BYTES },
        { path: listing, maxBytes: MAX_LISTING_BYTES },
      ],
      signal: options.signal,
    });
    if (run.spawnError) {
      const code = run.spawnError.code;
      if (code === 'ENOENT' || code === 'EACCES') {
        return {
          ok: false,
          missingNasm: true,
          detail: `${options.nasmPath}: ${code === 'ENOENT' ? 'not found' : 'not executable'}`,
        };
      }
      return { ok: false, missingNasm: false, detail: `nasm failed to run (${code ?? run.spawnError.message})` };
    }
    if (run.stopped === 'aborted' || options.signal?.aborted)
      return { ok: false, missingNasm: false, detail: 'cancelled' };
    if (run.stopped) return { ok: false, missingNasm: false, detail: describeStop('nasm', run, timeoutMs)! };
    const messages = parseNasmMessages(run.output, source, src, dir);
    const readIf = (p: string, max: number): Buffer | undefined =>
      fs.existsSync(p) ? readInputFile(p, 'nasm output', max) : undefined;
    const bin = run.status === 0 ? readIf(image, NASM_MAX_IMAGE_BYTES) : undefined;
    const lst = readIf(listing, MAX_LISTING_BYTES);
    return { ok: true, messages, image: bin, listing: lst?.toString('latin1'), format };
  } finally {
    scratch.remove();
  }
}

/** `file:line: severity: message` lines; "... from macro `m' defined here" lines become context of the previous one. */
export function parseNasmMessages(stderr: string, tempSource: string, cwd: string, userDir: string): NasmMessage[] {
  const out: NasmMessage[] = [];
  for (const text of stderr.split(/\r?\n/)) {
    const m = /^(.*?):(\d+): (error|warning|fatal|panic|info|note): (.*)$/.exec(text);
    if (m) {
      const severity = m[3] === 'warning' ? 'warning' : m[3] === 'info' || m[3] === 'note' ? 'information' : 'error';
      out.push({
        file: fileOf(m[1], tempSource, cwd, userDir),
        line: Math.max(0, Number(m[2]) - 1),
        severity,
        message: m[4],
      });
      continue;
    }
    const ctx = /^(.*?):(\d+): \.\.\. (.*)$/.exec(text);
    if (ctx && out.length > 0) {
      out[out.length - 1].message += ` (${ctx[3].replace(/`/g, "'")} at ${path.basename(ctx[1])}:${ctx[2]})`;
      continue;
    }
    const bare = /^nasm: (error|warning|fatal): (.*)$/.exec(text);
    if (bare)
      out.push({ file: null, line: 0, severity: bare[1] === 'warning' ? 'warning' : 'error', message: bare[2] });
  }
  return out;
}

function fileOf(named: string, tempSource: string, cwd: string, userDir: string): string | null {
  const resolved = path.resolve(cwd, named);
  if (named === tempSource || resolved === tempSource) return null;
  if (resolved.startsWith(cwd + path.sep)) return path.join(userDir, path.relative(cwd, resolved));
  return resolved;
}
