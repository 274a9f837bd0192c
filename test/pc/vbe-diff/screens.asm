; VBE screens for test/pc/vbe-diff.test.ts, drawn as hobbyists draw them: the mode list and each mode's
; information block sent over COM1 ("MODES:" then "m=xxxx" and 66 bytes of its block in hex per mode), then
; modes set through INT 10h AX=4F02h with the linear framebuffer (drawn from unreal mode at the address the mode
; information gives), a banked mode through AX=4F05h, the dispi ports programmed directly, and the display
; start moved (AX=4F07h). After each screen: "Snn" on COM1, then a key (INT 16h) before the next.
; Loaded by its own boot sector from a floppy (18 sectors per track).
bits 16
org 0x7C00
SECTORS equ 16
start:
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7C00
  sti
  mov ax, 0x0200 + SECTORS
  mov bx, 0x7E00
  mov cx, 0x0002
  xor dh, dh
  int 0x13
  jc $
  jmp main

times 510-($-$$) db 0
dw 0xAA55

gdt:
  dq 0
  dq 0x00CF92000000FFFF         ; flat 4 GiB data
gdtr:
  dw 15
  dd gdt

; FS with a 4 GiB limit (unreal mode), as boot loaders reach memory above 1 MiB.
unreal:
  cli
  push ds
  lgdt [gdtr]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp $+2
  mov bx, 8
  mov fs, bx
  and al, 0xFE
  mov cr0, eax
  xor ax, ax
  mov fs, ax
  pop ds
  sti
  ret

; COM1 output and the screen-by-screen handshake are the vga-diff programs' (putc, puthex, show).
%include "../vga-diff/com1.inc"

hex16:                          ; AX
  xchg al, ah
  call puthex
  xchg al, ah
  jmp puthex

; Mode info of CX into INFO; pitch, width, height, bytes per pixel and LFB into variables.
INFO equ 0x6000
get_info:
  mov ax, 0x4F01
  mov di, INFO
  int 0x10
  mov ax, [INFO + 0x10]
  mov [pitch], ax
  mov ax, [INFO + 0x12]
  mov [width], ax
  mov ax, [INFO + 0x14]
  mov [height], ax
  mov al, [INFO + 0x19]
  add al, 7
  shr al, 3
  mov [bytespp], al
  mov eax, [INFO + 0x28]
  mov [lfb], eax
  ret

; Draws the test picture into the framebuffer at [lfb]: every pixel v = x * 0x10203 + y * 0x30102 (its low
; bytes-per-pixel bytes), then a white-ish rectangle and a frame in colour 0x00A0C0E0.
draw:
  xor ebp, ebp                  ; y
.row:
  mov edi, ebp
  movzx eax, word [pitch]
  imul edi, eax
  add edi, [lfb]
  xor esi, esi                  ; x
.col:
  mov eax, esi
  imul eax, eax, 0x10203
  mov edx, ebp
  imul edx, edx, 0x30102
  add eax, edx
  ; the rectangle 100..199 x 100..149
  cmp esi, 100
  jb .put
  cmp esi, 200
  jae .put
  cmp ebp, 100
  jb .put
  cmp ebp, 150
  jae .put
  mov eax, 0x00A0C0E0
.put:
  mov cl, [bytespp]
.b: mov [fs:edi], al
  inc edi
  shr eax, 8
  dec cl
  jnz .b
  inc esi
  cmp si, [width]
  jb .col
  inc ebp
  cmp bp, [height]
  jb .row
  ret

main:
  call unreal
  ; The controller information and every mode's information block.
  mov di, 0x5000
  mov dword [di], 'VBE2'
  mov ax, 0x4F00
  int 0x10
  call hex16
  mov al, 10
  call putc
  mov si, [0x500E]
  mov ax, [0x5010]
  mov gs, ax
.modes:
  mov cx, [gs:si]
  cmp cx, 0xFFFF
  je .listed
  mov al, 'm'
  call putc
  mov ax, cx
  call hex16
  mov al, '='
  call putc
  push si
  mov ax, 0x4F01
  mov di, INFO
  int 0x10
  call hex16
  mov al, ':'
  call putc
  xor si, si
