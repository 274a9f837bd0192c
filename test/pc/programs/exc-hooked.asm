; A guest that hooks vector 6 itself gets its own handler, not a stop: the handler counts, skips the 2-byte
; ud2 and returns; then INT3 with a hooked vector 3 too.
%include "lib.inc"
main:
    mov word [6*4], on_ud
    mov word [6*4+2], 0
    mov word [3*4], on_bp
    mov word [3*4+2], 0
    ud2
    ud2
    int3
    SHOW8 "ud", [count_ud]
    SHOW8 "bp", [count_bp]
    EXIT 0
on_ud:
    push bp
    mov bp, sp
    add word [bp+2], 2          ; past the ud2
    pop bp
    inc byte [count_ud]
    iret
on_bp:
    inc byte [count_bp]
    iret
count_ud: db 0
count_bp: db 0
END_SECTOR
