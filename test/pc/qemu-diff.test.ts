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

const trimRows = (rows: string[]): string[] => rows.map((l) => l.replace(/\s+$/, ''));

describe('differential: examples under QEMU and Bootvisor', function () {
  this.timeout(60000);
  before(() => requireQemu());

  for (const name of exampleNames()) {
    it(`${name}: same serial output and text screen`, async () => {
      const image = exampleImg(name);
      const keys = KEYS[name];
      const q = await runInQemu(image, { keys: keys?.qemu, minMs: 1500, quietMs: 700 });
      const b = await boot(fs.readFileSync(image), { keys: keys?.text, guardMs: keys ? 3000 : 20000, keep: true });
      try {
        assert.strictEqual(b.serial.toString('latin1'), q.serial.toString('latin1'), 'serial output');
        const t = b.machine.screenText();
        if (t.lines.length === 0) {
          assert.strictEqual(name, 'mode13h', 'only the graphics example has no text screen');
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