.dump:
  mov al, [INFO + si]
  call puthex
  inc si
  cmp si, 0x42
  jb .dump
  mov al, 10
  call putc
  pop si
  add si, 2
  jmp .modes
.listed:
  mov al, 'E'
  call putc
  mov al, 10
  call putc

  ; LFB modes through the BIOS.
  mov si, lfb_modes
.next:
  lodsw
  test ax, ax
  jz .lfb_done
  push si
  mov bx, ax
  mov cx, ax
  and cx, 0x1FF
  push bx
  call get_info
  pop bx
  mov ax, 0x4F02
  int 0x10
  cmp ax, 0x004F
  jne $
  ; 8 bpp: DAC entries 0-15 through the ports (SeaBIOS's vgabios has no AX=4F09h: it answers 0100h)
  cmp byte [bytespp], 1
  jne .nopal
  mov dx, 0x3C8
  xor al, al
  out dx, al
  inc dx
  mov bx, pal
  mov cx, 16
.dac:
  mov al, [bx + 2]
  out dx, al
  mov al, [bx + 1]
  out dx, al
  mov al, [bx]
  out dx, al
  add bx, 4
  loop .dac
.nopal:
  call draw
  call show
  pop si
  jmp .next
.lfb_done:

  ; A banked mode: 640x480x16 (111h) through window A at A000h, one 64 KiB bank at a time (AX=4F05h).
  mov cx, 0x111
  call get_info
  mov ax, 0x4F02
  mov bx, 0x111
  int 0x10
  xor dx, dx                    ; bank
.bank:
  push dx
  mov ax, 0x4F05
  xor bx, bx
  int 0x10
  pop dx
  mov ax, 0xA000
  mov es, ax
  xor di, di
.fill:
  mov ax, di
  xor ax, dx
  imul ax, ax, 0x0741
  stosw
  test di, di
  jnz .fill
  inc dx
  cmp dx, 10                    ; 640*480*2 = 9.4 banks
  jb .bank
  xor ax, ax
  mov es, ax
  call show

  ; The dispi ports directly: 800x600x32 with a virtual width of 1024 and the display 20 lines, 16 pixels in.
  mov ax, 0x4F02                ; back to text first, as a program starting from DOS would be
  mov bx, 3
  int 0x10
  mov ax, 4                     ; ENABLE = 0
  xor bx, bx
  call dispi
  mov ax, 1
  mov bx, 800
  call dispi
  mov ax, 2
  mov bx, 600
  call dispi
  mov ax, 3
  mov bx, 32
  call dispi
  mov ax, 4
  mov bx, 0x41                  ; enabled, LFB
  call dispi
  mov ax, 6
  mov bx, 1024
  call dispi
  mov ax, 8
  mov bx, 16
  call dispi
  mov ax, 9
  mov bx, 20
  call dispi
  mov word [pitch], 4096
  mov word [width], 1024
  mov word [height], 700
  mov byte [bytespp], 4
  mov dword [lfb], 0xFD000000
  call draw
  call show

  ; 640x480x32 (142h) with the display start moved 37 lines down (AX=4F07h).
  mov cx, 0x142
  call get_info
  mov ax, 0x4F02
  mov bx, 0x4142
  int 0x10
  mov word [height], 600
  call draw
  mov ax, 0x4F07
  xor bx, bx
  xor cx, cx
  mov dx, 37
  int 0x10
  call show

  mov al, 'D'
  call putc
  mov al, 'O'
  call putc
  mov al, 'N'
  call putc
  mov al, 'E'
  call putc
  mov al, 10
  call putc
  cli
  hlt

dispi:                          ; index AX, value BX
  mov dx, 0x1CE
  out dx, ax
  mov dx, 0x1CF
  mov ax, bx
  out dx, ax
  ret

lfb_modes:
  dw 0x4112, 0x4111, 0x4110, 0x4142, 0x4101, 0x4103, 0x4144, 0x410F, 0x4146, 0
pal:
%assign i 0
%rep 16
  db (i * 4) & 63, (i * 9) & 63, 63 - i * 3, 0
%assign i i + 1
%endrep

pitch dw 0
width dw 0
height dw 0
bytespp db 0
lfb dd 0

times 512 * (SECTORS + 1) - ($ - $$) db 0
