// The VGA's planes as device memory: what a snapshot must carry (the four planes, the graphics controller's
// and sequencer's registers, the latches) and what the window at A0000 is in modes that are not planar (the
// character generator through plane 2 in text modes; mode 13h stays RAM). Pictures against QEMU are in
// vga-diff.test.ts.
import * as assert from 'assert';

import type { BootvisorMachine } from '../../common/machine';
import { sectorBench } from './sector';

const bench = sectorBench('bootvisor-planar-');

describe('VGA planes: snapshots, registers, latches and the A0000 window', function () {
  this.timeout(60000);
  after(() => bench.dispose());

  /** Runs to the guest's next `hlt` (a cli; hlt stop), then lets it go on past it next time. */
  const toHlt = async (m: BootvisorMachine): Promise<void> => {
    const stop = await m.run({ maxInstructions: 5_000_000 });
    assert.strictEqual(stop.reason, 'hlt-cli', JSON.stringify(stop));
    m.setRegisters({ halted: false });
  };
  const pixels = (m: BootvisorMachine): Buffer => Buffer.from(m.screenFrame().pixels!);
  const at = (p: Buffer, x: number, y: number): number => p[y * 640 + x];

  // Stop 1: mode 12h, 40 rows of colour 9 in write mode 2, then a read (latches: colour 9). Stop 2: a byte of
  // colour 12 still in write mode 2, then write mode 1 copies the latches. Stop 3: other registers, other
  // latches (a read of black), other pixels.
  const program = bench.sector(`
    cli
    mov ax, 0x0012
    int 0x10
    mov ax, 0xa000
    mov es, ax
    mov dx, 0x3ce
    mov ax, 0x0205
    out dx, ax
    xor di, di
    mov cx, 80*40
    mov al, 9
    rep stosb
    mov al, [es:80*5]
    hlt
    mov byte [es:80*100], 12
    mov dx, 0x3ce
    mov ax, 0x0105
    out dx, ax
    mov byte [es:80*110+1], 0
    hlt
    mov dx, 0x3c4
    mov ax, 0x0202
    out dx, ax
    mov dx, 0x3ce
    mov ax, 0x0005
    out dx, ax
    mov ax, 0x0f08
    out dx, ax
    mov al, [es:80*300]
    mov di, 80*60
    mov cx, 80*10
    mov al, 0xaa
    rep stosb
    hlt`);

  it('a restored snapshot brings back the planes, the registers and the latches', async () => {
    const m = bench.make(program);
    await toHlt(m);
    const first = pixels(m);
    assert.strictEqual(m.screenFrame().mode, 0x12);
    assert.strictEqual(at(first, 0, 0), 9);
    assert.strictEqual(at(first, 639, 39), 9);
    assert.strictEqual(at(first, 0, 40), 0);
    const snap = m.snapshot();
    await toHlt(m);
    const second = pixels(m);
    assert.strictEqual(at(second, 0, 100), 12, 'write mode 2: colour 12');
    assert.strictEqual(at(second, 8, 110), 9, 'write mode 1: the latches read at stop 1');
    await toHlt(m);
    const third = pixels(m);
    // AAh under bit mask 0Fh into plane 1 only; the masked-off left half from the latches (a read of black).
    assert.deepStrictEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((x) => at(third, x, 60)),
      [0, 0, 0, 0, 2, 0, 2, 0],
    );

    m.restore(snap);
    assert.ok(pixels(m).equals(first), 'the planes as at the snapshot');
    await toHlt(m);
    assert.ok(pixels(m).equals(second), 'write mode 2 and the latches came back with the snapshot');
    m.dropSnapshot(snap);
  });

  it('in text mode, a font written through plane 2 (sequencer and graphics controller poked) is the one shown', async () => {
    const m = bench.make(
      bench.sector(`
      cli
      mov ax, 0x0003
      int 0x10
      mov dx, 0x3c4
      mov ax, 0x0402             ; map mask: plane 2
      out dx, ax
      mov ax, 0x0704             ; memory mode: sequential, no odd/even
      out dx, ax
      mov dx, 0x3ce
      mov ax, 0x0204             ; read map 2
      out dx, ax
      mov ax, 0x0005             ; write mode 0, no odd/even
      out dx, ax
      mov ax, 0x0406             ; graphics off, A0000 64 KiB
      out dx, ax
      mov ax, 0xa000
      mov es, ax
      mov di, 0x41 * 32          ; glyph 'A'
      mov cx, 16
      mov al, 0x81
      rep stosb
      mov al, [es:0x42 * 32 + 4] ; read back a row of 'B' through read map 2
      mov [0x600], al
      mov dx, 0x3c4
      mov ax, 0x0302
      out dx, ax
      mov ax, 0x0304
      out dx, ax
      mov dx, 0x3ce
      mov ax, 0x0004
      out dx, ax
      mov ax, 0x1005
      out dx, ax
      mov ax, 0x0e06
      out dx, ax
      hlt`),
    );
    await toHlt(m);
    const f = m.screenFrame();
    assert.strictEqual(f.kind, 'text');
    assert.deepStrictEqual(
      [...f.font!.subarray(0x41 * 16, 0x42 * 16)],
      new Array(16).fill(0x81),
      "'A' is the font written",
    );
    assert.strictEqual(
      m.readMemory(0x600, 1, 'physical')[0],
      f.font![0x42 * 16 + 4],
      "'B' read back through read map select",
    );
  });

  it('mode 13h keeps A0000 as RAM; in CGA and text modes the window is not decoded (reads FFh)', async () => {
    const m = bench.make(
      bench.sector(`
      cli
      mov ax, 0x0013
      int 0x10
      mov ax, 0xa000
      mov es, ax
      mov byte [es:5], 0x37
      mov al, [es:5]
      mov [0x600], al
      mov ax, 0x0004
      int 0x10
      mov byte [es:5], 0x37
      mov al, [es:5]
      mov [0x601], al
      hlt`),
    );
    await toHlt(m);
    assert.deepStrictEqual([...m.readMemory(0x600, 2, 'physical')], [0x37, 0xff]);
  });
});
