; Draws "first ", spins 100,000 times, draws "second", then waits for a key in INT 16h: the text drawn just
; before the wait must be seen by --expect-screen (the guest is idle from then on).
bits 16
org 0x7c00
  xor ax, ax
  mov ds, ax
  mov si, first
  call print
  mov cx, 50000
.a: loop .a
  mov cx, 50000
.b: loop .b
  mov si, second
  call print
  mov ah, 0
  int 0x16
  cli
  hlt
print:
  lodsb
  or al, al
  jz .done
  mov ah, 0x0e
  int 0x10
  jmp print
.done:
  ret
first: db 'first ', 0
second: db 'second', 0
times 510-($-$$) db 0
dw 0xaa55
