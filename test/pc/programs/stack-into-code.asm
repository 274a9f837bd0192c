; The stack placed inside the boot sector it was loaded with: SS:SP = 0000:7D80, so every push overwrites
; the sector's own bytes (here only the padding). The machine reports it at the next BIOS call.
bits 16
org 0x7C00
start:
    xor ax, ax
    mov ss, ax
    mov sp, 0x7D80          ; inside 0x7C00-0x7DFF: the bug this program demonstrates
    push ax
    push ax
    mov ah, 0x0E
    mov al, 'S'
    int 0x10                ; the stack is checked at each BIOS call
    cli
    hlt

    times 510 - ($ - $$) db 0
    dw 0xAA55
