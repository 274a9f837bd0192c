; The first bytes of the os-tutorial kernel binary: the boot sector calls 0x1000, which calls kmain.
  bits 32
section .text
global _start
extern kmain
_start:
  call kmain
  ret
section .note.GNU-stack noalloc noexec nowrite progbits
