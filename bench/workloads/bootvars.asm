; Workload (b): a boot-sector-style loop that keeps its variables (a counter, a running total, a pointer and
; a small buffer) in the same 4 KiB page as its code, as most boot sectors do: every store lands beside code.
; ITERATIONS x PER_ITERATION instructions plus a constant. Assemble with nasm -DITERATIONS=N.
PER_ITERATION equ 11
org 0x7C00
bits 16
%include "start.inc"
  mov ecx, ITERATIONS
.loop:
  inc word [counter]
  mov ax, [counter]
  add [total], ax
  adc word [total + 2], 0
  mov bx, [bufpos]
  mov [buffer + bx], al
  inc bx
  and bx, 63
  mov [bufpos], bx
  dec ecx
  jnz .loop
%include "exit.inc"
counter: dw 0
total:   dd 0
bufpos:  dw 0
buffer:  times 64 db 0
  times 510 - ($ - $$) db 0
  dw 0xAA55
