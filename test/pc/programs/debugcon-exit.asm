; Port 0xE9 reads back 0xE9 (as Bochs and QEMU's debugcon do) and prints what is written; port 0xF4 ends
; the run with status (0x21 << 1) | 1 = 67.
%include "lib.inc"
main:
    in al, 0xe9
    SHOW8 "e9_reads", al
    mov si, text
    call puts
    mov al, 0x21
    out 0xf4, al
    cli
    hlt
text: db "debug console works", 10, 0
END_SECTOR
