; INT 10h in graphics modes: mode 13h put/get pixel, the DAC through INT 10h and through its ports, and
; CGA mode 04h pixels in B800h memory.
%include "lib.inc"
main:
    mov ax, 0x0013
    int 0x10
    mov ah, 0x0f
    int 0x10
    SHOW8 "mode", al
    SHOW8 "cols", ah
    mov ax, 0x0c05              ; colour 5 at (10, 20)
    xor bh, bh
    mov cx, 10
    mov dx, 20
    int 0x10
    mov ah, 0x0d
    xor bh, bh
    int 0x10
    SHOW8 "pixel", al
    push es
    mov ax, 0xa000
    mov es, ax
    SHOW8 "vram", [es:20 * 320 + 10]
    pop es
    mov ax, 0x1010              ; DAC register 5 = (10, 20, 30)
    mov bx, 5
    mov dh, 10
    mov ch, 20
    mov cl, 30
    int 0x10
    mov ax, 0x1015
    mov bx, 5
    int 0x10
    SHOW8 "red", dh
    SHOW8 "green", ch
    SHOW8 "blue", cl
    mov dx, 0x3c8               ; register 6 = (1, 2, 3) through the ports, read back through them
    mov al, 6
    out dx, al
    inc dx
    mov al, 1
    out dx, al
    inc al
    out dx, al
    inc al
    out dx, al
    mov dx, 0x3c7
    mov al, 6
    out dx, al
    mov dx, 0x3c9
    in al, dx
    mov bl, al
    in al, dx
    mov bh, al
    in al, dx
    SHOW16 "port_rg", bx
    SHOW8 "port_b", al
    mov ax, 0x0004
    int 0x10
    mov ah, 0x0f
    int 0x10
    SHOW8 "mode4", al
    mov ax, 0x0c03              ; colour 3 at (1, 0): bits 5-4 of the first byte
    xor bh, bh
    mov cx, 1
    xor dx, dx
    int 0x10
    push es
    mov ax, 0xb800
    mov es, ax
    SHOW8 "cga", [es:0]
    pop es
    EXIT 0
END_SECTOR
