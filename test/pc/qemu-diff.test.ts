// The differential test: every example under QEMU (TCG, SeaBIOS) and under Bootvisor gives the same serial
// output and the same final text screen.
import * as assert from 'assert';
import * as fs from 'fs';

import { exampleImg, exampleNames } from '../cli/harness';
import { boot } from './boot';
import { requireQemu, runInQemu } from './qemu';

/** Keys for the examples that wait for some: Bootvisor's text, QEMU's sendkey names. */
const KEYS: Record<string, { text: string; qemu: string[] }> = {
  echo: { text: 'Hi 42\n', qemu: ['shift-h', 'i', 'spc', '4', '2', 'ret'] },
};

/**
 * The same picture: both renderings sampled on a 64x40 grid of the 320x200 mode (each may scale it), every
 * channel within 4 (QEMU widens the DAC's 6 bits as v<<2|v>>4; a renderer may scale by 255/63).
 */
function samePicture(
  ours: { width: number; height: number; rgba: Uint8Array },
  theirs: { width: number; height: number; rgb: Buffer } | undefined,
): void {
  assert.ok(theirs, 'QEMU screendump read');
  for (let gy = 0; gy < 40; gy++) {
    for (let gx = 0; gx < 64; gx++) {
      const x = gx * 5 + 2;
      const y = gy * 5 + 2;
      const o = (Math.floor((y * ours.height) / 200) * ours.width + Math.floor((x * ours.width) / 320)) * 4;
      const t = (Math.floor((y * theirs.height) / 200) * theirs.width + Math.floor((x * theirs.width) / 320)) * 3;
      const a = [ours.rgba[o], ours.rgba[o + 1], ours.rgba[o + 2]];
      const b = [theirs.rgb[t], theirs.rgb[t + 1], theirs.rgb[t + 2]];
      assert.ok(
        a.every((v, i) => Math.abs(v - b[i]) <= 4),
        `pixel (${x}, ${y}): Bootvisor ${a}, QEMU ${b}`,
      );
    }
  }
}

const trimRows = (rows: string[]): string[] => rows.map((l) => l.replace(/\s+$/, ''));

describe('differential: examples under QEMU and Bootvisor', function () {
  this.timeout(60000);
  before(() => requireQemu());

  for (const name of exampleNames()) {
    it(`${name}: same serial output and ${name === 'mode13h' ? 'picture' : 'text screen'}`, async () => {
      const image = exampleImg(name);
      const keys = KEYS[name];
      const b = await boot(fs.readFileSync(image), { keys: keys?.text, guardMs: keys ? 3000 : 20000, keep: true });
      // QEMU is waited on until its COM1 has caught up with ours (or 30 s passed), not for a fixed time: under
      // load SeaBIOS alone can take longer than any quiet period.
      const want = b.serial.length;
      const q = await runInQemu(image, {
        keys: keys?.qemu,
        minMs: 1000,
        quietMs: 700,
        maxMs: 30000,
        screendump: name === 'mode13h',
        until: (o) => o.serial.length >= want,
      });
      try {
        assert.strictEqual(b.serial.toString('latin1'), q.serial.toString('latin1'), 'serial output');
        const t = b.machine.screenText();
        if (t.lines.length === 0) {
          assert.strictEqual(name, 'mode13h', 'only the graphics example has no text screen');
          samePicture(b.machine.screenImage(), q.image);
          return;
        }
        assert.strictEqual(q.screen.length, 25, 'QEMU screen read');
        assert.deepStrictEqual(trimRows(t.lines), trimRows(q.screen), 'final text screen');
      } finally {
        b.machine.dispose();
      }
    });
  }
});
