; Workload (a): a register-and-memory loop with a known instruction count, ITERATIONS x PER_ITERATION plus
; a constant, in real mode with 32-bit registers. Its data lives at 0x0600-0x07FF, a page away from the code,
; so no store touches a page that holds code. Assemble with nasm -DITERATIONS=N.
PER_ITERATION equ 8
org 0x7C00
bits 16
%include "start.inc"
  mov ecx, ITERATIONS
  xor eax, eax
  xor edx, edx
  mov ebx, 0x12345678
  xor si, si
.loop:
  add eax, ebx
  rol ebx, 3
  mov [si + 0x600], eax
  xor edx, [si + 0x700]
  add si, 4
  and si, 0xFC
  dec ecx
  jnz .loop
%include "exit.inc"
  times 510 - ($ - $$) db 0
  dw 0xAA55
