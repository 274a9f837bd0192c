; What a guest sees of the x87 environment after the state moved between the hardware backend and the
; software vCPU: one FLD from memory (the last instruction and data pointers then name it and `val`), the
; test's hand-over point, then FNSTENV (16-bit real-mode layout: 20-bit linear pointers, FOP) into `env`.
; CS = DS = 07C0h so that a lost selector shows in the linear pointers.
bits 16
org 0
  jmp 0x07C0:start
start:
  cli
  mov ax, cs
  mov ds, ax
  mov es, ax
  xor ax, ax
  mov ss, ax
  mov sp, 0x7000
  fninit
  fld qword [val]
.handover:                ; the test moves the state across here
  fnstenv [env]
  mov al, 'E'
  out 0xE9, al
  hlt
align 8
val: dq 2.5
env: times 14 db 0
times 510-($-$$) db 0
dw 0xAA55
