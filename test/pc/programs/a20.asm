; A20 through port 0x92: with the gate off, FFFF:0510 wraps to 0000:0500; with it on they differ.
%include "lib.inc"
main:
    push ds
    in al, 0x92
    and al, 0xfc
    out 0x92, al
    in al, 0x92
    and al, 2
    SHOW8 "gate_off", al
    mov word [0x500], 0x1234
    mov ax, 0xffff
    mov fs, ax
    mov word [fs:0x510], 0xabcd
    SHOW16 "wrapped", [0x500]
    in al, 0x92
    or al, 2
    and al, 0xfe
    out 0x92, al
    in al, 0x92
    and al, 2
    SHOW8 "gate_on", al
    mov word [0x500], 0x1234
    mov word [fs:0x510], 0xabcd
    SHOW16 "low", [0x500]
    SHOW16 "high", [fs:0x510]
    pop ds
    EXIT 0
END_SECTOR
