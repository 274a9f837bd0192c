; Reports the boot drive the BIOS passed in DL, then reads sector 0 back from drive 80h (the first hard disk)
; and reports the carry flag: on a floppy boot that read fails and becomes a run event. Bytes 3-61 are left
; for a BPB and 446-509 for a partition table, which the tests write in to make each kind of image.
bits 16
org 0x7c00
    jmp short start
    nop
    times 62 - ($ - $$) db 0
start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    mov al, dl
    call hex8
    mov ax, 0x0201              ; read 1 sector
    mov cx, 0x0001              ; cylinder 0, sector 1
    xor dh, dh
    mov dl, 0x80
    mov bx, 0x8000
    int 0x13                    ; the failed call is here when the image booted as a floppy
    setc al
    call hex8
    mov al, 0
    out 0xf4, al
    cli
    hlt

; AL as two hex digits and a newline on port 0xE9.
hex8:
    push ax
    shr al, 4
    call .digit
    pop ax
    and al, 15
    call .digit
    mov al, 10
    out 0xe9, al
    ret
.digit:
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 7
.out:
    out 0xe9, al
    ret

    times 446 - ($ - $$) db 0
    times 510 - ($ - $$) db 0
    dw 0xaa55
