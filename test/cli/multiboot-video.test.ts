// Multiboot video modes: a kernel's request for a linear graphics framebuffer (v1 header flag bit 2 with
// mode_type 0; the Multiboot2 framebuffer tag) gets a VBE mode and its RGB description, as GRUB gives one.
// QEMU's -kernel sets no video mode, so the reference is the specifications plus QEMU drawing the same
// picture: test/kernels/fbdraw.c draws through the framebuffer the information describes, or, given none
// (under QEMU), sets the mode its header asks for through the dispi ports itself and draws with the same code.
// The two pictures must be the same pixels.
import * as assert from 'assert';
import * as fs from 'fs';

import { createMultibootMachine } from '../../common/multiboot-boot';
import { MultibootError, parseMultibootKernel } from '../../common/multiboot';
import { renderFrame, type RenderedScreen } from '../../common/screen-render';
import { buildKernel, kernelDir } from '../kernels/build';
import { QemuSession, requireQemu } from '../pc/qemu';
import { runCli } from './harness';

type Picture = { width: number; height: number; rgb: Buffer };

function differences(q: Picture, ours: RenderedScreen): string | undefined {
  if (q.width !== ours.width || q.height !== ours.height)
    return `size: Bootvisor ${ours.width}x${ours.height}, QEMU ${q.width}x${q.height}`;
  let count = 0;
  let first = '';
  for (let i = 0; i < q.width * q.height; i++) {
    const a = [ours.rgba[i * 4], ours.rgba[i * 4 + 1], ours.rgba[i * 4 + 2]];
    const b = [q.rgb[i * 3], q.rgb[i * 3 + 1], q.rgb[i * 3 + 2]];
    if (a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2]) {
      if (count++ === 0) first = `(${i % q.width}, ${Math.floor(i / q.width)}): Bootvisor ${a}, QEMU ${b}`;
    }
  }
  return count ? `${count} pixels differ, e.g. ${first}` : undefined;
}

async function underBootvisor(elf: string, name: string): Promise<{ serial: string; picture: RenderedScreen }> {
  const kernel = parseMultibootKernel(fs.readFileSync(elf), name);
  const { machine: m } = createMultibootMachine({ memoryMiB: 32 }, kernel, { kernelName: name });
  try {
    const serial: Buffer[] = [];
    m.on('serial', (b) => serial.push(Buffer.from(b)));
    const stop = await m.run({ maxInstructions: 200_000_000 });
    assert.strictEqual(stop.reason, 'hlt-cli', JSON.stringify(stop));
    return { serial: Buffer.concat(serial).toString('latin1'), picture: renderFrame(m.screenFrame()) };
  } finally {
    m.dispose();
  }
}

async function underQemu(elf: string): Promise<{ serial: string; picture: Picture }> {
  const q = new QemuSession(elf, 'kernel');
  try {
    const s = await q.waitSerial((b) => b.includes('DONE\n'), 180000, 'DONE');
    return { serial: s.toString('latin1'), picture: await q.screendump() };
  } finally {
    await q.close();
  }
}

const FIELDS_32 = 'red 16 /8 green 8 /8 blue 0 /8';
const FIELDS_16 = 'red 11 /5 green 5 /6 blue 0 /5';

describe('Multiboot video: graphics framebuffers from the v1 header and the Multiboot2 tag, against QEMU', function () {
  this.timeout(600000);
  const k = kernelDir();
  let fb32: string;
  let fb16: string;
  let fbMb2: string;
  const qemu: Record<string, { serial: string; picture: Picture }> = {};

  before(async () => {
    requireQemu();
    fb32 = buildKernel(k.dir, 'fb32', ['fbdraw.c'], '-O2', { entry: 'fb-entry.asm' });
    fb16 = buildKernel(k.dir, 'fb16', ['fbdraw.c'], '-O2', { entry: 'fb16-entry.asm' });
    fbMb2 = buildKernel(k.dir, 'fbmb2', ['fbdraw.c'], '-O2', { entry: 'fb-mb2-entry.asm' });
    qemu.fb32 = await underQemu(fb32);
    qemu.fb16 = await underQemu(fb16);
  });
  after(() => k.remove());

  it('QEMU -kernel sets no mode: the kernel sets it through the dispi ports', () => {
    assert.match(
      qemu.fb32.serial,
      /fb set through the dispi ports\naddress 0xFD000000 pitch 4096 width 1024 height 768 bpp 32 type 1 /,
    );
    assert.match(
      qemu.fb16.serial,
      /fb set through the dispi ports\naddress 0xFD000000 pitch 1280 width 640 height 480 bpp 16 type 1 /,
    );
  });

  const cases = [
    [
      "v1, 1024x768x32: the information describes the mode set, and the picture is QEMU's",
      'fb32',
      'fb32',
      `pitch 4096 width 1024 height 768 bpp 32 type 1 ${FIELDS_32}`,
    ],
    ['v1, 640x480x16: the same', 'fb16', 'fb16', `pitch 1280 width 640 height 480 bpp 16 type 1 ${FIELDS_16}`],
    [
      'Multiboot2, a required 640x480x16 tag: framebuffer tag 8 of type 1, and the picture QEMU draws for v1',
      'fbmb2',
      'fb16',
      `pitch 1280 width 640 height 480 bpp 16 type 1 ${FIELDS_16}`,
    ],
  ] as const;
  for (const [title, kernel, reference, line] of cases) {
    it(title, async () => {
      const elf = { fb32, fb16, fbmb2: fbMb2 }[kernel];
      const ours = await underBootvisor(elf, `${kernel}.elf`);
      const expected = `fb from the multiboot information\naddress 0xFD000000 ${line}`;
      assert.ok(ours.serial.includes(expected), ours.serial);
      assert.strictEqual(differences(qemu[reference].picture, ours.picture), undefined);
    });
  }

  it('bootvisor run names the framebuffer in its first line', () => {
    const r = runCli(['run', fb32, '--timeout', '60']);
    assert.match(r.stdout + r.stderr, /framebuffer 1024x768x32 RGB at 0xFD000000, pitch 4096 \(VBE mode 144h\)/);
  });

  it('odd requests: an absurd size gets the largest mode within it, a missing depth 32 bits, too small a size text or a message', () => {
    const bytes = fs.readFileSync(fb32);
    const header = bytes.indexOf(Buffer.from([0x02, 0xb0, 0xad, 0x1b]));
    const variant = (w: number, h: number, d: number): Buffer => {
      const b = Buffer.from(bytes);
      b.writeUInt32LE(w, header + 36);
      b.writeUInt32LE(h, header + 40);
      b.writeUInt32LE(d, header + 44);
      return b;
    };
    const place = (b: Buffer): string | undefined => {
      const { machine, placement } = createMultibootMachine({ memoryMiB: 32 }, parseMultibootKernel(b, 'k.elf'), {
        kernelName: 'k.elf',
      });
      machine.dispose();
      return placement.framebuffer;
    };
    assert.match(place(variant(100000, 100000, 32))!, /^2560x1600x32 RGB/);
    assert.match(place(variant(800, 600, 7))!, /^800x600x32 RGB/);
    assert.match(place(variant(0, 0, 0))!, /^1024x768x32 RGB/);
    assert.strictEqual(place(variant(100, 100, 32)), 'EGA text 80x25 at 0xB8000', 'v1: no mode fits, text');
    const bad = Buffer.from(bytes);
    bad.writeUInt32LE(7, header + 32); // mode_type 7
    assert.throws(
      () => parseMultibootKernel(bad, 'k.elf'),
      (e: Error) => e instanceof MultibootError && /mode_type is 7/.test(e.message),
    );
  });
});
