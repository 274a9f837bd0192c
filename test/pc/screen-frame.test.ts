// The screen frame (contract B): machine.screenFrame(sinceGeneration) and the one renderer that draws it.
// Generations grow only when the picture changes; the font and the palette come only when they changed since
// the caller's generation; the dirty rectangle covers exactly what changed; a renderer fed incremental frames
// draws the same picture as one fed whole frames.
import * as assert from 'assert';

import type { ScreenFrame } from '../../common/api';
import type { BootvisorMachine } from '../../common/machine';
import { renderFrame, ScreenRenderer } from '../../common/screen-render';
import { dacEntryRed, sectorBench } from './sector';

const bench = sectorBench('bootvisor-frame-');

describe('screen frame: generations, font, palette, dirty rectangles and the renderer', function () {
  this.timeout(30000);
  const make = bench.make;
  after(() => bench.dispose());

  /** Runs to the guest's next `hlt` (a cli; hlt stop), then lets it go on past it next time. */
  const toHlt = async (m: BootvisorMachine): Promise<void> => {
    const stop = await m.run({ maxInstructions: 5_000_000 });
    assert.strictEqual(stop.reason, 'hlt-cli', JSON.stringify(stop));
    m.setRegisters({ halted: false });
  };

  // Writes 'A' (attr 1Eh) at row 2 column 3, then more, stopping at each `hlt` for the test to look.
  const program = bench.sector(`
    cli
    mov ax, 0xb800
    mov es, ax
    mov word [es:(2*80+3)*2], 0x1e41
    hlt
    mov word [es:(4*80+10)*2], 0x4f42
    hlt
    ; DAC entry 1 (blue) becomes pure red
    ${dacEntryRed(1)}
    hlt
    mov ax, 0x0013
    int 0x10
    mov ax, 0xa000
    mov es, ax
    mov byte [es:320*7+5], 40
    hlt
    mov byte [es:320*9+300], 41
    hlt`);

  it('80x25 text: geometry, cells, cursor, font and palette in a whole frame', async () => {
    const m = make(program);
    await toHlt(m);
    const f = m.screenFrame();
    assert.strictEqual(f.kind, 'text');
    assert.strictEqual(f.mode, 3);
    assert.deepStrictEqual(
      [f.columns, f.rows, f.cellWidth, f.cellHeight, f.width, f.height],
      [80, 25, 9, 16, 720, 400],
    );
    assert.strictEqual(f.displayAspect, 4 / 3);
    assert.strictEqual(f.cells?.length, 80 * 25);
    assert.strictEqual(f.cells?.[2 * 80 + 3], 0x1e41);
    assert.strictEqual(f.font?.length, 256 * 16);
    assert.strictEqual(f.palette?.length, 16 * 3);
    assert.deepStrictEqual(
      [...f.palette!.subarray(0, 6)],
      [0, 0, 0, 0, 0, 0xa8],
      'black, then blue as QEMU widens 2Ah',
    );
    assert.deepStrictEqual([...f.palette!.subarray(45, 48)], [255, 255, 255], 'colour 15 is white');
    assert.ok(
      f.cursor && typeof f.cursor.visible === 'boolean' && f.cursor.startLine === 13 && f.cursor.endLine === 14,
    );
    assert.strictEqual(f.blink, true, 'the BIOS leaves blinking on');
    assert.ok(f.generation > 0);
  });

  it('sinceGeneration: unchanged leaves out font and palette with an empty dirty rectangle; changes give their rectangle', async () => {
    const m = make(program);
    await toHlt(m);
    const first = m.screenFrame();
    const same = m.screenFrame(first.generation);
    assert.strictEqual(same.generation, first.generation, 'nothing changed: same generation');
    assert.strictEqual(same.font, undefined);
    assert.strictEqual(same.palette, undefined);
    assert.deepStrictEqual(same.dirty, { x: 0, y: 0, width: 0, height: 0 });
    await toHlt(m); // writes 'B' at row 4, column 10
    const next = m.screenFrame(first.generation);
    assert.strictEqual(next.generation, first.generation + 1);
    assert.strictEqual(next.font, undefined, 'the font did not change');
    assert.strictEqual(next.palette, undefined, 'the palette did not change');
    assert.deepStrictEqual(next.dirty, { x: 10 * 9, y: 4 * 16, width: 9, height: 16 });
    await toHlt(m); // DAC 1 becomes red
    const red = m.screenFrame(next.generation);
    assert.ok(red.palette, 'the palette changed: it comes again');
    assert.deepStrictEqual([...red.palette!.subarray(3, 6)], [255, 0, 0]);
    assert.strictEqual(red.font, undefined);
    assert.deepStrictEqual(red.dirty, { x: 0, y: 0, width: 720, height: 400 }, 'a palette change repaints all');
    const old = m.screenFrame(first.generation);
    assert.ok(old.palette, 'asked since an older generation: the palette changed since then');
  });

  it('mode 13h: pixels, 256 colours, a one-pixel dirty rectangle; the incremental renderer matches a whole render', async () => {
    const m = make(program);
    for (let i = 0; i < 4; i++) await toHlt(m);
    const renderer = new ScreenRenderer();
    const f = m.screenFrame();
    assert.strictEqual(f.kind, 'graphics');
    assert.deepStrictEqual(
      [f.mode, f.width, f.height, f.pixels?.length, f.palette?.length],
      [0x13, 320, 200, 64000, 768],
    );
    assert.strictEqual(f.pixels?.[320 * 7 + 5], 40);
    renderer.render(f);
    await toHlt(m);
    const g: ScreenFrame = m.screenFrame(f.generation);
    assert.deepStrictEqual(g.dirty, { x: 300, y: 9, width: 1, height: 1 });
    const incremental = renderer.render(g);
    const whole = renderFrame(m.screenFrame());
    assert.deepStrictEqual(Buffer.from(incremental.rgba), Buffer.from(whole.rgba));
    const o = (9 * 320 + 300) * 4;
    const p = 41 * 3;
    assert.deepStrictEqual([...whole.rgba.subarray(o, o + 3)], [...f.palette!.subarray(p, p + 3)]);
  });

  it('refuses a bad sinceGeneration', () => {
    const m = make(program);
    assert.throws(() => m.screenFrame(-1), /sinceGeneration must be a number >= 0/);
    assert.throws(() => m.screenFrame('x' as unknown as number), /sinceGeneration/);
  });
});
