; A floppy boot sector (padded to a 1.44 MB image) that reads from the first hard disk, as a program written
; for `qemu-system-i386 -hda` would: the read fails, and the failed call is reported at its line.
bits 16
org 0x7c00
    xor ax, ax
    mov es, ax
    mov bx, 0x8000
    mov ax, 0x0201
    mov cx, 0x0001
    mov dx, 0x0080
    int 0x13
    cli
    hlt
    times 510 - ($ - $$) db 0
    dw 0xaa55
    times 1474560 - ($ - $$) db 0
