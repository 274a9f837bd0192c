; The multiboot header and the entry point every C test kernel shares (the OSDev Bare Bones layout): the
; header in its own section, which the linker script puts first so it lands in the file's first 8 KiB; a
; 16 KiB stack in .bss; kmain(magic, info) in C; then halt with interrupts off.
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x3                      ; page-align modules, memory information
section .multiboot
align 4
  dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

section .bss
align 16
stack_bottom: resb 16384
stack_top:

section .text
global _start
extern kmain
_start:
  mov esp, stack_top
  push ebx                            ; the multiboot information structure
  push eax                            ; 0x2BADB002
  call kmain
.hang:
  cli
  hlt
  jmp .hang

section .note.GNU-stack noalloc noexec nowrite progbits
