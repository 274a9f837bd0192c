; 8254 PIT: channel 0 counts down (latched reads), reprogrammed to 1 kHz it drives IRQ0 through our own
; handler; channel 2 gated through port 0x61 (the speaker) reports its output in bit 5.
%include "lib.inc"
main:
    cli
    mov al, 0x00                ; latch channel 0
    out 0x43, al
    in al, 0x40
    mov bl, al
    in al, 0x40
    mov bh, al
    mov cx, 2000
.burn:
    loop .burn
    mov al, 0x00
    out 0x43, al
    in al, 0x40
    mov dl, al
    in al, 0x40
    mov dh, al
    cmp dx, bx
    setne al
    SHOW8 "counting", al
    mov word [8 * 4], irq0
    mov word [8 * 4 + 2], 0
    mov al, 0x34                ; channel 0, lo/hi, mode 2
    out 0x43, al
    mov ax, 1193                ; 1 kHz
    out 0x40, al
    mov al, ah
    out 0x40, al
    in al, 0x21
    and al, 0xfe
    out 0x21, al
    sti
.wait:
    hlt
    cmp word [count], 10
    jb .wait
    cli
    SHOW8 "irq0_seen", 1
    mov al, 0xb6                ; channel 2, lo/hi, mode 3
    out 0x43, al
    mov al, 2
    out 0x42, al
    xor al, al
    out 0x42, al
    in al, 0x61
    or al, 1                    ; gate on, speaker off
    and al, 0xfd
    out 0x61, al
    xor bx, bx                  ; see bit 5 both high and low
    mov cx, 5000
.poll:
    in al, 0x61
    test al, 0x20
    jz .low
    or bl, 1
    jmp .next
.low:
    or bl, 2
.next:
    loop .poll
    SHOW8 "ch2_toggles", bl
    EXIT 0
irq0:
    inc word [cs:count]
    push ax
    mov al, 0x20
    out 0x20, al
    pop ax
    iret
count: dw 0
END_SECTOR
