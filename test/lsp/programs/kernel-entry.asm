; A kernel entry linked with other objects: assembled as ELF, so extern and global are fine.
bits 32
global _start
extern kernel_main
section .text
_start:
    mov esp, stack_top
    call kernel_main
.hang:
    cli
    hlt
    jmp .hang
section .bss
    resb 4096
stack_top:
