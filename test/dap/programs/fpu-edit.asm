; The x87 for editing in the debugger's FPU scope: the test changes ST0, ST1 and the control word at the
; first stop, and the FADDP after it computes with what the test wrote, in the rounding it set.
org 0x7C00
bits 16
start:
  xor ax, ax
  mov ds, ax
  fninit
  fldpi
  fld1
  fchs                    ; ST0 = -1, ST1 = pi
  nop                     ; edit here
  faddp st1, st0          ; ST0 = ST1 + ST0, rounded by the control word
  nop                     ; sum here
  hlt
  times 510-($-$$) db 0
  dw 0xAA55
