// Each example boots on the software vCPU and does what its source says: screen text, serial output, the
// stop, and for the graphics example the pixels and colours of its picture.
import * as assert from 'assert';
import * as fs from 'fs';

import { ListingMap } from '../../common/listing';
import { assemble } from '../../common/nasm';
import { exampleAsm, exampleImg, requireNasm } from '../cli/harness';
import { boot } from './boot';

const img = (name: string): Uint8Array => fs.readFileSync(exampleImg(name));

/** The linear address of the first line of `file` whose source text matches `pattern`. */
function addressOf(name: string, pattern: RegExp): number {
  requireNasm();
  const a = assemble(exampleAsm(name));
  try {
    const map = ListingMap.fromFile(a.listingPath, { mainFile: exampleAsm(name) });
    const e = map.entries.find((x) => pattern.test(x.text));
    assert.ok(e, `no line matching ${pattern} in ${name}.asm`);
    return e.address;
  } finally {
    a.remove();
  }
}

describe('examples boot on Bootvisor', function () {
  this.timeout(30000);

  it('hello: greets on screen and COM1, then halts cleanly', async () => {
    const r = await boot(img('hello'), { keep: true });
    try {
      assert.strictEqual(r.stop.reason, 'hlt-cli');
      assert.strictEqual(r.serial.toString('latin1'), 'Hello from Bootvisor!\r\n');
      const t = r.machine.screenText();
      assert.strictEqual(t.mode, 3);
      assert.strictEqual(t.columns, 80);
      assert.strictEqual(t.rows, 25);
      assert.strictEqual(t.lines[0].trimEnd(), 'Hello from Bootvisor!');
      assert.strictEqual(t.lines[1].trim(), '');
      assert.deepStrictEqual([t.cursor.row, t.cursor.column], [1, 0]);
      const hlt = addressOf('hello', /^hlt/);
      assert.ok(
        [hlt, hlt + 1].includes(r.stop.linear),
        `stopped at the hlt or just past it: ${r.stop.linear.toString(16)}`,
      );
    } finally {
      r.machine.dispose();
    }
  });

  it('protected: switches to 32-bit protected mode and prints from there', async () => {
    const r = await boot(img('protected'), { keep: true });
    try {
      assert.strictEqual(r.stop.reason, 'hlt-cli');
      assert.strictEqual(r.serial.toString('latin1'), 'Hello from 32-bit protected mode!\r\n');
      const regs = r.machine.getRegisters();
      assert.strictEqual(regs.cr0 & 1, 1, 'CR0.PE');
      assert.strictEqual(regs.cs.selector, 0x08);
      assert.strictEqual(regs.ds.selector, 0x10);
      const lines = r.machine.screenText().lines.map((l) => l.trimEnd());
      assert.strictEqual(lines[0], 'Real mode: switching to protected mode...');
      assert.strictEqual(lines[1], 'Hello from 32-bit protected mode!');
    } finally {
      r.machine.dispose();
    }
  });

  it('echo: echoes typed keys on screen and COM1', async () => {
    const r = await boot(img('echo'), { keys: 'hi\nOK', guardMs: 3000, keep: true });
    try {
      // The guest waits for more keys forever; the guard pauses it.
      assert.strictEqual(r.stop.reason, 'pause');
      assert.strictEqual(r.serial.toString('latin1'), 'Type something: hi\r\nOK');
      const lines = r.machine.screenText().lines.map((l) => l.trimEnd());
      assert.deepStrictEqual(lines.slice(0, 2), ['Type something: hi', 'OK']);
    } finally {
      r.machine.dispose();
    }
  });

  it('triple-fault: stops at the div with the chain #DE -> ... -> shutdown', async () => {
    const r = await boot(img('triple-fault'), { keep: true });
    try {
      assert.strictEqual(r.stop.reason, 'triple-fault');
      const div = addressOf('triple-fault', /^div cx/);
      assert.strictEqual(r.stop.linear, div, 'the stop is at the faulting instruction');
      const chain = r.stop.exception?.chain ?? [];
      assert.ok(chain.length >= 2, `a chain of faults, got ${JSON.stringify(chain)}`);
      assert.strictEqual(chain[0].name, '#DE');
      assert.strictEqual(chain[0].linear, div);
      assert.deepStrictEqual(chain[0].bytes.slice(0, 2), [0xf7, 0xf1], 'div cx');
      assert.ok(
        chain.some((s) => s.name === '#DF'),
        'a double fault on the way',
      );
      assert.ok(
        chain.every((s) => s.reason.length > 0),
        'every step says why',
      );
      assert.strictEqual(r.machine.screenText().lines[0].trimEnd(), 'About to divide by zero with an empty IDT...');
    } finally {
      r.machine.dispose();
    }
  });

  it('hang: halts with interrupts disabled after its message', async () => {
    const r = await boot(img('hang'));
    assert.strictEqual(r.stop.reason, 'hlt-cli');
    assert.strictEqual(r.serial.toString('latin1'), 'Halting with interrupts disabled.\r\n');
    const hlt = addressOf('hang', /^hlt/);
    assert.ok(
      [hlt, hlt + 1].includes(r.stop.linear),
      `stopped at the hlt or just past it: ${r.stop.linear.toString(16)}`,
    );
  });

  it('unhandled-port: reads 0xFF and the access is reported at the in instruction', async () => {
    const events: { kind: string; port?: number; linear: number }[] = [];
    const { createMachine } = await import('../../common/machine');
    const m = createMachine({ image: img('unhandled-port'), backend: 'software' });
    const serial: Buffer[] = [];
    try {
      m.on('serial', (b) => serial.push(Buffer.from(b)));
      m.on('event', (e) => events.push(e));
      const stop = await m.run({ maxInstructions: 50_000_000 });
      assert.strictEqual(stop.reason, 'hlt-cli');
      assert.strictEqual(Buffer.concat(serial).toString('latin1'), 'Port 0x5A5A reads 0xFF\r\n');
      const e = events.find((x) => x.kind === 'unhandled-port');
      assert.ok(e, `an unhandled-port event, got ${JSON.stringify(events)}`);
      assert.strictEqual(e.port, 0x5a5a);
      assert.strictEqual(e.linear, addressOf('unhandled-port', /^in al, dx/));
    } finally {
      m.dispose();
    }
  });

  it('unhandled-port: with stopOnUnhandledPort the run stops there', async () => {
    const r = await boot(img('unhandled-port'), { stopOnUnhandledPort: true });
    assert.strictEqual(r.stop.reason, 'unhandled-port');
    assert.strictEqual(r.stop.port, 0x5a5a);
  });

  it('mode13h: draws the sunset bands and the sun with its palette', async () => {
    const r = await boot(img('mode13h'), { keep: true });
    try {
      assert.strictEqual(r.stop.reason, 'hlt-cli');
      assert.strictEqual(r.serial.toString('latin1'), 'mode13h: sunset drawn\r\n');
      const shot = r.machine.screenImage();
      assert.strictEqual(shot.width % 320, 0, `width ${shot.width}`);
      assert.strictEqual(shot.height % 200, 0, `height ${shot.height}`);
      const sx = shot.width / 320;
      const sy = shot.height / 200;
      const pixel = (x: number, y: number): number[] => {
        const i = (Math.floor(y * sy) * shot.width + Math.floor(x * sx)) * 4;
        return [...shot.rgba.subarray(i, i + 3)];
      };
      const dac = (v: number): number => Math.round((v * 255) / 63);
      const near = (got: number[], want: number[], what: string): void =>
        assert.ok(
          got.every((g, i) => Math.abs(g - want[i]) <= 4),
          `${what}: ${got} vs ${want}`,
        );
      for (const y of [0, 37, 120, 199]) {
        const i = y >> 2;
        near(pixel(5, y), [dac(i + 13), dac(i >> 1), dac(49 - i)], `band at row ${y}`);
      }
      near(pixel(160, 100), [255, 255, 255], 'the sun');
      near(pixel(139, 100), [dac(25 + 13), dac(12), dac(49 - 25)], 'left of the sun');
      assert.strictEqual(r.machine.screenText().lines.join('').trim(), '', 'no text in graphics mode');
    } finally {
      r.machine.dispose();
    }
  });
});
