// Turning the launch's "program" into what the machine boots and the debugger maps: an image, and a listing
// when there is one. A .asm is assembled first, through the bounded runner (common/nasm.ts): the adapter
// keeps answering requests meanwhile, reports progress, and a disconnect stops the assembler. nasm's
// messages become the failed launch's message. Every file named by the user is checked before it is read.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

import { describeStop, runBounded } from '../common/bounded-process';
import { inspectImage } from '../common/image';
import { readInputFile } from '../common/input-file';
import {
  MAX_LISTING_BYTES,
  MAX_SOURCE_BYTES,
  NASM_DEFAULT_TIMEOUT_MS,
  NASM_MAX_IMAGE_BYTES,
  NASM_MAX_MESSAGE_BYTES,
} from '../common/limits';
import { ListingMap } from '../common/listing';
import { assembleAsync, AssemblerStoppedError, AssemblyError, parseNasmDiagnostics } from '../common/nasm';
import { makeScratchDir } from '../common/scratch';
import type { LaunchConfig } from './launch-config';
import type { MultibootModule } from '../common/multiboot-boot';
import type { MultibootKernel } from '../common/multiboot';

export interface LoadedProgram {
  /** The bytes to boot when they are not a user's file (assembled into a temp folder, a kernel); else absent. */
  image?: Uint8Array;
  /** The file booted: a user's disk image is mapped from here (as `bootvisor run` does), never read whole. */
  imagePath: string;
  listingPath?: string;
  listing?: ListingMap;
  /** Sources the listing maps to, hashed as assembled (for the exit report). */
  sources: { file: string; sha256: string }[];
  /** Warnings to show in the Debug Console (nasm's, listing problems). */
  warnings: string[];
  /** Removes temp files. */
  dispose(): void;
  /** A multiboot kernel to load instead of booting `image` from a disk (`image` is then the kernel file). */
  kernel?: { kernel: MultibootKernel; modules: MultibootModule[]; cmdline?: string };
}

export interface LoadOptions {
  /** Stops the assembler (the session is ending). */
  signal?: AbortSignal;
  /** While the assembler runs: the time spent so far. */
  onProgress?: (elapsedMs: number) => void;
}

export class ProgramError extends Error {}

function sha256(file: string): string {
  try {
    return crypto
      .createHash('sha256')
      .update(readInputFile(file, 'a NASM source', MAX_SOURCE_BYTES))
      .digest('hex');
  } catch {
    return '';
  }
}

/** Reads the listing into memory; a temp folder holding it can go right after. */
function withListing(base: Omit<LoadedProgram, 'listing' | 'sources'>, mainFile: string | undefined): LoadedProgram {
  if (!base.listingPath || !mainFile) return { ...base, sources: [] };
  const listing = ListingMap.fromFile(base.listingPath, { mainFile });
  const sources = listing.files().map((file) => ({ file, sha256: sha256(file) }));
  return { ...base, listing, sources, warnings: [...base.warnings, ...listing.warnings] };
}

async function runCustomAssembler(config: LaunchConfig, options: LoadOptions): Promise<LoadedProgram> {
  const scratch = makeScratchDir('bootvisor-nasm-');
  try {
    const base = path.basename(config.program).replace(/\.[^.]*$/, '');
    const output = path.join(scratch.dir, `${base}.img`);
    const listingPath = path.join(scratch.dir, `${base}.lst`);
    const args = config.assembler.args!.map((a) =>
      a
        .replace(/\$\{program\}/g, config.program)
        .replace(/\$\{output\}/g, output)
        .replace(/\$\{listing\}/g, listingPath),
    );
    const r = await runBounded({
      command: config.assembler.command,
      args,
      cwd: path.dirname(config.program),
      timeoutMs: NASM_DEFAULT_TIMEOUT_MS,
      maxOutputBytes: NASM_MAX_MESSAGE_BYTES,
      outputFiles: [
        { path: output, maxBytes: NASM_MAX_IMAGE_BYTES },
        { path: listingPath, maxBytes: MAX_LISTING_BYTES },
      ],
      signal: options.signal,
      onProgress: options.onProgress,
    });
    if (r.spawnError) {
      throw new ProgramError(
        `Could not run the assembler "${config.assembler.command}": ${r.spawnError.message}. Check "assembler" in launch.json.`,
      );
    }
    if (r.stopped)
      throw new AssemblerStoppedError(
        r.stopped,
        `${config.program}: ${describeStop(config.assembler.command, r, NASM_DEFAULT_TIMEOUT_MS)}`,
      );
    const out = r.output;
    if (r.status !== 0 || !fs.existsSync(output)) {
      throw new AssemblyError(
        config.program,
        parseNasmDiagnostics(out),
        out || `${config.assembler.command} exited with status ${r.status}`,
      );
    }
    return withListing(
      {
        image: readInputFile(output, 'the assembled image', NASM_MAX_IMAGE_BYTES),
        imagePath: output,
        listingPath: fs.existsSync(listingPath) ? listingPath : undefined,
        warnings: out.trim() ? [out.trim()] : [],
        dispose: () => undefined,
      },
      config.program,
    );
  } finally {
    scratch.remove();
  }
}

