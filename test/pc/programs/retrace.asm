; Waits for 70 vertical retraces by polling the VGA's input status 1 (3DAh bit 3), as games pace their frames,
; and reports how many BIOS ticks (18.2 a second) went by meanwhile: 70 frames of a 70 Hz mode are one second.
%include "lib.inc"
main:
    mov ebx, [0x46c]
    mov cx, 70
    mov dx, 0x3da
.frame:
.in:
    in al, dx
    test al, 8
    jnz .in
.out:
    in al, dx
    test al, 8
    jz .out
    loop .frame
    mov eax, [0x46c]
    sub eax, ebx
    SHOW16 "ticks", ax
    EXIT 0
END_SECTOR
