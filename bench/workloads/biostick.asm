; Workload (d): the cost of one BIOS call, INT 1Ah AH=00h (read the tick count), as games make it hundreds
; of thousands of times a second; interrupts on. ITERATIONS calls, PER_ITERATION instructions of the guest's
; own per call plus a constant. Assemble with nasm -DITERATIONS=N.
PER_ITERATION equ 4
org 0x7C00
bits 16
%include "start.inc"
  sti
  mov ebp, ITERATIONS
.loop:
  xor ah, ah
  int 0x1A
  dec ebp
  jnz .loop
%include "exit.inc"
  times 510 - ($ - $$) db 0
  dw 0xAA55
