; A well-formed boot sector: prints through the BIOS and COM1, then halts.
org 0x7C00
bits 16

%include "lib.inc"

start:
    xor ax, ax
    mov ds, ax
    mov si, greeting
    call print_string
    mov dx, COM1_PORT
    mov al, '!'
    out dx, al
    out 0x80, al
    in al, 0x60
    PUTC 'x'
.halt:
    cli
    hlt
    jmp .halt

greeting db "Hello", 0

times 510-($-$$) db 0
dw 0xAA55
