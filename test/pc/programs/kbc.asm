; 8042 keyboard controller: self-test, the command byte, and a byte written into the output buffer with
; command D2h read back from port 0x60 (IRQ1 masked so the BIOS does not take it).
%include "lib.inc"
main:
    cli
    in al, 0x21
    or al, 0x02
    out 0x21, al
    call drain
    mov al, 0xaa
    out 0x64, al
    call wait_obf
    in al, 0x60
    SHOW8 "selftest", al
    mov al, 0xd2
    out 0x64, al
    call wait_ibe
    mov al, 0x1e
    out 0x60, al
    call wait_obf
    in al, 0x60
    SHOW8 "d2_byte", al
    in al, 0x64
    and al, 1
    SHOW8 "obf_after", al
    EXIT 0
wait_obf:
    mov cx, 0xffff
.l: in al, 0x64
    test al, 1
    jnz .r
    loop .l
.r: ret
wait_ibe:
    mov cx, 0xffff
.l: in al, 0x64
    test al, 2
    jz .r
    loop .l
.r: ret
drain:
    in al, 0x64
    test al, 1
    jz .r
    in al, 0x60
    jmp drain
.r: ret
END_SECTOR
