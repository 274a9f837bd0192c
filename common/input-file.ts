// Reading a file the user named (an image, a .asm, a listing) without trusting what the path is: it must be
// a regular file within a size bound, checked on the opened descriptor (so a FIFO never blocks the open and
// the file checked is the file read), and it is read up to that size and no further. /dev/zero, a FIFO or a
// directory get a message in bounded time and memory instead of a hang. Output paths are checked likewise.
import * as fs from 'fs';

export type InputProblem = 'missing' | 'unreadable' | 'not-a-file' | 'too-large';

export class InputFileError extends Error {
  constructor(
    readonly problem: InputProblem,
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'InputFileError';
  }
}

/** What a non-regular file is, in words. */
export function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

const sizeInWords = (n: number): string =>
  n >= 2 ** 30
    ? `${(n / 2 ** 30).toFixed(1)} GiB`
    : n >= 2 ** 20
      ? `${(n / 2 ** 20).toFixed(1)} MiB`
      : n >= 1024
        ? `${(n / 1024).toFixed(0)} KiB`
        : `${n} bytes`;

/** The message of a failed open or stat, for the user. */
export function openProblem(file: string, e: unknown): InputFileError {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return new InputFileError('missing', file, `${file}: no such file.`);
    case 'EACCES':
    case 'EPERM':
      return new InputFileError('unreadable', file, `${file}: permission denied.`);
    case 'ENAMETOOLONG':
      return new InputFileError(
        'unreadable',
        file,
        `${file.slice(0, 60)}...: the path is too long (${file.length} characters) for this system.`,
      );
    case 'ENOTDIR':
      return new InputFileError('missing', file, `${file}: a part of the path is not a folder.`);
    case 'ELOOP':
      return new InputFileError('unreadable', file, `${file}: too many levels of symbolic links.`);
    default:
      return new InputFileError('unreadable', file, `${file}: cannot read it (${(e as Error).message}).`);
  }
}

function openChecked(file: string, what: string, maxBytes: number): { fd: number; size: number } {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw notAFile(file, what, 'a directory');
    throw openProblem(file, e);
  }
  let stat: fs.Stats;
  try {
    stat = fs.fstatSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    throw openProblem(file, e);
  }
  if (!stat.isFile()) {
    fs.closeSync(fd);
    throw notAFile(file, what, kindOf(stat));
  }
  if (stat.size > maxBytes) {
    fs.closeSync(fd);
    throw new InputFileError(
      'too-large',
      file,
      `${file} is ${sizeInWords(stat.size)}; ${what} can be at most ${sizeInWords(maxBytes)}.`,
    );
  }
  return { fd, size: stat.size };
}

function notAFile(file: string, what: string, kind: string): InputFileError {
  return new InputFileError(
    'not-a-file',
    file,
    `${file} is ${kind}, not a regular file: ${what} must be a regular file.`,
  );
}

/** Checks that `file` is a regular file of at most `maxBytes` (before handing it to another program). */
export function checkInputFile(file: string, what: string, maxBytes: number): number {
  const { fd, size } = openChecked(file, what, maxBytes);
  fs.closeSync(fd);
  return size;
}

/** Reads a regular file of at most `maxBytes`; never more than the size it had when opened. */
export function readInputFile(file: string, what: string, maxBytes: number): Buffer {
  const { fd, size } = openChecked(file, what, maxBytes);
  try {
    const buffer = Buffer.alloc(size);
    let at = 0;
    while (at < size) {
      const n = fs.readSync(fd, buffer, at, size - at, at);
      if (n === 0) break; // it shrank meanwhile
      at += n;
    }
    return at === size ? buffer : buffer.subarray(0, at);
  } catch (e) {
    throw openProblem(file, e);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Why an output path cannot be written without hanging or writing somewhere unexpected, or undefined when it
 * can: it must be a regular file, a new file, or a character device (/dev/null, a terminal). A FIFO would
 * block until a reader comes; a directory or a socket cannot be a file's content.
 */
export function outputProblem(file: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return openProblem(file, e).message;
  }
  if (stat.isFile() || stat.isCharacterDevice()) return undefined;
  return `${file} is ${kindOf(stat)}: name a regular file${stat.isFIFO() ? ' (or - and pipe standard output yourself)' : ''}.`;
}

/** Standard input to its end, refusing more than `maxBytes` (a pipe from /dev/zero must not eat the host). */
export function readStdinBounded(maxBytes: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  const chunk = Buffer.alloc(65536);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(0, chunk, 0, chunk.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue; // a non-blocking terminal or pipe: wait for more
      if (code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    total += n;
    if (total > maxBytes) throw new Error(`standard input is longer than ${maxBytes} bytes`);
    chunks.push(Buffer.from(chunk.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}
