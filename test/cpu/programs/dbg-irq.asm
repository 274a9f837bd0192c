; Debug-API fixture: waits in HLT for three external interrupts on vector 8 (the handler counts them),
; then exits through port 0xF4. The STI before the first HLT opens the window only after the HLT starts.
bits 16
org 0x7C00
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7C00
  mov word [8 * 4], irq_handler
  mov word [8 * 4 + 2], 0
  sti
idle:
  hlt
  cmp word [count], 3
  jne idle
  mov ax, [count]
  out 0xE9, al
  out 0xF4, al
  hlt
irq_handler:
  inc word [count]
  iret
count: dw 0
