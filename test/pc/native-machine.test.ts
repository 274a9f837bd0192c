// The PC without Node: a plain C++ driver (native/tools/pc_run.cpp, built with the addon by binding.gyp) boots
// NASM programs written here that exercise the devices and the BIOS through their real interfaces (IRQ0 and the
// tick count, INT 1Ah/15h/12h/11h, a reprogrammed PIT, the RTC, E820; INT 13h CHS and LBA reads, a hooked
// INT 9 chaining to the BIOS, INT 16h, an interrupt-driven 16550, the RTC's periodic IRQ8, INT 10h write
// string, scrolling, mode 13h pixels) and report through the debug console, which the tests compare with what
// a PC BIOS gives. Snapshots are checked by replaying from one and comparing both ends.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { EXAMPLES, ROOT, requireNasm, tempDir } from '../cli/harness';

const PC_RUN = path.join(ROOT, 'build', 'Release', 'pc_run');

interface PcRun {
  status: number | null;
  stdout: string;
  debugcon: string;
  serial: string;
  stop: string;
}

function pcRun(image: string, args: string[] = []): PcRun {
  const r = spawnSync(PC_RUN, [image, '--stop-after-ms', '20000', ...args], { encoding: 'latin1', timeout: 60000 });
  if (r.error) throw r.error;
  const line = (prefix: string): string => {
    const l = r.stdout.split('\n').find((x) => x.startsWith(prefix));
    return l === undefined ? '' : l.slice(prefix.length);
  };
  return {
    status: r.status,
    stdout: r.stdout,
    debugcon: line('debugcon: '),
    serial: line('serial: '),
    stop: line('stop: '),
  };
}

function assembleTo(dir: string, name: string, source: string): string {
  const asm = path.join(dir, `${name}.asm`);
  const img = path.join(dir, `${name}.img`);
  fs.writeFileSync(asm, source);
  const r = spawnSync('nasm', ['-f', 'bin', asm, '-o', img], { encoding: 'utf8' });
  assert.strictEqual(r.status, 0, `nasm ${name}.asm: ${r.stderr}`);
  return img;
}

