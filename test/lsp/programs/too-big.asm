org 0x7C00
start:
    jmp start
    times 600 db 0x90
times 510-($-$$) db 0
dw 0xAA55
