// Where the guest's code came from: the NASM listing that maps addresses to source lines. For a .asm input
// it is the listing nasm just made; for an image, a same-named .asm beside it is assembled (into a temp
// folder) and used only if it produces exactly the image's first bytes. Loaded lazily, after the run, so
// the listing never costs start-up time. The listing is read into memory and its temp folder removed at
// once: nothing of an assembly outlives the run (the report carries source lines, not the listing).
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

import { readInputFile } from '../common/input-file';
import { MAX_SOURCE_BYTES } from '../common/limits';
import { ListingMap } from '../common/listing';
import type { Assembled } from '../common/nasm';
import type { SourceLine } from './stop-message';

export interface Sources {
  listing: ListingMap;
  /** The listing's file when it stays on disk (a temp listing is gone after loading). */
  listingPath?: string;
  mainFile: string;
  locate(linear: number): SourceLine | undefined;
  /** Each file the listing maps to, with the SHA-256 of its content now. */
  hashes(): { file: string; sha256: string }[];
}

function fromListing(listingPath: string, mainFile: string): Sources | undefined {
  let listing: ListingMap;
  try {
    listing = ListingMap.fromFile(listingPath, { mainFile });
  } catch {
    return undefined;
  }
  return {
    listing,
    mainFile,
    locate(linear: number): SourceLine | undefined {
      const e = listing.entryAt(linear);
      return e ? { file: e.file, line: e.line, text: e.text, address: e.address, length: e.length } : undefined;
    },
    hashes() {
      return listing.files().flatMap((file) => {
        try {
          const text = readInputFile(file, 'a NASM source', MAX_SOURCE_BYTES);
          return [{ file, sha256: crypto.createHash('sha256').update(text).digest('hex') }];
        } catch {
          return [];
        }
      });
    },
  };
}

/** The sources of an assembled .asm input; removes the assembly's temp folder. */
export function sourcesOfAssembly(source: string, assembled: Assembled): Sources | undefined {
  try {
    return fromListing(assembled.listingPath, path.resolve(source));
  } finally {
    assembled.remove();
  }
}

/** The sources of an image, when `NAME.asm` sits beside `NAME.img` and assembles to the same bytes. */
export async function sourcesOfImage(
  imagePath: string,
  image: Uint8Array,
  timeoutMs: number | undefined,
): Promise<Sources | undefined> {
  const asm = imagePath.replace(/\.[^./\\]*$/, '') + '.asm';
  if (asm === imagePath || !fs.existsSync(asm)) return undefined;
  let assembled: Assembled;
  try {
    // Required here, not at the top: only runs that need a source line pay for it.
    const { assembleAsync } = require('../common/nasm') as typeof import('../common/nasm');
    assembled = await assembleAsync(asm, { timeoutMs });
  } catch {
    return undefined; // no nasm, or the source no longer assembles (or not in time): run without source lines
  }
  const made = assembled.image;
  const same = made.length <= image.length && Buffer.from(made).equals(Buffer.from(image.subarray(0, made.length)));
  if (!same) {
    assembled.remove();
    return undefined;
  }
  return sourcesOfAssembly(asm, assembled);
}
