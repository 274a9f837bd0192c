// The VBE device and BIOS against hostile and odd use: absurd dispi register values are clamped as QEMU clamps
// them (the picture never reads outside the 16 MiB), bad VBE calls fail with the status VBE defines, a store
// past the framebuffer is an unmapped-memory event, snapshots carry the picture, and a direct-colour frame
// goes through the screen's wire format and its dirty rectangles intact.
import * as assert from 'assert';

import type { ScreenFrame } from '../../common/api';
import { renderFrame } from '../../common/screen-render';
import { encodeFrame, ScreenState } from '../../common/screen-wire';
import { dacEntryRed, sectorBench } from './sector';

// Writes dispi register AX with BX.
const DISPI = `
dispi:
  mov dx, 0x1CE
  out dx, ax
  inc dx
  mov ax, bx
  out dx, ax
  ret
rd:                             ; reads register AX into AX
  mov dx, 0x1CE
  out dx, ax
  inc dx
  in ax, dx
  ret
`;

/**
 * A boot sector that sets VBE mode `mode` with its linear framebuffer and runs `body` in 32-bit protected mode
 * (DS, ES and SS flat).
 */
const inProtectedMode = (mode: number, body: string): string => `
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7C00
  mov ax, 0x4F02
  mov bx, 0x${(0x4000 | mode).toString(16)}
  int 0x10
  cli
  lgdt [gdtr]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp 8:pm
bits 32
pm:
  mov ax, 16
  mov ds, ax
  mov es, ax
  mov ss, ax
${body}
gdt: dq 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
gdtr: dw 23
  dd gdt`;