export async function loadProgram(config: LaunchConfig, options: LoadOptions = {}): Promise<LoadedProgram> {
  if (config.kind === 'source') {
    if (config.assembler.args) return runCustomAssembler(config, options);
    const built = await assembleAsync(config.program, {
      nasm: config.assembler.command,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    try {
      return withListing(
        {
          image: built.image,
          imagePath: built.imagePath,
          listingPath: built.listingPath,
          warnings: built.warnings.map((w) => `${w.file}:${w.line}: warning: ${w.message}`),
          dispose: () => undefined,
        },
        config.program,
      );
    } finally {
      built.remove();
    }
  }
  const kernel = loadKernel(config);
  if (kernel) return kernel;
  if (config.cmdline !== undefined || config.modules) {
    throw new ProgramError(
      `"${config.cmdline !== undefined ? 'cmdline' : 'modules'}" is for multiboot kernels; ${path.basename(config.program)} is not one (not an ELF).`,
    );
  }
  // Checked from its size and first sector; the machine maps the file (copy-on-write, never written), so a
  // 2 GiB image costs host memory only for what the guest reads, as under `bootvisor run`.
  inspectImage(config.program, { requireSignature: false });
  let listingPath = config.listing;
  if (!listingPath) {
    const guess = config.program.replace(/\.[^.]*$/, '.lst');
    if (guess !== config.program && fs.existsSync(guess)) listingPath = guess;
  }
  const mainFile = listingPath ? findMainSource(listingPath, config.program) : undefined;
  const warnings: string[] = [];
  if (!listingPath)
    warnings.push(
      `No listing for ${path.basename(config.program)}: source breakpoints are unavailable. Assemble with \`nasm -l\` and set "listing".`,
    );
  return withListing({ imagePath: config.program, listingPath, warnings, dispose: () => undefined }, mainFile);
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

/** A multiboot kernel (an ELF, or a flat binary with the header's addresses), read and checked; else undefined. */
function loadKernel(config: LaunchConfig): LoadedProgram | undefined {
  const { looksLikeKernel, parseMultibootKernel, MultibootError, MULTIBOOT_SEARCH_BYTES } =
    require('../common/multiboot') as typeof import('../common/multiboot');
  const { readPrefix } = require('../common/image') as typeof import('../common/image');
  const { MAX_KERNEL_BYTES, MAX_MODULE_BYTES } = require('../common/limits') as typeof import('../common/limits');
  if (!looksLikeKernel(readPrefix(config.program, MULTIBOOT_SEARCH_BYTES), fs.statSync(config.program).size))
    return undefined;
  const bytes = readInputFile(config.program, 'a kernel', MAX_KERNEL_BYTES);
  let kernel: MultibootKernel;
  try {
    kernel = parseMultibootKernel(bytes, path.basename(config.program));
  } catch (e) {
    if (e instanceof MultibootError) throw new ProgramError(e.message);
    throw e;
  }
  const modules = (config.modules ?? []).map((file) => ({
    name: path.relative(config.cwd, file) || file,
    data: readInputFile(file, 'a module', MAX_MODULE_BYTES),
  }));
  return {
    image: bytes,
    imagePath: config.program,
    sources: [],
    warnings: [
      `${path.basename(config.program)} is a multiboot kernel: breakpoints on its C lines and its call stack come from its DWARF line table and symbols; stepping is by C line (by instruction in the Disassembly view); C variables, expressions and the call stack come from gdb reading its DWARF (when gdb is installed).`,
    ],
    dispose: () => undefined,
    kernel: { kernel, modules, cmdline: config.cmdline },
  };
}
