; Two long loops (about three million instructions each) around a marker, for reverse execution across
; many snapshots: reverse-continue from the final HLT must find the marker between them.
org 0x7c00
bits 16

start:
    cli
    xor dx, dx
    mov ecx, 1000000
.first:
    inc dx
    dec ecx
    jnz .first
marker:
    mov bx, dx
    mov ecx, 1000000
.second:
    dec dx
    dec ecx
    jnz .second
    hlt

times 510-($-$$) db 0
dw 0xaa55
