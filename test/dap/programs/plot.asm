; plot: mode 13h, a blue screen; each key plots one white pixel at x = the key's ASCII code, y = 100. A screen
; that changes by one pixel per key, for the graphics frames' dirty rectangles.
org 0x7c00
bits 16

start:
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    cld
    mov ax, 0x0013
    int 0x10
    mov ax, 0xa000
    mov es, ax
    xor di, di
    mov al, 1                   ; blue
    mov cx, 320 * 200
    rep stosb
next_key:
    mov ah, 0x00
    int 0x16
    xor ah, ah
    mov di, 100 * 320
    add di, ax
    mov byte [es:di], 15        ; white
    jmp next_key

times 510-($-$$) db 0
dw 0xaa55
