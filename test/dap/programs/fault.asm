; Executes an invalid opcode (#UD, vector 6) after a little setup, for the exception stop.
org 0x7c00
bits 16

start:
    xor ax, ax
    mov ds, ax
    mov ax, 0xbeef
    ud2
    jmp $

times 510-($-$$) db 0
dw 0xaa55
