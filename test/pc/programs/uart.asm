; 16550 UART on COM1: the scratch register, line status, loopback, and interrupt-driven output (THR empty
; interrupt on IRQ4, vector 0Ch) sending "IRQ!" on the serial line.
%include "lib.inc"
main:
    mov dx, 0x3ff
    mov al, 0x5a
    out dx, al
    in al, dx
    SHOW8 "scratch", al
    mov dx, 0x3fd
    in al, dx
    and al, 0x60
    SHOW8 "lsr_empty", al
    mov dx, 0x3fc               ; loopback: what is sent comes back
    mov al, 0x10
    out dx, al
    mov dx, 0x3f8
    mov al, 0x42
    out dx, al
    mov dx, 0x3fd
    mov cx, 0xffff
.rx:
    in al, dx
    test al, 1
    jnz .got
    loop .rx
.got:
    and al, 1
    SHOW8 "lsr_data", al
    mov dx, 0x3f8
    in al, dx
    SHOW8 "loopback", al
    mov dx, 0x3fc               ; loopback off, OUT2 on (gates the IRQ)
    mov al, 0x08
    out dx, al
    cli
    mov word [0x0c * 4], irq4
    mov word [0x0c * 4 + 2], 0
    in al, 0x21
    and al, 0xef
    out 0x21, al
    mov dx, 0x3f9               ; IER: transmitter empty
    mov al, 0x02
    out dx, al
    sti
.wait:
    hlt
    cmp byte [done], 1
    jne .wait
    cli
    SHOW8 "irq_sent", [sent]
    EXIT 0
irq4:
    push ax
    push dx
    push si
    mov dx, 0x3fa               ; IIR: why
    in al, dx
    mov si, [cs:next]
    mov al, [cs:si]
    test al, al
    jz .finish
    mov dx, 0x3f8
    out dx, al
    inc word [cs:next]
    inc byte [cs:sent]
    jmp .eoi
.finish:
    mov dx, 0x3f9
    xor al, al
    out dx, al
    mov byte [cs:done], 1
.eoi:
    mov al, 0x20
    out 0x20, al
    pop si
    pop dx
    pop ax
    iret
message: db "IRQ!", 0
next: dw message
sent: db 0
done: db 0
END_SECTOR