describe('the PC, natively (pc_run)', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof tempDir>;

  before(function () {
    requireNasm();
    assert.ok(
      fs.existsSync(PC_RUN),
      `${PC_RUN} is missing: build the native part (npm install, or scripts/build-native.sh)`,
    );
    tmp = tempDir('bootvisor-pc-');
  });
  after(() => tmp?.remove());

  it('timers and system services: ticks, INT 1Ah/15h/12h/11h, a 1 kHz PIT, the RTC, E820, the exit port', () => {
    const img = assembleTo(tmp.dir, 'ticks', TICKS);
    const r = pcRun(img, ['--boot-drive', '0']); // a floppy boot: INT 11h's equipment word lists the floppy
    // '+' after 18 ticks of a HLT loop; INT 1Ah sees 0x13 ticks; INT 15h AH=86h for 500 ms spans 9 ticks;
    // a hooked INT 1Ch ran 5 times; '!' after 100 IRQ0s at 1 kHz; RTC 00:00 on 2026-01-01 (the fixed epoch);
    // 4 E820 entries; 639 KiB; equipment 0x0227 (floppy, x87, PS/2 mouse, 80x25 colour, COM1; QEMU 0x4227 with its LPT1); E801 15 MiB + 256 x 64 KiB.
    assert.strictEqual(r.debugcon, '+0013 0009 0005 !0000 2026 0101 0004 027F 0227 3C00 0100 ');
    assert.match(r.stop, /^guest-exit .* exit code 67/);
  });

  it('devices and I/O services: INT 13h, a hooked INT 9, INT 16h, an interrupt-driven UART, IRQ8, INT 10h', () => {
    const img = assembleTo(tmp.dir, 'dev', DEV);
    const r = pcRun(img, ['--keys', 'aB', '--boot-drive', '0']); // the 1.44 MB floppy's geometry below
    // sectors 2 and 3 by CHS and by LBA; AH=08h: 80 cylinders, 18 sectors, 2 heads, 1 drive; keys 'a' (1E61)
    // and 'B' (3042) through the guest's own INT 9 hook, which saw 3 interrupts by then; 5 bytes sent from the
    // UART's THR-empty interrupt; 'R' after 64 RTC periodic interrupts; INT 10h 13h/08h: 'H' in yellow on blue
    // (1E48), one line lower after scrolling up (blank 0720 where it was); a mode 13h pixel of colour 2Ah;
    // AH=0Fh: 40 columns, mode 13h.
    assert.strictEqual(r.debugcon, 'sector2 sector3 4F12 0101 1E61 3042 0003 R1E48 0720 0D2A 2813 ');
    assert.strictEqual(r.serial, 'ABCDE');
    assert.match(r.stop, /^guest-exit .* exit code 1 /);
  });

  for (const name of ['hello', 'protected', 'mode13h']) {
    it(`snapshots: ${name} replays identically from a snapshot taken halfway`, () => {
      const img = path.join(EXAMPLES, name, `${name}.img`);
      const full = pcRun(img);
      const n = Number(/after (\d+) instructions/.exec(full.stop)?.[1]);
      assert.ok(n > 10, `${name} ran: ${full.stop}`);
      const r = pcRun(img, ['--snapshot-test', '--max', String(n)]);
      assert.match(r.stdout, /snapshot: replay identical/);
    });
  }

  it('snapshots taken every 3 ms of guest time keep only what changed', () => {
    const img = assembleTo(tmp.dir, 'busy', BUSY);
    const r = pcRun(img, ['--snapshot-every', '300000', '--max', '30000000']);
    const m = /snapshots: (\d+),.* (\d+) bytes held/.exec(r.stdout);
    assert.ok(m, r.stdout);
    // The program rewrites 32 KiB every ~100k instructions: about 100 pages per snapshot, far below the
    // 8192 pages of RAM a full copy would take.
    const perSnapshot = Number(m[2]) / Number(m[1]);
    assert.ok(perSnapshot < 200 * 4096, `${perSnapshot} bytes per snapshot`);
    assert.ok(perSnapshot > 4096, `${perSnapshot} bytes per snapshot: the writes were not recorded`);
  });

  it('bad images get a message that says what to do', () => {
    const write = (name: string, bytes: Buffer): string => {
      const p = path.join(tmp.dir, name);
      fs.writeFileSync(p, bytes);
      return p;
    };
    const empty = pcRun(write('empty.img', Buffer.alloc(0)));
    assert.strictEqual(empty.status, 65);
    assert.match(empty.stdout, /error: the image is empty/);
    const odd = pcRun(write('odd.img', Buffer.alloc(700)));
    assert.match(odd.stdout, /error: the image is 700 bytes, not a multiple of 512/);
    const nosig = pcRun(write('nosig.img', Buffer.alloc(512)));
    assert.match(nosig.stdout, /error: sector 0 does not end with the boot signature 0x55 0xAA/);
    // Waived: the sector (cli; hlt) boots anyway.
    const waived = pcRun(write('nosig2.img', Buffer.from([0xfa, 0xf4, ...Buffer.alloc(510)])), ['--no-signature']);
    assert.match(waived.stop, /^hlt-cli at 0000:00007C02/);
  });
});

