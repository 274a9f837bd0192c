; The x87 for the debugger's FPU scope: two values on the stack and a control word of its own.
org 0x7C00
bits 16
start:
  xor ax, ax
  mov ds, ax
  fninit
  fldpi
  fld1
  fchs                    ; ST0 = -1, ST1 = pi
  mov word [cw], 0x0F7F   ; round toward zero, 64-bit precision, every exception masked
  fldcw [cw]
  nop                     ; stopped here
  hlt
cw: dw 0
  times 510-($-$$) db 0
  dw 0xAA55
