; Prints "login:", then echoes the word INT 16h returns for each key (scan code << 8 | ASCII) to COM1 as
; four hex digits and a space, for --keys tests of named keys, holds and triggers.
bits 16
org 0x7c00
  xor ax, ax
  mov ds, ax
  mov si, prompt
.p:
  lodsb
  or al, al
  jz .next
  mov ah, 0x0e
  int 0x10
  jmp .p
.next:
  mov ah, 0
  int 0x16
  mov cx, 4
.digit:
  rol ax, 4
  push ax
  and al, 15
  add al, '0'
  cmp al, '9'
  jbe .out
  add al, 7
.out:
  mov dx, 0x3f8
  out dx, al
  pop ax
  loop .digit
  mov al, ' '
  out dx, al
  jmp .next
prompt: db 'login:', 0
times 510-($-$$) db 0
dw 0xaa55
