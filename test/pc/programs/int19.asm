; INT 19h: boots again from the boot drive, keeping RAM: the first boot counts 1 and calls INT 19h, the
; second counts 2 and reports.
%include "lib.inc"
main:
    inc byte [0x5f0]
    cmp byte [0x5f0], 2
    jae .again
    int 0x19
.again:
    SHOW8 "boots", [0x5f0]
    EXIT 0
END_SECTOR
