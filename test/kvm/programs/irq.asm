; Waits in STI/HLT for interrupts on vector 0x20 injected by the monitor; the handler prints 'I' and
; counts; after three it stops with CLI/HLT. Exercises injection and the interrupt window.
bits 16
org 0x7C00
start:
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7C00
  mov word [0x20*4], handler
  mov word [0x20*4+2], 0
  mov byte [count], 0
  sti
.wait:
  hlt
  cmp byte [count], 3
  jb .wait
  mov al, 10
  out 0xE9, al
  cli
  hlt
handler:
  push ax
  mov al, 'I'
  out 0xE9, al
  inc byte [count]
  pop ax
  iret
count: db 0
times 510-($-$$) db 0
dw 0xAA55
