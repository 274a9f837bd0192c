// Reading a disk image from a file, with messages that say what is wrong and what to do about it. The
// native machine checks again; these checks come first so the user sees the file's name and a fix.
import * as fs from 'fs';

import { checkInputFile } from './input-file';
import { MAX_DISK_BYTES, SECTOR_SIZE } from './limits';

export { SECTOR_SIZE };
/** Images read into memory (assembled ones, the adapter's): common/limits.ts's largest disk. */
export const MAX_IMAGE_BYTES = MAX_DISK_BYTES;
/** Image files the machine maps rather than reads: as large as the native side accepts (8 GiB). */
export const MAX_MAPPED_IMAGE_BYTES = 8 * 2 ** 30;

/** A problem with the image itself (as opposed to the program): the message is for the user. */
export class ImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

export interface ImageCheckOptions {
  /** Refuse a first sector without 0x55AA (default true). */
  requireSignature?: boolean;
  /** Appended to the missing-signature message: how to waive the check where the caller offers a way. */
  waiveHint?: string;
}

const hex2 = (n: number): string => '0x' + n.toString(16).toUpperCase().padStart(2, '0');

/** Checks an image already in memory; throws ImageError. `name` is how the user knows the image. */
export function checkImage(image: Uint8Array, name: string, options: ImageCheckOptions = {}): void {
  checkImageHead(image.length, image.subarray(0, SECTOR_SIZE), name, options);
}

/** The same checks from an image's size and its first sector alone. */
function checkImageHead(
  size: number,
  head: Uint8Array,
  name: string,
  options: ImageCheckOptions,
  max = MAX_IMAGE_BYTES,
): void {
  if (size === 0) {
    throw new ImageError(`${name} is empty (0 bytes): a boot image holds at least one 512-byte sector.`);
  }
  if (size % SECTOR_SIZE !== 0) {
    const sectors = Math.ceil(size / SECTOR_SIZE);
    throw new ImageError(
      `${name} is ${size} bytes, not a whole number of 512-byte sectors. ` +
        (size < SECTOR_SIZE
          ? 'End a boot sector with `times 510-($-$$) db 0` and `dw 0xaa55`.'
          : `Pad it to ${sectors * SECTOR_SIZE} bytes (e.g. \`truncate -s ${sectors * SECTOR_SIZE} ${name}\`).`),
    );
  }
  if (size > max) {
    throw new ImageError(`${name} is ${size} bytes; images up to ${max > MAX_IMAGE_BYTES ? 8 : 2} GiB are supported.`);
  }
  if (options.requireSignature !== false && (head[510] !== 0x55 || head[511] !== 0xaa)) {
    throw new ImageError(
      `${name} has no boot signature: bytes 510-511 are ${hex2(head[510])} ${hex2(head[511])}, a BIOS boots ` +
        'only a sector ending in 0x55 0xAA. End the sector with `times 510-($-$$) db 0` and `dw 0xaa55`' +
        (options.waiveHint ? `, or ${options.waiveHint}.` : '.'),
    );
  }
}

/** Up to `max` bytes from the start of a file (fewer when it is shorter). */
export function readPrefix(file: string, max: number): Uint8Array {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(max);
    let got = 0;
    while (got < max) {
      const n = fs.readSync(fd, buf, got, max - got, got);
      if (n <= 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Checks an image file from its size and first sector, without reading the rest: the machine maps the file
 * itself (config.imagePath), so a large image costs memory only for what the guest reads. Throws ImageError.
 */
export function inspectImage(file: string, options: ImageCheckOptions = {}): { size: number; head: Uint8Array } {
  // A regular file within the mapped limit, checked on the opened descriptor (a FIFO or /dev/zero is refused
  // with InputFileError before anything is read).
  const size = checkInputFile(file, 'a disk image', MAX_MAPPED_IMAGE_BYTES);
  let head: Uint8Array;
  try {
    head = readPrefix(file, SECTOR_SIZE);
  } catch (e) {
    throw new ImageError(`${file}: ${(e as Error).message}`);
  }
  checkImageHead(size, head, file, options, MAX_MAPPED_IMAGE_BYTES);
  return { size, head };
}
