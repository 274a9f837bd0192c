// Hostile kernel files: thousands of random mutations of a real kernel (headers, program headers, the
// multiboot header, DWARF) through the multiboot parser and the ELF/DWARF readers. Each either loads or is
// refused with a MultibootError; the readers never throw; nothing runs away (bounded by the file's size).
import * as assert from 'assert';
import * as fs from 'fs';

import { ElfDebugInfo } from '../../common/elf-debug-info';
import { MultibootError, parseMultibootKernel } from '../../common/multiboot';
import { buildKernel, kernelDir } from '../kernels/build';

/** A small deterministic generator, so a failure names a reproducible seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

describe('hostile kernel files', function () {
  this.timeout(120000);
  let k: ReturnType<typeof kernelDir>;
  let original: Buffer;
  before(() => {
    k = kernelDir();
    original = fs.readFileSync(buildKernel(k.dir, 'bare', ['bare.c'], '-O0'));
  });
  after(() => k?.remove());

  it('2,000 mutated kernels: loaded or refused with a message, never another exception', () => {
    let refused = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const r = rng(seed);
      const b = Buffer.from(original);
      // Mostly the headers (ELF, program headers, multiboot header at 0x1000), sometimes anywhere.
      for (let n = 1 + Math.floor(r() * 8); n > 0; n--) {
        const region = r();
        const at =
          region < 0.4
            ? Math.floor(r() * 0x100)
            : region < 0.7
              ? 0x1000 + Math.floor(r() * 48)
              : Math.floor(r() * b.length);
        b[at] = Math.floor(r() * 256);
      }
      const cut = r() < 0.1 ? b.subarray(0, Math.floor(r() * b.length)) : b;
      try {
        const kernel = parseMultibootKernel(cut, `seed ${seed}`);
        for (const s of kernel.segments)
          assert.ok(s.data.length <= s.memorySize && s.address + s.memorySize <= 2 ** 32, `seed ${seed}`);
      } catch (e) {
        assert.ok(e instanceof MultibootError, `seed ${seed}: ${(e as Error).stack}`);
        assert.ok((e as Error).message.length > 20, `seed ${seed}: a message`);
        refused++;
      }
    }
    assert.ok(refused > 100, `${refused} refused`);
  });

  it('2,000 mutated ELF files through the symbol and DWARF readers: never an exception, answers within the file', () => {
    const info = new ElfDebugInfo(original);
    const line = info.symbols.sections.find((s) => s.name === '.debug_line')!;
    assert.ok(line, 'the kernel has .debug_line');
    for (let seed = 1; seed <= 2000; seed++) {
      const r = rng(seed * 7919);
      const b = Buffer.from(original);
      for (let n = 1 + Math.floor(r() * 16); n > 0; n--) {
        const inLines = r() < 0.7;
        const at = inLines ? line.offset + Math.floor(r() * line.size) : Math.floor(r() * b.length);
        b[at] = Math.floor(r() * 256);
      }
      const mutated = new ElfDebugInfo(b);
      for (const a of [0x100000, 0x100010, 0x100300, 0xffffffff]) mutated.placeOf(a);
      mutated.lines.addressesOf('bare.c', 30);
      mutated.functionEntry('kmain');
      assert.ok(mutated.lines.rows.length < 10 * b.length, `seed ${seed}: rows bounded`);
    }
  });
});
