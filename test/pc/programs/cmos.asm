; CMOS/RTC: status registers, the clock registers, and the periodic interrupt on IRQ8 (vector 70h).
%include "lib.inc"
%macro CMOS 1
    mov al, %1
    out 0x70, al
    in al, 0x71
%endmacro
main:
    cli
    CMOS 0x0a
    and al, 0x7f                ; without update-in-progress
    SHOW8 "reg_a", al
    CMOS 0x0b
    SHOW8 "reg_b", al
    CMOS 0x0d
    SHOW8 "reg_d", al
    CMOS 0x09
    SHOW8 "year", al
    CMOS 0x08
    SHOW8 "month", al
    CMOS 0x07
    SHOW8 "day", al
    CMOS 0x32
    SHOW8 "century", al
    mov word [0x70 * 4], irq8
    mov word [0x70 * 4 + 2], 0
    mov al, 0x0b                ; periodic interrupt on
    out 0x70, al
    in al, 0x71
    or al, 0x40
    mov ah, al
    mov al, 0x0b
    out 0x70, al
    mov al, ah
    out 0x71, al
    in al, 0xa1                 ; unmask IRQ8 and the cascade
    and al, 0xfe
    out 0xa1, al
    in al, 0x21
    and al, 0xfb
    out 0x21, al
    sti
.wait:
    hlt
    cmp byte [count], 4
    jb .wait
    cli
    SHOW8 "irq8_seen", 1
    SHOW8 "reg_c", [reg_c]
    EXIT 0
irq8:
    push ax
    mov al, 0x0c
    out 0x70, al
    in al, 0x71
    mov [cs:reg_c], al
    inc byte [cs:count]
    mov al, 0x20
    out 0xa0, al
    out 0x20, al
    pop ax
    iret
count: db 0
reg_c: db 0
END_SECTOR
