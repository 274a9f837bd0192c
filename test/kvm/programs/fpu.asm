; x87 work for the hand-over between a hardware backend and the software vCPU: a loop that keeps three values
; on the register stack (acc = sqrt(acc * 1.0625 + 1/3 + i)) and stores each result, run with CS = DS = 07C0h
; so that the FPU's code and data selectors are not zero. Only operations whose results QEMU's x87 (the
; "hardware" of the nested test) computes as the silicon does: loads, FILD, FADD, FMUL and FSQRT of positive
; numbers in the default control word; the test compares register bits, tags and TOP, not C1.
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
  fld qword [third]       ; ST1 = 1/3 for the whole loop
  fld1                    ; ST0 = acc
  xor si, si
  mov cx, 100
.loop:
  mov [counter], cx
  fld st0                 ; ST0 = acc, ST1 = acc, ST2 = 1/3
  fmul qword [factor]
  fadd st0, st2
  fiadd word [counter]
  fsqrt
.mid:                     ; the test stops here: three values live on the stack
  fxch st1
  fstp st0                ; ST0 = the new acc, ST1 = 1/3
  fst qword [results + si]
  add si, 8
  dec cx
  jnz .loop
  fld qword [factor]      ; leave four registers in use for the final comparison
  fldpi
  mov al, 'F'
  out 0xE9, al
  hlt
align 8
third: dq 0.333333333333333333
factor: dq 1.0625
counter: dw 0
times 510-($-$$) db 0
dw 0xAA55
results:
