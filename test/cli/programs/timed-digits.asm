; Draws the digits 0, 1, 2... one every 250 ms of guest time (INT 10h teletype, then INT 15h AH=86h), COUNT of
; them (10 unless nasm -DCOUNT=N says), then halts. --screenshot-at 1.1s shows "01234", as the final screen of
; the COUNT=5 build does.
bits 16
org 0x7c00
%ifndef COUNT
%define COUNT 10
%endif
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7c00
  sti
  mov bl, '0'
draw:
  mov ah, 0x0e
  mov al, bl
  int 0x10
  inc bl
  cmp bl, '0' + COUNT
  je done
  push bx
  mov ah, 0x86              ; 250,000 us
  mov cx, 0x0003
  mov dx, 0xD090
  int 0x15
  pop bx
  jmp draw
done:
  cli
  hlt
times 510-($-$$) db 0
dw 0xaa55