const TICKS = `
bits 16
org 0x7c00

start:
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7c00
  sti
  ; wait 18 ticks via hlt
  mov eax, [0x46c]
  add eax, 18
.w: hlt
  cmp [0x46c], eax
  jb .w
  mov al, 0x2b
  out 0xe9, al
  ; INT 1Ah AH=0
  mov ah, 0
  int 0x1a
  mov ax, dx
  call dbghex
  ; INT 15h 86h wait 500ms
  mov eax, [0x46c]
  mov [t0], eax
  mov cx, 0x0007
  mov dx, 0xA120
  mov ah, 0x86
  int 0x15
  mov eax, [0x46c]
  sub eax, [t0]
  call dbghex
  ; hook INT 1Ch counter
  mov word [0x1c*4], tick
  mov word [0x1c*4+2], 0
  mov eax, [0x46c]
  add eax, 5
.w2: hlt
  cmp [0x46c], eax
  jb .w2
  mov ax, [cnt]
  call dbghex
  ; reprogram PIT to 1000 Hz and count IRQ0 via own INT 8 handler for 100 ticks
  cli
  mov word [8*4], irq0
  mov word [8*4+2], 0
  mov al, 0x34
  out 0x43, al
  mov al, 0xA9
  out 0x40, al
  mov al, 0x04
  out 0x40, al
  sti
.w3: hlt
  cmp word [cnt2], 100
  jb .w3
  mov al, 0x21
  out 0xe9, al
  ; RTC read seconds/minutes/hours, date via INT 1Ah 02/04
  mov ah, 2
  int 0x1a
  mov ax, cx
  call dbghex
  mov ah, 4
  int 0x1a
  mov ax, cx
  call dbghex
  mov ax, dx
  call dbghex
  ; E820 count
  xor ebx, ebx
  mov di, 0x600
  xor bp, bp
.e820:
  mov eax, 0xe820
  mov ecx, 20
  mov edx, 0x534D4150
  int 0x15
  jc .edone
  inc bp
  test ebx, ebx
  jnz .e820
.edone:
  mov ax, bp
  call dbghex
  ; int 12h, int 11h
  int 0x12
  call dbghex
  int 0x11
  call dbghex
  mov ax, 0xe801
  int 0x15
  call dbghex
  mov ax, dx
  call dbghex
  ; exit 0x21
  mov al, 0x21
  out 0xf4, al
  cli
  hlt
tick: inc word [cs:cnt]
  iret
irq0: inc word [cs:cnt2]
  push ax
  mov al, 0x20
  out 0x20, al
  pop ax
  iret
cnt: dw 0
cnt2: dw 0
t0: dd 0
dbgstr:
  push ax
.l: lodsb
  test al, al
  jz .d
  out 0xe9, al
  jmp .l
.d: pop ax
  ret
dbghex:
  push ax
  push cx
  mov cx, 4
.h: rol ax, 4
  push ax
  and al, 0xf
  add al, '0'
  cmp al, '9'
  jbe .o
  add al, 7
.o: out 0xe9, al
  pop ax
  loop .h
  mov al, ' '
  out 0xe9, al
  pop cx
  pop ax
  ret
times 510-($-$$) db 0
dw 0xaa55
`;

