// The host's VGA console font (PSF) in screenshots: a font the test builds itself shows exactly its glyphs,
// a malformed one falls back to ours, and the real Lat15-VGA16 (console-setup-linux) changes the picture.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { PNG } from 'pngjs';

import { EXAMPLES, runCli } from './harness';

const HELLO = path.join(EXAMPLES, 'hello', 'hello.img');
const LAT15 = '/usr/share/consolefonts/Lat15-VGA16.psf.gz';

// Distinct, asymmetric bitmaps, so a swapped or shifted glyph cannot match.
const GLYPHS: Record<string, number[]> = {
  H: [0x81, 0xc3, 0xa5, 0x99, 0x81, 0xff, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xf0, 0x0f],
  e: [0xff, 0x00, 0xaa, 0x55, 0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0x80, 0xc0, 0xe0, 0x00, 0x18],
};

/** A PSF2 font with `glyphs` (char -> 16 rows) plus a blank glyph for space, and its Unicode table. */
function psf2(glyphs: Record<string, number[]>): Buffer {
  const chars = [' ', ...Object.keys(glyphs)];
  const header = Buffer.alloc(32);
  header.writeUInt32LE(0x864ab572, 0);
  header.writeUInt32LE(0, 4);
  header.writeUInt32LE(32, 8);
  header.writeUInt32LE(1, 12); // has a Unicode table
  header.writeUInt32LE(chars.length, 16);
  header.writeUInt32LE(16, 20);
  header.writeUInt32LE(16, 24);
  header.writeUInt32LE(8, 28);
  const bitmaps = Buffer.concat(chars.map((c) => Buffer.from(c === ' ' ? new Array(16).fill(0) : glyphs[c])));
  const table = Buffer.concat(chars.map((c) => Buffer.concat([Buffer.from(c, 'utf8'), Buffer.from([0xff])])));
  return Buffer.concat([header, bitmaps, table]);
}

function screenshot(font: string, dir: string, tag: string): { png: PNG; screen: string[] } {
  const shot = path.join(dir, `${tag}.png`);
  const text = path.join(dir, `${tag}.txt`);
  const r = runCli(['run', HELLO, '--screenshot', shot, '--screen', text], {
    env: { ...process.env, BOOTVISOR_VGA_FONT: font },
  });
  assert.strictEqual(r.status, 0, r.stderr);
  return { png: PNG.sync.read(fs.readFileSync(shot)), screen: fs.readFileSync(text, 'utf8').split('\n') };
}

/** The 8x16 bitmap drawn in the text cell (row, col): a pixel is set when it differs from the cell's corner. */
function cellBits(png: PNG, row: number, col: number): number[] {
  const px = (x: number, y: number) => png.data.readUInt32BE((y * png.width + x) * 4);
  const bits: number[] = [];
  // Background: the ninth column, blank for letters.
  const bg = px(col * 9 + 8, row * 16);
  for (let y = 0; y < 16; y++) {
    let b = 0;
    for (let x = 0; x < 8; x++) if (px(col * 9 + x, row * 16 + y) !== bg) b |= 0x80 >> x;
    bits.push(b);
  }
  return bits;
}

describe('VGA font from the host', function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-font-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function findCell(screen: string[], ch: string): [number, number] {
    for (let r = 0; r < screen.length; r++) {
      const c = screen[r].indexOf(ch);
      if (c >= 0) return [r, c];
    }
    throw new Error(`no ${ch} on the screen:\n${screen.join('\n')}`);
  }

  for (const gz of [false, true]) {
    it(`draws a PSF2 font's glyphs at their cells (${gz ? 'gzip' : 'plain'})`, () => {
      const font = path.join(dir, gz ? 'test.psf.gz' : 'test.psf');
      fs.writeFileSync(font, gz ? zlib.gzipSync(psf2(GLYPHS)) : psf2(GLYPHS));
      const { png, screen } = screenshot(font, dir, gz ? 'custom-gz' : 'custom');
      for (const ch of Object.keys(GLYPHS)) {
        const [r, c] = findCell(screen, ch);
        assert.deepStrictEqual(cellBits(png, r, c), GLYPHS[ch], `glyph of ${ch} at row ${r} col ${c}`);
      }
      // A character the font lacks keeps our own glyph.
      const fallback = screenshot(path.join(dir, 'none.psf'), dir, 'fallback-1');
      const [r, c] = findCell(screen, 'l');
      assert.deepStrictEqual(cellBits(png, r, c), cellBits(fallback.png, r, c));
      assert.notDeepStrictEqual(cellBits(png, ...findCell(screen, 'H')), cellBits(fallback.png, ...findCell(screen, 'H')));
    });
  }

  it('falls back to our font for a malformed or missing font file', () => {
    const ours = screenshot(path.join(dir, 'missing.psf'), dir, 'ours');
    const bad = [
      Buffer.from('not a font at all'),
      psf2(GLYPHS).subarray(0, 60), // truncated glyphs
      psf2(GLYPHS).subarray(0, psf2(GLYPHS).length - 1), // Unicode table without its last terminator
      Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3]), // a broken gzip stream
    ];
    bad.forEach((bytes, i) => {
      const font = path.join(dir, `bad${i}.psf`);
      fs.writeFileSync(font, bytes);
      const shot = screenshot(font, dir, `bad${i}`);
      assert.ok(Buffer.from(shot.png.data).equals(Buffer.from(ours.png.data)), `bad font ${i} changed the picture`);
    });
    // A directory and an endless device: read boundedly, then refused.
    for (const font of [dir, '/dev/zero']) {
      const shot = screenshot(font, dir, 'odd');
      assert.ok(Buffer.from(shot.png.data).equals(Buffer.from(ours.png.data)), `${font} changed the picture`);
    }
  });

  it('renders with the real VGA font when console-setup-linux is installed', function () {
    if (!fs.existsSync(LAT15)) {
      console.warn(`    skipped: ${LAT15} is missing (apt-get install console-setup-linux)`);
      this.skip();
    }
    const ours = screenshot(path.join(dir, 'missing.psf'), dir, 'ours-2');
    const real = screenshot(LAT15, dir, 'lat15');
    assert.ok(!Buffer.from(real.png.data).equals(Buffer.from(ours.png.data)), 'Lat15-VGA16 drew the same as our font');
    // And without the variable, the default search finds it.
    const env = { ...process.env };
    delete env.BOOTVISOR_VGA_FONT;
    const shot = path.join(dir, 'default.png');
    const r = runCli(['run', HELLO, '--screenshot', shot], { env });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.ok(Buffer.from(PNG.sync.read(fs.readFileSync(shot)).data).equals(Buffer.from(real.png.data)));
  });
});
