// INT 10h AH=06h/07h in the CGA modes and mode 13h: the scroll moves whole bytes of each pixel row (not pixel
// by pixel, which made a guest scrolling in a loop take seconds), so pixels must land exactly where the pixel
// rules put them: a row moves up by the character height, the rows it leaves take the fill colour (attribute
// masked to the mode's bits; none in mode 13h). The planar modes are compared with QEMU in vga-diff.test.ts.
import * as assert from 'assert';

import { requireNasm } from '../cli/harness';
import { boot } from './boot';
import { sectorBench } from './sector';

const lab = sectorBench('bootvisor-gscroll-');

/** Two pixels drawn, one text line scrolled up (fill attribute 03h), five pixels read back to port E9h. */
function program(mode: number): string {
  const pixel = (op: number, colour: number, x: number, y: number): string[] => [
    `mov ax, ${(op << 8) | colour}`,
    'xor bx, bx',
    `mov cx, ${x}`,
    `mov dx, ${y}`,
    'int 0x10',
  ];
  const read = (x: number, y: number): string[] => [...pixel(0x0d, 0, x, y), 'out 0xe9, al'];
  return [
    `mov ax, ${mode}`,
    'int 0x10',
    ...pixel(0x0c, 5, 3, 12),
    ...pixel(0x0c, 3, 17, 199),
    'mov ax, 0x0601', // up one line, the whole screen (columns clamped to the mode's)
    'mov bh, 0x03',
    'xor cx, cx',
    'mov dx, 0x184f',
    'int 0x10',
    ...read(3, 4), // the first pixel, one character height (8) up
    ...read(3, 12), // where it was: now what was 8 rows below (nothing)
    ...read(17, 191), // the bottom row's pixel, moved up
    ...read(17, 199), // the bottom rows: the fill colour
    ...read(0, 195),
    'cli',
    'hlt',
  ].join('\n');
}

describe('PC: INT 10h scrolls in the byte-per-row graphics modes', function () {
  this.timeout(60000);
  before(requireNasm);
  after(() => lab.dispose());

  const cases: [string, number, number[]][] = [
    ['mode 13h (8 bits a pixel; the rows left are colour 0)', 0x13, [5, 0, 3, 0, 0]],
    ['mode 04h (2 bits a pixel, even/odd rows interleaved)', 0x04, [1, 0, 3, 3, 3]],
    ['mode 06h (1 bit a pixel, even/odd rows interleaved)', 0x06, [1, 0, 1, 1, 1]],
  ];
  for (const [what, mode, expected] of cases) {
    it(`${what}: pixels move a character height, the fill takes the attribute's bits`, async () => {
      const r = await boot(lab.sector(program(mode)), { maxInstructions: 1_000_000 });
      assert.strictEqual(r.stop.reason, 'hlt-cli', `${r.stop.reason}: ${r.stop.message ?? ''}`);
      assert.deepStrictEqual([...r.debugcon], expected);
    });
  }
});
