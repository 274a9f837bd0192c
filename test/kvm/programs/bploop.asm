; A loop for breakpoints, watchpoints and steps on the hybrid, with timer interrupts on as real guests have:
; 40 passes (CX counts down), each a critical section (CLI ... STI) that writes the watched counter and
; stores an x87 result into the same page as the code (so that on NVMM the write hits the page made
; execute-only for the HLT patch, and on KVM the write-protected page of a watchpoint: KVM cannot emulate an
; x87 store there, and the hybrid walks on with the software vCPU). The handler of vector 0x20 counts the
; interrupts and whether any came in while the interrupted code had IF clear (it must not).
bits 16
org 0x7C00
PASSES equ 40
start:
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7000
  mov word [0x20*4], tick
  mov word [0x20*4+2], 0
  mov word [ticks], 0
  mov word [badif], 0
  fninit
  xor si, si
  mov cx, PASSES
  sti
.loop:
  nop                     ; interrupts are taken here (and anywhere IF is set)
.bp:                      ; the test's breakpoint: the first instruction of the critical section
  cli
  mov [counter], cx       ; the test's watchpoint
  fld qword [factor]
  fiadd word [counter]
  fstp qword [results + si]
  sti
  add si, 8
  dec cx
  jnz .loop
  mov al, 'D'
  out 0xE9, al
  cli
  hlt
tick:
  push bp
  mov bp, sp
  test word [bp + 6], 0x200 ; FLAGS of the interrupted code
  jnz .ok
  inc word [badif]
.ok:
  inc word [ticks]
  pop bp
  iret
align 8
factor: dq 1.5
counter: dw 0
ticks: dw 0
badif: dw 0
times 510-($-$$) db 0
dw 0xAA55
results:                  ; PASSES x 8 bytes at 0x7E00, still on the page of the code
