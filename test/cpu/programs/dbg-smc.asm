; Debug-API fixture: self-modifying code. Each pass patches the immediate of the ADD it is about to run
; (same page, then the instruction right after the store), and keeps a counter beside the code.
bits 16
org 0x7C00
  xor ax, ax
  mov ds, ax
  xor bx, bx
  mov cx, 4
again:
  inc byte [patch + 2]        ; the ADD's immediate: 1, 2, 3, 4 on successive passes
patch:
  add bx, byte 0
  inc word [count]            ; data in the same 4 KiB page as the code
  loop again
  mov byte [next + 1], 0x42   ; patch the very next instruction's immediate
next:
  mov al, 0x00
  out 0xE9, al
  mov ax, bx
  out 0xE9, al
  mov ax, [count]
  out 0xE9, al
  out 0xF4, al
  hlt
count: dw 0
