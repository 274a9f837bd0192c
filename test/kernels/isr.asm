; Interrupt entry stubs for vectors 0-47: each pushes a dummy error code where the CPU pushes none, then its
; vector, and joins one common path that saves the registers and calls isr_dispatch(struct frame*) in C.
section .text
extern isr_dispatch
global isr_table

%macro stub 1
isr%1:
%if %1 = 8 || (%1 >= 10 && %1 <= 14) || %1 = 17
  push dword %1
%else
  push dword 0
  push dword %1
%endif
  jmp isr_common
%endmacro

%assign v 0
%rep 48
stub v
%assign v v + 1
%endrep

isr_common:
  pusha
  push ds
  push es
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  push esp                            ; struct frame*
  call isr_dispatch
  add esp, 4
  pop es
  pop ds
  popa
  add esp, 8                          ; vector and error code
  iret

section .rodata
isr_table:
%assign v 0
%rep 48
  dd isr %+ v
%assign v v + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
