; A guest that resets for ever: the run stops after a few resets with the reason, instead of spinning.
%include "lib.inc"
main:
    SHOW8 "boot", 1
    mov al, 0xfe
    out 0x64, al
    jmp $
END_SECTOR
