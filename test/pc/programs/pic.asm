; 8259 PICs: mask registers read back, the in-service register through OCW3, and an IRQ delivered through
; the vector the BIOS programmed (08h for IRQ0), acknowledged with EOI.
%include "lib.inc"
main:
    cli
    in al, 0x21
    mov [saved], al
    mov al, 0xa5
    out 0x21, al
    in al, 0x21
    SHOW8 "imr1", al
    mov al, 0x5a
    out 0xa1, al
    in al, 0xa1
    SHOW8 "imr2", al
    mov al, 0x0b                ; OCW3: read ISR
    out 0x20, al
    in al, 0x20
    SHOW8 "isr", al
    mov word [8 * 4], irq0
    mov word [8 * 4 + 2], 0
    mov al, 0xfe                ; only IRQ0
    out 0x21, al
    sti
.wait:
    hlt
    cmp byte [seen], 3
    jb .wait
    cli
    SHOW8 "irq0_count", [seen]
    SHOW8 "isr_in_handler", [isr_seen]
    EXIT 0
irq0:
    push ax
    mov al, 0x0b
    out 0x20, al
    in al, 0x20
    mov [cs:isr_seen], al
    inc byte [cs:seen]
    mov al, 0x20
    out 0x20, al
    pop ax
    iret
saved: db 0
seen: db 0
isr_seen: db 0
END_SECTOR
