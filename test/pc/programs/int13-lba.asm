; INT 13h extensions on a hard disk: 41h check, 42h LBA read, 43h write and read back, 48h parameters.
%include "lib.inc"
main:
    mov [drive], dl
    SHOW8 "drive", dl
    mov ah, 0x41
    mov bx, 0x55aa
    mov dl, [drive]
    int 0x13
    SHOWCF "ext_cf"
    SHOW16 "ext_bx", bx
    mov si, dap
    mov ah, 0x42
    mov dl, [drive]
    int 0x13
    SHOWCF "lba_cf"
    SHOW32 "data", [0x8000]
    mov dword [0x8000], 0xcafef00d
    mov word [dap + 8], 2       ; LBA 2
    mov si, dap
    mov ax, 0x4300
    mov dl, [drive]
    int 0x13
    SHOWCF "write_cf"
    mov word [dap + 4], 0x9000
    mov si, dap
    mov ah, 0x42
    mov dl, [drive]
    int 0x13
    SHOW32 "readback", [0x9000]
    mov word [0xa000], 0x1a
    mov si, 0xa000
    mov ah, 0x48
    mov dl, [drive]
    int 0x13
    SHOWCF "p48_cf"
    SHOW16 "bytes_per_sector", [0xa018]
    EXIT 0
drive: db 0
align 4
dap: db 0x10, 0
     dw 1                       ; sectors
     dw 0x8000, 0               ; buffer
     dq 1                       ; LBA
END_SECTOR
    db "LBASECT1"
    times 1024 - ($ - $$) db 0
    times 512 db 0
