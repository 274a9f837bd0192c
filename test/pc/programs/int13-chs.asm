; INT 13h on the boot floppy: reset, drive parameters, CHS read of sector 2, write of sector 3 and read
; back, status. Sector 2 of this image holds "SECTOR2!".
%include "lib.inc"
main:
    mov [drive], dl
    SHOW8 "drive", dl
    mov ah, 0x00
    int 0x13
    SHOWCF "reset_cf"
    push es                     ; AH=08h points ES:DI at the diskette parameter table
    mov ah, 0x08
    mov dl, [drive]
    int 0x13
    pop es
    SHOWCF "params_cf"
    SHOW16 "params_cx", cx
    SHOW8 "params_dh", dh
    mov ax, 0x0201
    mov cx, 0x0002
    xor dh, dh
    mov dl, [drive]
    mov bx, 0x8000
    int 0x13
    SHOWCF "read_cf"
    SHOW8 "read_al", al
    SHOW32 "data", [0x8000]
    mov dword [0x8000], 0x12345678
    mov ax, 0x0301
    mov cx, 0x0003
    xor dh, dh
    mov dl, [drive]
    mov bx, 0x8000
    int 0x13
    SHOWCF "write_cf"
    mov ax, 0x0201
    mov cx, 0x0003
    xor dh, dh
    mov dl, [drive]
    mov bx, 0x9000
    int 0x13
    SHOWCF "readback_cf"
    SHOW32 "readback", [0x9000]
    mov ah, 0x01
    mov dl, [drive]
    int 0x13
    SHOW8 "status", ah
    mov ax, 0x0201              ; sector 19 does not exist on a 1.44 MB track
    mov cx, 0x0013
    xor dh, dh
    mov dl, [drive]
    mov bx, 0x9000
    int 0x13
    SHOWCF "bad_cf"
    EXIT 0
drive: db 0
END_SECTOR
    db "SECTOR2!"
    times 1024 - ($ - $$) db 0
    times 512 db 0xee
