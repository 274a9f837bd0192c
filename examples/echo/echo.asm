; echo: reads keys with INT 16h and echoes each one on the screen (teletype) and on COM1. Enter starts a
; new line. It never stops by itself: type into it, or feed it with `bootvisor run --keys`.
bits 16
org 0x7c00

start:
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    cld
    mov ax, 0x0003
    int 0x10
    mov si, prompt
    call print

.key:
    mov ah, 0x00                ; wait for a key: AH = scan code, AL = ASCII
    int 0x16
    cmp al, 13
    je .enter
    test al, al                 ; keys without ASCII (arrows, F-keys) are not echoed
    jz .key
    call putc
    jmp .key
.enter:
    mov si, newline
    call print
    jmp .key

; Writes the zero-terminated string at DS:SI.
print:
    lodsb
    test al, al
    jz .ret
    call putc
    jmp print
.ret:
    ret

; Writes AL on the screen and on COM1.
putc:
    push ax
    mov ah, 0x0e
    mov bx, 0x0007
    int 0x10
    pop ax
    mov ah, al
    mov dx, 0x3fd
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov al, ah
    mov dx, 0x3f8
    out dx, al
    ret

prompt:  db "Type something: ", 0
newline: db 13, 10, 0

    times 510 - ($ - $$) db 0
    dw 0xaa55