const DEV = `
bits 16
org 0x7c00
start:
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7c00
  mov [drive], dl
  ; INT 13h CHS read sector 2..3 (cyl 0 head 0) to 0x8000
  mov ax, 0x0202
  mov cx, 0x0002
  xor dh, dh
  mov dl, [drive]
  mov bx, 0x8000
  int 0x13
  jc fail
  mov si, 0x8000
  call dbgstr
  ; LBA read sector 3 via 42h into 0x9000
  mov ah, 0x41
  mov bx, 0x55aa
  mov dl, [drive]
  int 0x13
  jc fail
  mov si, dap
  mov ah, 0x42
  mov dl, [drive]
  int 0x13
  jc fail
  mov si, 0x9000
  call dbgstr
  ; INT 13h AH=08
  mov ah, 8
  mov dl, [drive]
  int 0x13
  mov ax, cx
  call dbghex
  mov ax, dx
  call dbghex
  xor ax, ax
  mov es, ax
  jmp 0x0000:0x8210          ; continue in sector 3's code
fail:
  mov al, 'F'
  out 0xe9, al
  mov al, ah
  out 0xf4, al
drive: db 0
dap: db 0x10, 0
  dw 1
  dw 0x9000, 0
  dq 2
dbgstr:
  push ax
.l: lodsb
  test al, al
  jz .d
  out 0xe9, al
  jmp .l
.d: pop ax
  ret
dbghex:
  push ax
  push cx
  mov cx, 4
.h: rol ax, 4
  push ax
  and al, 0xf
  add al, '0'
  cmp al, '9'
  jbe .o
  add al, 7
.o: out 0xe9, al
  pop ax
  loop .h
  mov al, ' '
  out 0xe9, al
  pop cx
  pop ax
  ret
times 510-($-$$) db 0
dw 0xaa55
; sector 2 (LBA 1)
db "sector2 ", 0
times 1024-($-$$) db 0
; sector 3 (LBA 2) at 0x8200 when read by CHS; also read to 0x9000
db "sector3 ", 0
times 16 - 9 db 0
code3:
; at 0x8210
  ; hook INT 9: count and chain
  cli
  mov ax, [9*4]
  mov [0x7e00], ax
  mov ax, [9*4+2]
  mov [0x7e02], ax
  mov word [9*4], 0x8210 + (kbd - code3)
  mov word [9*4+2], 0
  sti
  ; read two keys
  xor ah, ah
  int 0x16
  call 0x0000:0x7c00 + (dbghex - start)
  xor ah, ah
  int 0x16
  call 0x0000:0x7c00 + (dbghex - start)
  mov ax, [0x7e04]
  call 0x0000:0x7c00 + (dbghex - start)
  ; UART interrupt-driven: IRQ4 handler sends bytes
  cli
  mov word [0x0c*4], 0x8210 + (com - code3)
  mov word [0x0c*4+2], 0
  in al, 0x21
  and al, 0xEF
  out 0x21, al
  mov dx, 0x3fc
  mov al, 0x08       ; OUT2
  out dx, al
  mov dx, 0x3f9
  mov al, 0x02       ; THRE interrupt
  out dx, al
  sti
.wc: hlt
  cmp byte [0x7e06], 5
  jb .wc
  ; RTC periodic interrupt: count 64 IRQ8 at 1024 Hz
  cli
  mov word [0x70*4], 0x8210 + (rtc - code3)
  mov word [0x70*4+2], 0
  mov al, 0x0b
  out 0x70, al
  in al, 0x71
  or al, 0x40
  mov ah, al
  mov al, 0x0b
  out 0x70, al
  mov al, ah
  out 0x71, al
  sti
.wr: hlt
  cmp word [0x7e08], 64
  jb .wr
  mov al, 'R'
  out 0xe9, al
  ; write string, then scroll and read char back
  mov ax, 0x1301
  mov bx, 0x001e
  mov cx, 5
  mov dx, 0x0203
  mov bp, 0x8210 + (msg - code3)
  int 0x10
  mov ah, 0x08
  mov bh, 0
  mov dx, 0x0203
  mov ah, 2
  int 0x10
  mov ah, 8
  int 0x10
  call 0x0000:0x7c00 + (dbghex - start)
  mov ax, 0x0601
  mov bh, 0x07
  xor cx, cx
  mov dx, 0x184f
  int 0x10
  mov ah, 2
  mov dx, 0x0103
  int 0x10
  mov ah, 8
  int 0x10
  call 0x0000:0x7c00 + (dbghex - start)
  ; mode 13h pixel, get pixel
  mov ax, 0x0013
  int 0x10
  mov ax, 0x0c2a
  mov cx, 100
  mov dx, 50
  int 0x10
  mov ah, 0x0d
  int 0x10
  call 0x0000:0x7c00 + (dbghex - start)
  mov ah, 0x0f
  int 0x10
  call 0x0000:0x7c00 + (dbghex - start)
  mov al, 0
  out 0xf4, al
kbd:
  inc word [cs:0x7e04]
  pushf
  call far [cs:0x7e00]
  iret
com:
  push ax
  push dx
  mov dx, 0x3fa
  in al, dx
  cmp byte [cs:0x7e06], 5
  jae .stop
  mov al, 'A'
  add al, [cs:0x7e06]
  mov dx, 0x3f8
  out dx, al
  inc byte [cs:0x7e06]
  jmp .eoi
.stop:
  mov dx, 0x3f9
  xor al, al
  out dx, al
.eoi:
  mov al, 0x20
  out 0x20, al
  pop dx
  pop ax
  iret
rtc:
  push ax
  mov al, 0x0c
  out 0x70, al
  in al, 0x71
  inc word [cs:0x7e08]
  mov al, 0x20
  out 0xa0, al
  out 0x20, al
  pop ax
  iret
msg: db "HELLO"
times 2048-($-$$) db 0
`;

const BUSY = `
bits 16
org 0x7c00
  xor ax, ax
  mov ds, ax
  mov ax, 0x1000
  mov es, ax
  xor di, di
  sti
.l:
  mov [es:di], ax
  inc ax
  add di, 2
  cmp di, 0x8000
  jb .l
  xor di, di
  mov bx, es
  add bx, 0x800
  cmp bx, 0x9000
  jb .s
  mov bx, 0x1000
.s: mov es, bx
  jmp .l
times 510-($-$$) db 0
dw 0xaa55
`;
