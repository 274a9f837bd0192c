// Turning the launch's "program" into what the machine boots and the debugger maps: an image, and a listing
// when there is one. A .asm is assembled first (nasm's messages become the failed launch's message).
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readImage } from '../common/image';
import { ListingMap } from '../common/listing';
import { assemble, AssemblyError, parseNasmDiagnostics } from '../common/nasm';
import type { LaunchConfig } from './launch-config';

export interface LoadedProgram {
  image: Uint8Array;
  imagePath: string;
  listingPath?: string;
  listing?: ListingMap;
  /** Sources the listing maps to, hashed as assembled (for the exit report). */
  sources: { file: string; sha256: string }[];
  /** Warnings to show in the Debug Console (nasm's, listing problems). */
  warnings: string[];
  /** Removes temp files. */
  dispose(): void;
}

export class ProgramError extends Error {}

function sha256(file: string): string {
  try {
    return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return '';
  }
}

function withListing(base: Omit<LoadedProgram, 'listing' | 'sources'>, mainFile: string | undefined): LoadedProgram {
  if (!base.listingPath || !mainFile) return { ...base, sources: [] };
  const listing = ListingMap.fromFile(base.listingPath, { mainFile });
  const sources = listing.files().map((file) => ({ file, sha256: sha256(file) }));
  return { ...base, listing, sources, warnings: [...base.warnings, ...listing.warnings] };
}

function runCustomAssembler(config: LaunchConfig): LoadedProgram {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-asm-'));
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  const base = path.basename(config.program).replace(/\.[^.]*$/, '');
  const output = path.join(dir, `${base}.img`);
  const listingPath = path.join(dir, `${base}.lst`);
  const args = config.assembler.args!.map((a) => a.replace(/\$\{program\}/g, config.program).replace(/\$\{output\}/g, output).replace(/\$\{listing\}/g, listingPath));
  const r = spawnSync(config.assembler.command, args, { encoding: 'utf8', cwd: path.dirname(config.program) });
  if (r.error) {
    remove();
    throw new ProgramError(`Could not run the assembler "${config.assembler.command}": ${r.error.message}. Check "assembler" in launch.json.`);
  }
  const out = `${r.stderr ?? ''}${r.stdout ?? ''}`;
  if (r.status !== 0 || !fs.existsSync(output)) {
    remove();
    throw new AssemblyError(config.program, parseNasmDiagnostics(out), out || `${config.assembler.command} exited with status ${r.status}`);
  }
  return withListing(
    { image: fs.readFileSync(output), imagePath: output, listingPath: fs.existsSync(listingPath) ? listingPath : undefined, warnings: out.trim() ? [out.trim()] : [], dispose: remove },
    config.program,
  );
}

export function loadProgram(config: LaunchConfig): LoadedProgram {
  if (config.kind === 'source') {
    if (config.assembler.args) return runCustomAssembler(config);
    const built = assemble(config.program, { nasm: config.assembler.command });
    return withListing(
      {
        image: built.image,
        imagePath: built.imagePath,
        listingPath: built.listingPath,
        warnings: built.warnings.map((w) => `${w.file}:${w.line}: warning: ${w.message}`),
        dispose: () => built.remove(),
      },
      config.program,
    );
  }
  const image = readImage(config.program, { requireSignature: false });
  let listingPath = config.listing;
  if (!listingPath) {
    const guess = config.program.replace(/\.[^.]*$/, '.lst');
    if (guess !== config.program && fs.existsSync(guess)) listingPath = guess;
  }
  const mainFile = listingPath ? findMainSource(listingPath, config.program) : undefined;
  const warnings: string[] = [];
  if (!listingPath) warnings.push(`No listing for ${path.basename(config.program)}: source breakpoints are unavailable. Assemble with \`nasm -l\` and set "listing".`);
  return withListing({ image, imagePath: config.program, listingPath, warnings, dispose: () => undefined }, mainFile);
}

/** The listing does not name its source: take the .asm beside the listing or the image with the same name. */
function findMainSource(listingPath: string, imagePath: string): string {
  for (const candidate of [listingPath, imagePath]) {
    for (const ext of ['.asm', '.s', '.nasm']) {
      const file = candidate.replace(/\.[^.]*$/, ext);
      if (fs.existsSync(file)) return file;
    }
  }
  return listingPath.replace(/\.[^.]*$/, '.asm');
}
