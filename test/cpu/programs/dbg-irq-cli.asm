; Debug-API fixture: an interrupt waits while a CLI'd loop runs (the vCPU keeps to its fast path then);
; the loop's last pass sets IF with POPF, and the interrupt must be taken at once, before the instruction
; after POPF (which ran after it in every earlier pass). The handler writes BL to port 0xE9: 0 on time,
; 1 one instruction late.
bits 16
org 0x7C00
  cli
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7C00
  mov word [8 * 4], irq_handler
  mov word [8 * 4 + 2], 0
  mov cx, 2000
spin:
  xor dx, dx
  cmp cx, 1
  sete dl
  shl dx, 9
  or dx, 2          ; FLAGS image: IF only in the last pass
  mov bl, 0
  push dx
  popf
  mov bl, 1
  dec cx
  jnz spin
  out 0xF4, al
  hlt
irq_handler:
  mov al, bl
  out 0xE9, al
  out 0xF4, al
  hlt
