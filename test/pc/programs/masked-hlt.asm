; `sti; hlt` with every IRQ masked at both PICs: nothing can ever wake the CPU, so the run must stop as a
; hang at once instead of spinning until a timeout.
%include "lib.inc"
main:
    SHOW8 "start", 1
    mov al, 0xff
    out 0x21, al
    out 0xa1, al
    sti
    hlt
    SHOW8 "woke", 1             ; never reached
    EXIT 1
    END_SECTOR
