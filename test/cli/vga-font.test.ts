// The VGA fonts Bootvisor ships in its BIOS ROM: complete CP437 in 8x16, 8x14 and 8x8 (every character drawn,
// no two alike), where INT 10h AX=1130h says; screenshots draw exactly those glyphs, and no host font changes
// them (the console-font variable of earlier versions is ignored).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { PNG } from 'pngjs';

import { createMachine } from '../../common/machine';
import { EXAMPLES, runCli, tempDir } from './harness';

const HELLO = path.join(EXAMPLES, 'hello', 'hello.img');
const ROM_FONTS: Record<number, number> = { 16: 0xfa000, 14: 0xfb800, 8: 0xfb000 };

function romFonts(): Record<number, Uint8Array> {
  const m = createMachine({ image: fs.readFileSync(HELLO), backend: 'software' });
  try {
    const out: Record<number, Uint8Array> = {};
    for (const h of [16, 14, 8]) out[h] = m.readMemory(ROM_FONTS[h], 256 * h, 'physical');
    return out;
  } finally {
    m.dispose();
  }
}

/** The 8x16 bitmap drawn in the 9x16 text cell (row, col): a pixel is set when it differs from the 9th column. */
function cellBits(png: PNG, row: number, col: number): number[] {
  const px = (x: number, y: number): number => png.data.readUInt32BE((y * png.width + x) * 4);
  const bits: number[] = [];
  for (let y = 0; y < 16; y++) {
    const bg = px(col * 9 + 8, row * 16 + y);
    let b = 0;
    for (let x = 0; x < 8; x++) if (px(col * 9 + x, row * 16 + y) !== bg) b |= 0x80 >> x;
    bits.push(b);
  }
  return bits;
}

describe('VGA fonts shipped in the ROM', function () {
  this.timeout(120000);
  const tmp = tempDir('bv-font-');
  after(() => tmp.remove());

  it('8x16, 8x14 and 8x8: every CP437 character but 00h, 20h and FFh drawn, and no two alike', () => {
    const fonts = romFonts();
    for (const h of [16, 14, 8]) {
      const seen = new Map<string, number>();
      for (let c = 0; c < 256; c++) {
        const glyph = Buffer.from(fonts[h].subarray(c * h, (c + 1) * h));
        const blank = glyph.every((b) => b === 0);
        assert.strictEqual(blank, c === 0 || c === 0x20 || c === 0xff, `8x${h} ${c.toString(16)}h blank: ${blank}`);
        if (blank) continue;
        const key = glyph.toString('hex');
        assert.ok(!seen.has(key), `8x${h}: ${c.toString(16)}h looks like ${seen.get(key)?.toString(16)}h`);
        seen.set(key, c);
      }
    }
  });

  it('screenshots draw the ROM glyphs, whatever console font the host has', () => {
    const font16 = romFonts()[16];
    const shots = [undefined, '/usr/share/consolefonts/Lat15-VGA16.psf.gz', '/dev/zero'].map((font, i) => {
      const file = tmp.file(`hello${i}.png`);
      const env = { ...process.env };
      if (font) env.BOOTVISOR_VGA_FONT = font;
      else delete env.BOOTVISOR_VGA_FONT;
      const r = runCli(['run', HELLO, '--screenshot', file], { env });
      assert.strictEqual(r.status, 0, r.stderr);
      return PNG.sync.read(fs.readFileSync(file));
    });
    for (const s of shots.slice(1))
      assert.ok(Buffer.from(s.data).equals(Buffer.from(shots[0].data)), 'a host font changed the picture');
    // Row 0 says "Hello from Bootvisor!".
    [...'Hello from Bootvisor!'].forEach((ch, col) => {
      const code = ch.charCodeAt(0);
      assert.deepStrictEqual(
        cellBits(shots[0], 0, col),
        [...font16.subarray(code * 16, code * 16 + 16)],
        `glyph of ${ch}`,
      );
    });
  });
});
