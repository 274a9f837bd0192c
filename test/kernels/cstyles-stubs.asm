; Interrupt stubs of other shapes than isr.asm's, for cstyles.c: none pushes the vector and error code the
; tutorial way, so the debugger must find the event from the IDT and the CPU's frame.
section .text
extern on_ud, on_breakpoint, on_divide, on_alt
global ud_stub, bp_stub, de_stub, of_stub, int2e_stub

; #UD: only the registers a C call may change are saved (no pusha); the handler steps over the 2-byte ud2.
ud_stub:
  push eax
  push ecx
  push edx
  call on_ud
  pop edx
  pop ecx
  pop eax
  add dword [esp], 2
  iret

; #BP (a trap: the CPU's EIP is already past the int3): nothing saved at all.
bp_stub:
  call on_breakpoint
  iret

; #DE: pusha, then the vector below the block (as a C argument); steps over the 2-byte div.
de_stub:
  pusha
  push dword 0
  call on_divide
  add esp, 4
  popa
  add dword [esp], 2
  iret

; #OF and INT 2Eh: per-vector stubs into one common path, pushing the vector first and a dummy error code
; after it (the reverse of isr.asm's order): only the IDT and the stubs' own code say which vector it was.
of_stub:
  push dword 4
  push dword 0
  jmp alt_common
int2e_stub:
  push dword 0x2e
  push dword 0
  jmp alt_common

alt_common:
  pusha
  call on_alt
  popa
  add esp, 8
  iret

section .note.GNU-stack noalloc noexec nowrite progbits
