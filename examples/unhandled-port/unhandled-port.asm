; unhandled-port: reads a port no PC device answers (0x5A5A). The bus returns 0xFF, as on real hardware;
; Bootvisor also records the access so the Problems panel can point at the `in` line. Prints the value read.
bits 16
org 0x7c00

PROBE_PORT equ 0x5a5a

start:
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    cld
    mov ax, 0x0003
    int 0x10

    mov dx, PROBE_PORT
    in al, dx                   ; nothing decodes this port
    mov [value], al

    mov si, message
    call print
    mov al, [value]
    shr al, 4
    call print_hex_digit
    mov al, [value]
    and al, 0x0f
    call print_hex_digit
    mov si, newline
    call print
    cli
    hlt

print_hex_digit:
    add al, '0'
    cmp al, '9'
    jbe putc
    add al, 'A' - '9' - 1
    ; falls through

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

print:
    lodsb
    test al, al
    jz .ret
    call putc
    jmp print
.ret:
    ret

message: db "Port 0x5A5A reads 0x", 0
newline: db 13, 10, 0
value:   db 0

    times 510 - ($ - $$) db 0
    dw 0xaa55
