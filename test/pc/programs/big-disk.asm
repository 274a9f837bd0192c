; Reads the last sector of a 2 GiB hard disk by LBA (INT 13h AH=42h), reports CF and its first byte on port
; 0xE9, then writes it back changed (AH=43h): the write must stay in the VM, never reach the image file.
bits 16
org 0x7c00
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    mov si, dap
    mov ah, 0x42
    int 0x13
    setc al
    out 0xe9, al
    mov al, [0x8000]
    out 0xe9, al
    mov byte [0x8000], 'W'
    mov si, dap
    mov ah, 0x43
    int 0x13
    mov si, dap
    mov word [si + 4], 0x9000
    mov ah, 0x42
    int 0x13
    mov al, [0x9000]            ; the guest reads back its own write
    out 0xe9, al
    cli
    hlt
dap: db 0x10, 0
    dw 1
    dw 0x8000, 0
    dq (2048 * 1024 * 2) - 1    ; the last of 4 Mi sectors
    times 510 - ($ - $$) db 0
    dw 0xaa55
