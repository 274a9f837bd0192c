; INT 10h in text mode: set/get mode, teletype, cursor position and shape, write/read char+attribute,
; write string, scroll up. Results on 0xE9; the screen itself is checked by the test.
%include "lib.inc"
main:
    mov ax, 0x0003
    int 0x10
    mov ah, 0x0f
    int 0x10
    SHOW8 "mode", al
    SHOW8 "cols", ah
    SHOW8 "page", bh
    mov ax, 0x0e41              ; teletype A, B
    xor bx, bx
    int 0x10
    mov ax, 0x0e42
    int 0x10
    mov ah, 0x03
    xor bh, bh
    int 0x10
    SHOW16 "cursor", dx
    mov ah, 0x02
    xor bh, bh
    mov dx, 0x0205
    int 0x10
    mov ax, 0x0958              ; X, attribute 1Eh, three times; the cursor stays
    mov bx, 0x001e
    mov cx, 3
    int 0x10
    mov ah, 0x08
    xor bh, bh
    int 0x10
    SHOW16 "readchar", ax
    mov ah, 0x03
    xor bh, bh
    int 0x10
    SHOW16 "cursor2", dx
    mov ax, 0x1301              ; write string, move the cursor
    mov bx, 0x0007
    mov cx, 5
    mov dx, 0x0400
    mov bp, hello
    int 0x10
    mov ah, 0x03
    xor bh, bh
    int 0x10
    SHOW16 "cursor3", dx
    mov ah, 0x01
    mov cx, 0x0607
    int 0x10
    SHOW16 "shape", [0x460]
    mov ax, 0x0601              ; scroll the whole screen up one line
    mov bh, 0x07
    xor cx, cx
    mov dx, 0x184f
    int 0x10
    push es
    mov ax, 0xb800
    mov es, ax
    SHOW16 "cell_1_5", [es:(1 * 80 + 5) * 2]
    SHOW16 "cell_3_0", [es:(3 * 80 + 0) * 2]
    pop es
    EXIT 0
hello: db "Hello"
END_SECTOR
