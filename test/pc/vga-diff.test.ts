// The screen, pixel for pixel against QEMU: one program (vga-diff/screens.asm) draws every mode the BIOS sets
// (text modes 0, 1, 2, 3 and 7, mode 3 with the 8x14 and 8x8 fonts; CGA 4, 5, 6; 13h) with default and
// reprogrammed palettes, one screen at a time, in one QEMU boot and one Bootvisor run; another
// (vga-diff/planar.asm) draws the planar modes 0Dh, 0Eh, 0Fh, 10h, 11h and 12h through the VGA's registers and
// INT 10h.
// QEMU's screendump and Bootvisor's frame drawn by common/screen-render.ts must be the same size and the same
// pixels.
//
// Text is compared in QEMU's own font: the program first sends the fonts of QEMU's VGA BIOS (INT 10h AX=1130h)
// to COM1, and Bootvisor's run gets them on its disk, where the same program loads them (AX=1110h). Where QEMU
// is wrong the expectation is corrected: QEMU repeats the 8th column in the 9th for 0xB0-0xDF, the IBM VGA only
// for 0xC0-0xDF, so for 0xB0-0xBF the 9th column must be the background.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import type { ScreenFrame } from '../../common/api';
import { createMachine, type BootvisorMachine } from '../../common/machine';
import { assemble } from '../../common/nasm';
import { renderFrame, type RenderedScreen } from '../../common/screen-render';
import { requireNasm, ROOT, tempDir } from '../cli/harness';
import { QemuSession, requireQemu } from './qemu';

const FONT_LBA = 20;
const FONT_BYTES = 256 * (16 + 14 + 8);
const FLOPPY = 1474560;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The screens in the program's order. */
const SCREENS: string[] = [
  ...Array.from(
    { length: 33 },
    (_, i) => `mode 3, 8x16: characters and attributes ${i * 2000}-${Math.min(65535, i * 2000 + 1999)}`,
  ),
  'mode 3, 8x14 font (28 rows)',
  'mode 3, 8x8 font (50 rows)',
  'mode 0 (40x25)',
  'mode 1 (40x25)',
  'mode 2 (80x25)',
  'mode 7 (monochrome)',
  'mode 3, all palette registers and the overscan (AX=1002h)',
  'mode 3, then DAC (1010h, 1012h), colour paging (1013h) and one palette register (1000h) reprogrammed',
  'mode 4 as the BIOS sets it',
  'mode 4, palette 0 (AH=0Bh BH=1)',
  'mode 4, blue background, low intensity (AH=0Bh BH=0)',
  'mode 4, yellow background, high intensity',
  'mode 5',
  'mode 6',
  'mode 6, colour 1 reprogrammed (AX=1000h)',
  'mode 13h, default palette',
  'mode 13h, DAC written through ports 3C8h/3C9h',
  'mode 13h, DAC summed to grey (AX=101Bh)',
  'mode 13h, one DAC entry (AX=1010h)',
];

const marker = (n: number): string => `S${n.toString(16).toUpperCase().padStart(2, '0')}\n`;

interface Shot {
  name: string;
  qemu: { width: number; height: number; rgb: Buffer };
  ours: RenderedScreen;
  frame: ScreenFrame;
}

/** Where Bootvisor's picture differs from QEMU's (corrected where QEMU is wrong), at most `limit` of them. */
function differences(shot: Shot, limit = 5): { count: number; examples: string[] } {
  const { qemu, ours, frame } = shot;
  // QEMU draws 320-pixel modes with doubled pixels and 200-line modes with doubled lines (640x400): every one
  // of its pixels is compared with the one of ours it shows.
  const sx = qemu.width / ours.width;
  const sy = qemu.height / ours.height;
  if (![1, 2].includes(sx) || ![1, 2].includes(sy) || (frame.kind === 'text' && (sx !== 1 || sy !== 1))) {
    return { count: 1, examples: [`size: Bootvisor ${ours.width}x${ours.height}, QEMU ${qemu.width}x${qemu.height}`] };
  }
  const examples: string[] = [];
  let count = 0;
  const q = (x: number, y: number): number[] => {
    const o = (y * qemu.width + x) * 3;
    return [qemu.rgb[o], qemu.rgb[o + 1], qemu.rgb[o + 2]];
  };
  for (let qy = 0; qy < qemu.height; qy++) {
    for (let qx = 0; qx < qemu.width; qx++) {
      const x = Math.floor(qx / sx);
      const y = Math.floor(qy / sy);
      const o = (y * ours.width + x) * 4;
      const a = [ours.rgba[o], ours.rgba[o + 1], ours.rgba[o + 2]];
      let b = q(qx, qy);
      if (frame.kind === 'text' && frame.cellWidth === 9 && x % 9 === 8) {
        const col = Math.floor(x / 9);
        const row = Math.floor(y / frame.cellHeight!);
        const code = frame.cells![row * frame.columns! + col] & 0xff;
        if (code >= 0xb0 && code <= 0xbf) {
          // QEMU drew the 8th column again; the VGA draws the background: a pixel of this cell row whose glyph
          // bit is clear shows it (its glyph rows all have one).
          const bits = frame.font![code * frame.cellHeight! + (y % frame.cellHeight!)];
          const clear = [0, 1, 2, 3, 4, 5, 6, 7].find((k) => !((bits >> (7 - k)) & 1));
          if (clear !== undefined) b = q(col * 9 + clear, y);
        }
      }
      if (a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2]) {
        if (count++ < limit) examples.push(`(${x}, ${y}): Bootvisor ${a.join(',')}, QEMU ${b.join(',')}`);
        else if (count === limit + 1) {
          const colours = new Set<string>();
          for (let i = 0; i < qemu.rgb.length && colours.size <= 16; i += 3)
            colours.add(qemu.rgb.subarray(i, i + 3).join(','));
          examples.push(`QEMU's colours: ${[...colours].join(' ')}`);
        }
      }
    }
  }
  return { count, examples };
}

