// A 2 GiB sparse hard-disk image (costs no disk) booting test/pc/programs/big-disk.asm, whose last sector
// starts with 'Z': for the tests that the image is mapped, never read whole and never written.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import { assemble } from '../../common/nasm';
import { ROOT } from '../cli/harness';

export const BIG_IMAGE_BYTES = 2 * 1024 * 1024 * 1024;

/** Writes the image to `file`; returns a check that the file is as written (content, size, mtime). */
export function writeBigImage(file: string): { assertUntouched(): void } {
  const a = assemble(path.join(ROOT, 'test', 'pc', 'programs', 'big-disk.asm'));
  fs.writeFileSync(file, a.image);
  a.remove();
  fs.truncateSync(file, BIG_IMAGE_BYTES);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from('Z'), 0, 1, BIG_IMAGE_BYTES - 512);
  fs.closeSync(fd);
  const mtime = fs.statSync(file).mtimeMs;
  return {
    assertUntouched(): void {
      const last = Buffer.alloc(1);
      const rd = fs.openSync(file, 'r');
      fs.readSync(rd, last, 0, 1, BIG_IMAGE_BYTES - 512);
      fs.closeSync(rd);
      assert.strictEqual(last.toString(), 'Z', 'the image file is never written');
      assert.strictEqual(fs.statSync(file).mtimeMs, mtime);
      assert.strictEqual(fs.statSync(file).size, BIG_IMAGE_BYTES);
    },
  };
}
