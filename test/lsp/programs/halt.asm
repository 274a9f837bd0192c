; Ends the way many boot sectors do: interrupts off, then HLT. The CPU can never wake.
org 0x7C00
bits 16
start:
    xor ax, ax
    mov ds, ax
    mov al, 'k'
    out 0xE9, al                ; debug console
    cli
    hlt
times 510-($-$$) db 0
dw 0xAA55
