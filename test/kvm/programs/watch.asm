; Counts in a variable at 0x5000 (its own page, away from the code and from the BIOS data area the timer
; interrupt writes), printing a dot per increment; a
; watchpoint on the variable must stop each write, with RIP after the writing instruction.
bits 16
org 0x7C00
start:
  xor ax, ax
  mov ds, ax
  mov word [0x5000], 0
  mov cx, 5
.again:
  inc word [0x5000]
  mov al, '.'
  out 0xE9, al
  loop .again
  mov ax, [0x5000]
  cli
  hlt
times 510-($-$$) db 0
dw 0xAA55
