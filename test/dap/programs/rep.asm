; %rep blocks and a struc, for the listing map: a breakpoint inside %rep stops on every iteration, and
; struc fields are offsets (constants), not code.
org 0x7c00
bits 16

struc point
    .x: resw 1
    .y: resw 1
endstruc

start:
    cli
    xor ax, ax
    mov ds, ax
%rep 3
    inc ax
%endrep
    mov bx, [origin + point.y]
    hlt

origin: istruc point
    at point.x, dw 1
    at point.y, dw 2
iend

times 510-($-$$) db 0
dw 0xaa55