/** A floppy image holding one of the vga-diff programs, and its file for QEMU. */
function floppy(tmp: ReturnType<typeof tempDir>, name: string): { image: Buffer; file: string } {
  const program = assemble(path.join(ROOT, 'test', 'pc', 'vga-diff', `${name}.asm`));
  const image = Buffer.alloc(FLOPPY);
  Buffer.from(program.image).copy(image);
  program.remove();
  const file = tmp.file(`${name}.img`);
  fs.writeFileSync(file, image);
  return { image, file };
}

/** QEMU's screendump of each screen, the program's "Snn" markers counted from byte `from` of COM1. */
async function qemuScreens(q: QemuSession, names: string[], from: number): Promise<Shot['qemu'][]> {
  const qemu: Shot['qemu'][] = [];
  for (let n = 0; n < names.length; n++) {
    await q.waitSerial((b) => b.subarray(from).includes(marker(n)), 120000, `screen ${n} (${names[n]})`);
    qemu.push(await q.screendump());
    q.sendkey('spc');
  }
  return qemu;
}

/** The same screens in Bootvisor (its frame, drawn by the shared renderer) beside QEMU's; `look` sees the machine first. */
async function ourScreens(
  image: Buffer,
  names: string[],
  from: number,
  qemu: Shot['qemu'][],
  look: (m: BootvisorMachine) => void = () => undefined,
): Promise<Shot[]> {
  const shots: Shot[] = [];
  const m = createMachine({ image, backend: 'software' });
  try {
    look(m);
    const serial: Buffer[] = [];
    m.on('serial', (b) => serial.push(Buffer.from(b)));
    const run = m.run({ maxInstructions: 2_000_000_000 });
    for (let n = 0; n < names.length; n++) {
      const end = Date.now() + 120000;
      while (!Buffer.concat(serial).subarray(from).includes(marker(n))) {
        if (Date.now() > end) throw new Error(`Bootvisor: no screen ${n} (${names[n]}) within 120 s`);
        await sleep(10);
      }
      const frame = m.screenFrame();
      shots.push({ name: names[n], qemu: qemu[n], ours: renderFrame(frame), frame });
      m.typeText(' ');
    }
    const stop = await run;
    assert.strictEqual(stop.reason, 'hlt-cli', `the program ends with cli; hlt: ${JSON.stringify(stop)}`);
    assert.ok(Buffer.concat(serial).subarray(from).includes('DONE'));
  } finally {
    m.dispose();
  }
  return shots;
}

