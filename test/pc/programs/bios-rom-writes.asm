; BIOS services asked to write their results into the BIOS ROM (F000:xxxx): a real BIOS's writes to ROM go
; nowhere, so the ROM (and the service stubs at F000:E000 the next call runs) must be unchanged.
%include "lib.inc"
main:
    mov [drive], dl
    call romsum
    mov [before], ax
    ; INT 10h AX=1017h: read 16 DAC registers (48 bytes) into ES:DX = F000:E000, the stubs themselves.
    mov ax, 0xf000
    mov es, ax
    mov dx, 0xe000
    mov bx, 0
    mov cx, 16
    mov ax, 0x1017
    int 0x10
    ; INT 10h AX=1009h: read the 17 palette registers into ES:DX = F000:E010.
    mov dx, 0xe010
    mov ax, 0x1009
    int 0x10
    ; INT 13h AH=48h: drive parameters into DS:SI = F000:FFF0 (its first word, the reset JMP, is over 1Ah).
    push ds
    mov ax, 0xf000
    mov ds, ax
    mov si, 0xfff0
    mov ah, 0x48
    mov dl, 0x80
    int 0x13
    pop ds
    xor ax, ax
    mov es, ax
    call romsum
    cmp ax, [before]
    sete al
    SHOW8 "rom_same", al
    ; The next BIOS calls still work: teletype, and the disk's parameters.
    mov ax, 0x0e21
    int 0x10
    mov ah, 0x08
    mov dl, [drive]
    int 0x13
    SHOWCF "params_cf"
    EXIT 0

; AX = the 16-bit sum of the ROM's 64 KiB (F000:0000-FFFF).
romsum:
    push ds
    push si
    push cx
    mov ax, 0xf000
    mov ds, ax
    xor si, si
    xor cx, cx
    xor ax, ax
.next:
    add ax, [si]
    add si, 2
    loop .next
    pop cx
    pop si
    pop ds
    ret

before: dw 0
drive: db 0
    END_SECTOR
