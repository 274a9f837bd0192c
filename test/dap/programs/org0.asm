; A boot sector assembled at org 0 that runs with CS = 0x07C0: labels are offsets, code is still at
; linear 0x7C00 + offset. Checks the listing map's address model.
org 0
bits 16

    jmp 0x07c0:start
start:
    mov ax, cs
    mov ds, ax
    mov bx, [val]
    call twice
    cli
    hlt

twice:
    add bx, bx
    ret

val: dw 0x2121

times 510-($-$$) db 0
dw 0xaa55