describe('differential: every BIOS video mode, pixel for pixel against QEMU', function () {
  this.timeout(600000);
  const tmp = tempDir('bootvisor-vga-diff-');
  const shots: Shot[] = [];
  let qemuFonts: Buffer;
  let ourFonts: Buffer;

  before(async function () {
    requireQemu();
    requireNasm();
    const { image, file } = floppy(tmp, 'screens');

    // QEMU: its fonts, then each screen's screendump.
    const q = new QemuSession(file);
    let qemu: Shot['qemu'][];
    let fontsEnd = 0;
    try {
      const s = await q.waitSerial(
        (b) => {
          const i = b.indexOf('FONTS:');
          return i >= 0 && b.length >= i + 6 + FONT_BYTES;
        },
        120000,
        'fonts on COM1',
      );
      const start = s.indexOf('FONTS:') + 6;
      qemuFonts = Buffer.from(s.subarray(start, start + FONT_BYTES));
      fontsEnd = start + FONT_BYTES;
      qemu = await qemuScreens(q, SCREENS, fontsEnd);
    } finally {
      await q.close();
    }

    // Bootvisor, with QEMU's fonts on the disk.
    Buffer.from('BVFONT16').copy(image, FONT_LBA * 512);
    qemuFonts.copy(image, FONT_LBA * 512 + 8);
    shots.push(
      ...(await ourScreens(image, SCREENS, fontsEnd, qemu, (m) => {
        // The ROM's 8x16, 8x14 and 8x8 (F000:A000, F000:B800, F000:B000), in the order the program sends QEMU's.
        ourFonts = Buffer.concat([
          m.readMemory(0xfa000, 4096, 'physical'),
          m.readMemory(0xfb800, 3584, 'physical'),
          m.readMemory(0xfb000, 2048, 'physical'),
        ]);
      })),
    );
  });
  after(() => tmp.remove());

  it('the program showed every screen in both', () => {
    assert.strictEqual(shots.length, SCREENS.length);
  });

  for (let n = 0; n < SCREENS.length; n++) {
    it(`${SCREENS[n]}: same size, same pixels`, () => {
      const d = differences(shots[n]);
      assert.strictEqual(d.count, 0, `${d.count} pixels differ, e.g. ${d.examples.join('; ')}`);
    });
  }

  it("says how our shipped fonts differ from QEMU's VGA BIOS fonts", () => {
    let at = 0;
    for (const height of [16, 14, 8]) {
      const differ: string[] = [];
      for (let c = 0; c < 256; c++) {
        const o = at + c * height;
        if (!Buffer.from(ourFonts.subarray(o, o + height)).equals(qemuFonts.subarray(o, o + height))) {
          differ.push(c.toString(16).toUpperCase().padStart(2, '0'));
        }
      }
      console.log(
        `    our 8x${height} font differs from QEMU's in ${differ.length} of 256 glyphs: ${differ.join(' ')}`,
      );
      assert.ok(
        differ.length < 64,
        `8x${height}: both are the IBM VGA BIOS's CP437 glyphs, with a few redrawn in QEMU's`,
      );
      at += 256 * height;
    }
  });
});

const PLANAR_MODES = [
  '0Dh (320x200)',
  '0Eh (640x200)',
  '10h (640x350)',
  '12h (640x480)',
  '0Fh (640x350 monochrome)',
  '11h (640x480, two colours)',
];
const PLANAR_SCREENS: string[] = PLANAR_MODES.flatMap((m) => [
  `mode ${m}: write mode 0, one plane at a time through the map mask`,
  `mode ${m}: write mode 2 fills under a bit mask, latches loaded by reads`,
  `mode ${m}: latched copies (write mode 1), all planes and planes 0 and 2`,
  `mode ${m}: set/reset lines under a one-bit mask; rotate with XOR, AND, OR; write mode 3; read mode 1; read map select`,
  `mode ${m}: INT 10h AH=0Ch/0Dh pixels, and XOR`,
  `mode ${m}: INT 10h teletype (scrolling) and AH=13h in the program's font`,
  `mode ${m}: palette through INT 10h (AX=1002h, 1000h, 1010h, 1012h)`,
  `mode ${m}: attribute controller, DAC, CRTC start address, offset and line compare (split screen) through the ports`,
]).concat([
  'mode X (13h unchained): every plane through the map mask, over pixels drawn while chained',
  'mode X: latched copy (write mode 1), start address 8 lines down',
  'mode X: 320x240 (CRTC vertical timing reprogrammed)',
]);

describe('differential: the planar modes through their registers, pixel for pixel against QEMU', function () {
  this.timeout(600000);
  const tmp = tempDir('bootvisor-vga-planar-');
  const shots: Shot[] = [];

  before(async function () {
    requireQemu();
    requireNasm();
    const { image, file } = floppy(tmp, 'planar');
    const q = new QemuSession(file);
    let qemu: Shot['qemu'][];
    try {
      qemu = await qemuScreens(q, PLANAR_SCREENS, 0);
    } finally {
      await q.close();
    }
    shots.push(...(await ourScreens(image, PLANAR_SCREENS, 0, qemu)));
  });
  after(() => tmp.remove());

  it('the program showed every screen in both', () => {
    assert.strictEqual(shots.length, PLANAR_SCREENS.length);
  });

  for (let n = 0; n < PLANAR_SCREENS.length; n++) {
    it(`${PLANAR_SCREENS[n]}: same size, same pixels`, () => {
      const d = differences(shots[n]);
      assert.strictEqual(d.count, 0, `${d.count} pixels differ, e.g. ${d.examples.join('; ')}`);
    });
  }

  it('every planar screen shows more than one colour (the program drew something)', () => {
    for (const s of shots) {
      const seen = new Set<string>();
      for (let i = 0; i < s.ours.rgba.length && seen.size < 3; i += 4)
        seen.add(`${s.ours.rgba[i]},${s.ours.rgba[i + 1]},${s.ours.rgba[i + 2]}`);
      assert.ok(seen.size >= 2, `${s.name}: one colour only`);
    }
  });
});