describe('VBE: hostile register values, bad calls, snapshots, frames', function () {
  this.timeout(120000);
  const bench = sectorBench('bootvisor-vbe-');
  after(() => bench.dispose());

  it('clamps absurd dispi values as QEMU does and never shows memory outside the 16 MiB', async () => {
    // XRES 0xFFFF, YRES 0xFFFF, BPP 7 (not a depth), then enabled: BPP becomes 8, XRES 16000, YRES what fits.
    const m = bench.make(
      bench.sector(`
  xor ax, ax
  mov ss, ax
  mov sp, 0x7C00
  mov ax, 1
  mov bx, 0xFFFF
  call dispi
  mov ax, 2
  mov bx, 0xFFFF
  call dispi
  mov ax, 3
  mov bx, 7
  call dispi
  mov ax, 4
  mov bx, 0x41
  call dispi
  mov ax, 9
  mov bx, 0xFFFF
  call dispi
  mov ax, 1
  call rd
  mov si, ax
  mov ax, 2
  call rd
  mov di, ax
  mov ax, 3
  call rd
  mov bp, ax
  mov ax, 0x0A
  call rd
  mov cx, ax
  mov ax, 4
  mov bx, 0x43                  ; GETCAPS: the maximum values instead
  call dispi
  mov ax, 1
  call rd
  mov bx, ax
  cli
  hlt
${DISPI}`),
    );
    const stop = await m.run({ maxInstructions: 100000 });
    assert.strictEqual(stop.reason, 'hlt-cli');
    const r = m.getRegisters();
    assert.strictEqual(r.esi & 0xffff, 16000, 'XRES');
    assert.strictEqual(r.ebp & 0xffff, 8, 'BPP');
    assert.strictEqual(r.edi & 0xffff, Math.floor((16 << 20) / 16000), 'YRES: the lines that fit');
    assert.strictEqual(r.ecx & 0xffff, 256, 'VIDEO_MEMORY_64K');
    assert.strictEqual(r.ebx & 0xffff, 16000, 'GETCAPS XRES');
    const f = m.screenFrame();
    assert.strictEqual(f.kind, 'graphics');
    assert.strictEqual(f.width * f.height <= 16 << 20, true);
  });

  it('fails a bad mode, a bad mode-info request and an unknown function with the VBE statuses', async () => {
    const m = bench.make(
      bench.sector(`
  xor ax, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7C00
  mov ax, 0x4F02
  mov bx, 0x41FE                ; not a mode
  int 0x10
  mov si, ax
  mov ax, 0x4F01
  mov cx, 0x1FF
  mov di, 0x600
  int 0x10
  mov di, ax
  mov ax, 0x4F0B
  int 0x10
  mov bp, ax
  mov ax, 0x4F03
  int 0x10
  cli
  hlt`),
    );
    await m.run({ maxInstructions: 100000 });
    const r = m.getRegisters();
    assert.strictEqual(r.esi & 0xffff, 0x014f, '4F02h with no such mode');
    assert.strictEqual(r.edi & 0xffff, 0x014f, '4F01h with no such mode');
    assert.strictEqual(r.ebp & 0xffff, 0x0100, 'an unknown function');
    assert.strictEqual(r.ebx & 0xffff, 0x0003, '4F03h: still the VGA text mode');
    assert.strictEqual(m.screenFrame().kind, 'text');
  });

  it('reports a store past the framebuffer, keeps the picture in a snapshot and marks what changed', async () => {
    const m = bench.make(
      bench.sector(
        inProtectedMode(
          0x142, // 640x480x32
          `
  mov edi, 0xFD000000
  mov ecx, 640 * 10
  mov eax, 0x00FF8000
  rep stosd
  mov dword [0xFE000000], 1     ; past the 16 MiB
  mov dword [0x500], part2
  hlt
part2:
  mov edi, 0xFD000000
  mov ecx, 640 * 10
  xor eax, eax
  rep stosd
  hlt`,
        ),
      ),
    );
    const events: string[] = [];
    m.on('event', (e) => events.push(e.message));
    let stop = await m.run({ maxInstructions: 1000000 });
    assert.strictEqual(stop.reason, 'hlt-cli', JSON.stringify(stop));
    assert.ok(
      events.some((e) => e.includes('0xFE000000')),
      `an unmapped-memory event for the store past the framebuffer: ${JSON.stringify(events)}`,
    );
    const orange = (f: ScreenFrame): number[] => Array.from(f.pixels!.subarray(0, 3));
    let f = m.screenFrame();
    assert.strictEqual(f.mode, 0x142);
    assert.deepStrictEqual(m.screenText().lines, [], 'no text in a VBE mode');
    assert.strictEqual(f.bytesPerPixel, 3);
    assert.deepStrictEqual(orange(f), [0xff, 0x80, 0x00]);
    assert.deepStrictEqual(Array.from(f.pixels!.subarray(640 * 10 * 3, 640 * 10 * 3 + 3)), [0, 0, 0]);
    const snap = m.snapshot();
    const since = f.generation;
    // On past the first hlt, to where the program said.
    m.setRegisters({ eip: Buffer.from(m.readMemory(0x500, 4, 'physical')).readUInt32LE(0) });
    stop = await m.run({ maxInstructions: 1000000 });
    assert.strictEqual(stop.reason, 'hlt-cli', JSON.stringify(stop));
    f = m.screenFrame(since);
    assert.deepStrictEqual(f.dirty, { x: 0, y: 0, width: 640, height: 10 }, 'the rectangle that changed');
    assert.deepStrictEqual(orange(f), [0, 0, 0]);
    m.restore(snap);
    assert.deepStrictEqual(orange(m.screenFrame()), [0xff, 0x80, 0x00], 'restored with the snapshot');
  });

  it('shows each change to the memory, the registers and the DAC in the next frame, and keeps wide accesses whole', async () => {
    // 640x480x8: the memory's pixels are converted again only when the device changed, so each step below
    // changes one thing the picture depends on and nothing else, and the frame after it must show it.
    const m = bench.make(
      bench.sector(
        inProtectedMode(
          0x101, // 640x480x8
          `
  mov byte [0xFD000000], 5                  ; pixel (0,0)
  mov byte [0xFD000000 + 640], 7            ; pixel (0,1)
  mov dword [0xFD000010], 0x04030201
  movzx eax, word [0xFD000011]              ; a word across the dword's bytes
  mov [0x600], eax
  mov dword [0xFD000000 + 0xFFFFE], 0x0B0A0908    ; across the first MiB's end: the memory grows here
  mov eax, [0xFD000000 + 0xFFFFE]
  mov [0x604], eax
  mov dword [0xFD000000 + 0xFFFFFE], 0x0B0A0908   ; the last two bytes of the 16 MiB and two past them
  mov eax, [0xFD000000 + 0xFFFFFE]
  mov [0x608], eax
  hlt
  ; DAC entry 5 to bright red: no memory or register of the VBE changes
  ${dacEntryRed(5)}
  hlt
  mov dx, 0x1CE                             ; Y offset 1 (dispi register 9): the picture moves up a line
  mov ax, 9
  out dx, ax
  inc dx
  mov ax, 1
  out dx, ax
  hlt
  mov byte [0xFD000000 + 640], 9            ; what is now pixel (0,0)
  hlt`,
        ),
      ),
    );
    const on = async (): Promise<void> => {
      const stop = await m.run({ maxInstructions: 1000000 });
      assert.strictEqual(stop.reason, 'hlt-cli', JSON.stringify(stop));
    };
    const next = async (): Promise<void> => {
      m.setRegisters({ halted: false });
      await on();
    };
    const dword = (at: number): number => Buffer.from(m.readMemory(at, 4, 'physical')).readUInt32LE(0);
    const red5 = (f: ScreenFrame): number[] => Array.from(f.palette!.subarray(15, 18));
    await on();
    assert.strictEqual(dword(0x600), 0x0302, 'a word read across a dword written whole');
    assert.strictEqual(dword(0x604), 0x0b0a0908, 'a dword across the end of the memory written so far');
    // Past the 16 MiB is no memory at all: the store's upper half is dropped and reads as all ones.
    assert.strictEqual(dword(0x608), 0xffff0908, 'a dword across the end of the 16 MiB');
    let f = m.screenFrame();
    assert.strictEqual(f.mode, 0x101);
    assert.deepStrictEqual([f.pixels![0], f.pixels![640]], [5, 7]);
    assert.deepStrictEqual(Array.from(f.pixels!.subarray(16, 20)), [1, 2, 3, 4]);
    const before = red5(f);
    assert.notDeepStrictEqual(before, [255, 0, 0]);
    assert.deepStrictEqual(red5(m.screenFrame()), before, 'an unchanged frame again');
    await next();
    f = m.screenFrame();
    assert.deepStrictEqual(red5(f), [255, 0, 0], 'the DAC change');
    assert.strictEqual(f.pixels![0], 5);
    await next();
    f = m.screenFrame();
    assert.deepStrictEqual([f.pixels![0], f.pixels![640]], [7, 0], 'the Y offset moved the picture up a line');
    await next();
    assert.strictEqual(m.screenFrame().pixels![0], 9, 'the store after the move');
  });

  it('carries a direct-colour frame and its dirty rectangles through the wire format', () => {
    const frame = (fill: (i: number) => number, dirty?: ScreenFrame['dirty']): ScreenFrame => ({
      generation: 1,
      mode: 0x112,
      kind: 'graphics',
      width: 4,
      height: 3,
      bytesPerPixel: 3,
      pixels: Uint8Array.from({ length: 36 }, (_, i) => fill(i)),
      palette: new Uint8Array(0),
      dirty,
    });
    const state = new ScreenState();
    const first = state.apply(JSON.parse(JSON.stringify(encodeFrame(frame((i) => i)))));
    assert.ok(first);
    const second = state.apply(
      JSON.parse(JSON.stringify(encodeFrame(frame((i) => 200 + (i % 7), { x: 1, y: 1, width: 2, height: 1 })))),
    );
    assert.ok(second);
    const px = state.frame!.pixels!;
    // Pixel (1,1) and (2,1) took the new values, (0,1) and (3,1) kept the old.
    assert.deepStrictEqual(Array.from(px.subarray(15, 21)), [200 + 1, 200 + 2, 200 + 3, 200 + 4, 200 + 5, 200 + 6]);
    assert.deepStrictEqual(Array.from(px.subarray(12, 15)), [12, 13, 14]);
    const img = renderFrame(state.frame!);
    assert.deepStrictEqual(Array.from(img.rgba.subarray(0, 8)), [0, 1, 2, 255, 3, 4, 5, 255]);
  });
});
