// `bootvisor run KERNEL` for a Multiboot kernel: the kernel and its --module files read within their bounds
// (never written), the kernel checked as a loader checks it. Failures are CliErrors with the status the
// README documents: 65 for a kernel that cannot be loaded, 66 for a file that cannot be read.
import type { MultibootModule } from '../common/multiboot-boot';
import type { MultibootKernel } from '../common/multiboot';
import { CliError, ExitStatus } from './exit-codes';

export interface KernelInput {
  kernel: MultibootKernel;
  /** The kernel file's bytes (a recording hashes them). */
  bytes: Uint8Array;
  modules: MultibootModule[];
}

/** Whether `file` (already checked to be a readable regular file) is a kernel rather than a disk image. */
export function isKernelFile(file: string): boolean {
  const { readPrefix } = require('../common/image') as typeof import('../common/image');
  const { looksLikeKernel, MULTIBOOT_SEARCH_BYTES } =
    require('../common/multiboot') as typeof import('../common/multiboot');
  const fs = require('fs') as typeof import('fs');
  try {
    const size = fs.statSync(file).size;
    return looksLikeKernel(readPrefix(file, MULTIBOOT_SEARCH_BYTES), size);
  } catch {
    return false;
  }
}

function readBounded(file: string, what: string, max: number): Uint8Array {
  const { readInputFile, InputFileError } = require('../common/input-file') as typeof import('../common/input-file');
  try {
    return readInputFile(file, what, max);
  } catch (e) {
    if (e instanceof InputFileError)
      throw new CliError(e.problem === 'too-large' ? ExitStatus.badImage : ExitStatus.noInput, e.message);
    throw e;
  }
}

export function readKernelInput(file: string, moduleFiles: string[]): KernelInput {
  const { MAX_KERNEL_BYTES, MAX_MODULE_BYTES } = require('../common/limits') as typeof import('../common/limits');
  const { parseMultibootKernel, MultibootError } =
    require('../common/multiboot') as typeof import('../common/multiboot');
  const bytes = readBounded(file, 'a kernel', MAX_KERNEL_BYTES);
  let kernel: MultibootKernel;
  try {
    kernel = parseMultibootKernel(bytes, file);
  } catch (e) {
    if (e instanceof MultibootError) throw new CliError(ExitStatus.badImage, e.message);
    throw e;
  }
  const modules = moduleFiles.map((name) => ({ name, data: readBounded(name, 'a module', MAX_MODULE_BYTES) }));
  return { kernel, bytes, modules };
}
