; A warm reset reboots: RAM survives (a boot count at 0000:05F0), sector 0 runs again. The first boot resets
; through the 8042 (command FEh), the second through port 0x92 bit 0, the third reports and leaves.
%include "lib.inc"
main:
    inc byte [0x5f0]
    SHOW8 "boot", [0x5f0]
    cmp byte [0x5f0], 2
    je .fast
    ja .done
    mov al, 0xfe
    out 0x64, al
    jmp $
.fast:
    in al, 0x92
    or al, 1
    out 0x92, al
    jmp $
.done:
    EXIT 0
END_SECTOR
