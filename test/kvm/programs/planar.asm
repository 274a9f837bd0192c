; Planar VGA through device memory on every backend: mode 12h, then the graphics controller's write modes and
; read modes exercised on A0000-AFFFF (on KVM and NVMM that window has no memory behind it, so each access is a
; MEMORY exit served by the VGA), and the write path's registers read back. Every result is printed in hex on
; port 0xE9, so kvm_machine compares the hardware backends with the software vCPU byte for byte.
bits 16
org 0x7C00
start:
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7C00
  mov ax, 0x0012            ; 640x480x16, planar
  int 0x10
  mov ax, 0xA000
  mov es, ax
  mov dx, 0x3C4             ; sequencer: map mask = planes 0 and 2
  mov ax, 0x0502
  out dx, ax
  mov byte [es:0], 0xA5     ; write mode 0: the byte goes to planes 0 and 2
  mov dx, 0x3C4
  mov ax, 0x0F02            ; all planes again
  out dx, ax
  mov dx, 0x3CE
  mov ax, 0x0205            ; graphics mode: write mode 2 (colour fill)
  out dx, ax
  mov ax, 0xF008            ; bit mask: the left four pixels only
  out dx, ax
  mov al, [es:1]            ; load the latches
  mov byte [es:1], 0x0C     ; colour 12 into the masked pixels
  mov ax, 0xFF08
  out dx, ax
  mov ax, 0x0005            ; back to write mode 0, read mode 0
  out dx, ax
  xor bx, bx                ; read each plane of bytes 0 and 1 through read map select
.plane:
  mov dx, 0x3CE
  mov al, 4
  mov ah, bl
  out dx, ax
  mov al, [es:0]
  call hex
  mov al, [es:1]
  call hex
  inc bx
  cmp bx, 4
  jb .plane
  mov dx, 0x3CE             ; read mode 1: colour compare with 12 over byte 1
  mov ax, 0x0C02
  out dx, ax
  mov ax, 0x0805
  out dx, ax
  mov al, [es:1]
  call hex
  mov ax, 0x0005
  out dx, ax
  mov ah, 0x0D              ; INT 10h read pixel (0, 0) and (4, 0)
  xor bh, bh
  xor cx, cx
  xor dx, dx
  int 0x10
  call hex
  mov ah, 0x0D
  mov cx, 4
  xor dx, dx
  int 0x10
  call hex
  mov dx, 0x3CE             ; the graphics controller's write path as the write below sees it
  mov si, gcregs
.gc:
  mov al, [si]
  out dx, al
  inc dx
  in al, dx
  dec dx
  call hex
  inc si
  cmp si, gcregs + 5
  jb .gc
  mov dx, 0x3C4
  mov al, 2
  out dx, al
  inc dx
  in al, dx
  call hex
  mov byte [es:2], 0x3C     ; a second write mode 0 write, all planes, read back from plane 3
  mov dx, 0x3CE
  mov ax, 0x0304
  out dx, ax
  mov al, [es:2]
  call hex
  mov al, 10
  out 0xE9, al
  cli
  hlt

; Prints AL as two hex digits and a space on port 0xE9.
hex:
  push ax
  push cx
  mov ah, al
  mov cx, 2
.digit:
  rol ah, 4
  mov al, ah
  and al, 0x0F
  add al, '0'
  cmp al, '9'
  jbe .out
  add al, 7
.out:
  out 0xE9, al
  loop .digit
  mov al, ' '
  out 0xE9, al
  pop cx
  pop ax
  ret
gcregs: db 0, 1, 3, 5, 8
times 510-($-$$) db 0
dw 0xAA55
