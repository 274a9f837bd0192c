; A REP MOVSB of 64 bytes, for stepping over a REP string instruction.
org 0x7c00
bits 16

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    cld
    mov si, src
    mov di, dst
    mov cx, 64
    rep movsb
    mov bx, [dst]
    hlt

src: times 64 db 0x41
dst: times 64 db 0

times 510-($-$$) db 0
dw 0xaa55
