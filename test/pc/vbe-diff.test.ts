// VBE against QEMU -vga std (SeaBIOS's vgabios over the Bochs dispi device): one program
// (vbe-diff/screens.asm) lists the modes and their information blocks over COM1, then draws through the linear
// framebuffer in 8/15/16/24/32 bpp modes set with AX=4F02h, a banked mode (AX=4F05h), the dispi ports programmed
// directly (virtual width, X/Y offset) and a moved display start (AX=4F07h). QEMU's screendump and Bootvisor's
// frame drawn by common/screen-render.ts must be the same size and the same pixels, and every mode Bootvisor
// lists must have the information block QEMU's BIOS gives for it.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import { createMachine } from '../../common/machine';
import { assemble } from '../../common/nasm';
import { renderFrame, type RenderedScreen } from '../../common/screen-render';
import { requireNasm, ROOT, tempDir } from '../cli/harness';
import { QemuSession, requireQemu } from './qemu';

const FLOPPY = 1474560;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const SCREENS = [
  '112h 640x480x24, LFB',
  '111h 640x480x16, LFB',
  '110h 640x480x15, LFB',
  '142h 640x480x32, LFB',
  '101h 640x480x8, LFB, DAC 0-15 through the ports, the rest the BIOS default',
  '103h 800x600x8, LFB',
  '144h 1024x768x32, LFB',
  '10Fh 320x200x24, LFB',
  '146h 320x200x8, LFB',
  '111h 640x480x16 banked through window A (AX=4F05h)',
  'dispi ports: 800x600x32, virtual width 1024, X offset 16, Y offset 20',
  '142h 640x480x32, display start 37 lines down (AX=4F07h)',
];
const marker = (n: number): string => `S${n.toString(16).toUpperCase().padStart(2, '0')}\n`;

type Picture = { width: number; height: number; rgb: Buffer };

function differences(q: Picture, ours: RenderedScreen): { count: number; examples: string[] } {
  if (q.width !== ours.width || q.height !== ours.height)
    return { count: 1, examples: [`size: Bootvisor ${ours.width}x${ours.height}, QEMU ${q.width}x${q.height}`] };
  let count = 0;
  const examples: string[] = [];
  for (let i = 0; i < q.width * q.height; i++) {
    const a = [ours.rgba[i * 4], ours.rgba[i * 4 + 1], ours.rgba[i * 4 + 2]];
    const b = [q.rgb[i * 3], q.rgb[i * 3 + 1], q.rgb[i * 3 + 2]];
    if (a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2]) {
      if (count++ < 5) examples.push(`(${i % q.width}, ${Math.floor(i / q.width)}): Bootvisor ${a}, QEMU ${b}`);
    }
  }
  return { count, examples };
}

/** "m0112=004F:hex..." lines: each mode's AX=4F01h status and first 66 bytes. */
function modeBlocks(serial: Buffer): Map<number, string> {
  const text = serial.toString('latin1');
  const out = new Map<number, string>();
  for (const m of text.matchAll(/m([0-9A-F]{4})=([0-9A-F]{4}):([0-9A-F]{132})\n/g)) out.set(parseInt(m[1], 16), m[3]);
  return out;
}

describe('differential: VBE modes and the linear framebuffer, pixel for pixel against QEMU -vga std', function () {
  this.timeout(600000);
  const tmp = tempDir('bootvisor-vbe-diff-');
  const qemu: Picture[] = [];
  const ours: RenderedScreen[] = [];
  let qemuSerial: Buffer = Buffer.alloc(0);
  let ourSerial: Buffer = Buffer.alloc(0);

  before(async function () {
    requireQemu();
    requireNasm();
    const program = assemble(path.join(ROOT, 'test', 'pc', 'vbe-diff', 'screens.asm'));
    const image = Buffer.alloc(FLOPPY);
    Buffer.from(program.image).copy(image);
    program.remove();
    const file = tmp.file('vbe.img');
    fs.writeFileSync(file, image);

    const q = new QemuSession(file);
    try {
      for (let n = 0; n < SCREENS.length; n++) {
        await q.waitSerial((b) => b.includes(marker(n)), 180000, `screen ${n} (${SCREENS[n]})`);
        qemu.push(await q.screendump());
        q.sendkey('spc');
      }
      qemuSerial = await q.waitSerial((b) => b.includes('DONE'), 60000, 'DONE');
    } finally {
      await q.close();
    }

    const m = createMachine({ image, backend: 'software' });
    try {
      const serial: Buffer[] = [];
      m.on('serial', (b) => serial.push(Buffer.from(b)));
      const run = m.run({ maxInstructions: 3_000_000_000 });
      for (let n = 0; n < SCREENS.length; n++) {
        const end = Date.now() + 180000;
        while (!Buffer.concat(serial).includes(marker(n))) {
          if (Date.now() > end) throw new Error(`Bootvisor: no screen ${n} (${SCREENS[n]}) within 180 s`);
          await sleep(10);
        }
        ours.push(renderFrame(m.screenFrame()));
        m.typeText(' ');
      }
      const stop = await run;
      assert.strictEqual(stop.reason, 'hlt-cli', JSON.stringify(stop));
      ourSerial = Buffer.concat(serial);
    } finally {
      m.dispose();
    }
  });
  after(() => tmp.remove());

  it('AX=4F00h succeeds in both and every mode Bootvisor lists has the information block QEMU gives', () => {
    assert.ok(qemuSerial.toString('latin1').startsWith('004F\n'), 'QEMU: AX=4F00h');
    assert.ok(ourSerial.toString('latin1').startsWith('004F\n'), 'Bootvisor: AX=4F00h');
    const theirs = modeBlocks(qemuSerial);
    const mine = modeBlocks(ourSerial);
    assert.ok(mine.size >= 70, `Bootvisor lists ${mine.size} modes`);
    const differ: string[] = [];
    for (const [mode, block] of mine) {
      const q = theirs.get(mode);
      if (q === undefined) differ.push(`${mode.toString(16)}: not in QEMU's list`);
      // Bytes 0Ch-0Fh are the window function's far pointer: an address in each BIOS's own code.
      else if (q.slice(0, 24) + q.slice(32) !== block.slice(0, 24) + block.slice(32))
        differ.push(`${mode.toString(16)}: QEMU ${q}, Bootvisor ${block}`);
    }
    assert.deepStrictEqual(differ, []);
    const missing = [...theirs.keys()].filter((k) => k >= 0x100 && !mine.has(k)).map((k) => k.toString(16));
    // SeaBIOS's planar VBE modes (4 bpp) are the only ones Bootvisor does not offer.
    assert.deepStrictEqual(missing, ['102', '104', '106']);
  });

  it('the program showed every screen in both', () => {
    assert.strictEqual(qemu.length, SCREENS.length);
    assert.strictEqual(ours.length, SCREENS.length);
  });

  for (let n = 0; n < SCREENS.length; n++) {
    it(`${SCREENS[n]}: same size, same pixels`, () => {
      const d = differences(qemu[n], ours[n]);
      assert.strictEqual(d.count, 0, `${d.count} pixels differ, e.g. ${d.examples.join('; ')}`);
      const colours = new Set<number>();
      for (let i = 0; i < ours[n].rgba.length && colours.size < 3; i += 4)
        colours.add((ours[n].rgba[i] << 16) | (ours[n].rgba[i + 1] << 8) | ours[n].rgba[i + 2]);
      assert.ok(colours.size >= 3, 'the program drew something');
    });
  }
});
