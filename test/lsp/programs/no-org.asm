; Forgets org 0x7C00 but takes the address of msg.
start:
    mov si, msg
    jmp start
msg db "hi", 0
times 510-($-$$) db 0
dw 0xAA55
