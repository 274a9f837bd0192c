; A routine in assembly that cstep.c calls, assembled with -g -F dwarf: stepping goes from the C line into
; it by its .asm lines and back out to the C caller.
section .text
global asm_triple
asm_triple:
  mov eax, [esp + 4]                  ; x
  lea eax, [eax + eax * 2]            ; 3x
  ret

section .note.GNU-stack noalloc noexec nowrite progbits
