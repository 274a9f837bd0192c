; Prints through port 0xE9 (one OUT per byte) and COM1 (one REP OUTSB), then stops with CLI/HLT.
; Exercises IO exits in both the single and the string form.
bits 16
org 0x7C00
start:
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov si, msg
.next:
  lodsb
  test al, al
  jz .serial
  out 0xE9, al
  jmp .next
.serial:
  mov dx, 0x3F8
  mov si, line
  mov cx, line_end - line
  cld
  rep outsb
  mov ax, 0x1234
  mov bx, 0x5678
  add ax, bx
  cli
  hlt
msg: db "hello from the guest", 10, 0
line: db "serial ok", 10
line_end:
times 510-($-$$) db 0
dw 0xAA55
