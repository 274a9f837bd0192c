org 0x7C00
start:
    mov ax, bx
    foo ax, 1
    mov al, 300
    jmp start
times 510-($-$$) db 0
dw 0xAA55
