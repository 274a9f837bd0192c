; hang: says goodbye on the screen and on COM1, then disables interrupts and halts: nothing can ever wake
; the CPU again. Bootvisor notices at once and reports it (on a real PC the machine just sits there).
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
    mov si, message
.next:
    lodsb
    test al, al
    jz .stop
    mov ah, 0x0e
    mov bx, 0x0007
    int 0x10
    mov ah, al
    mov dx, 0x3fd
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov al, ah
    mov dx, 0x3f8
    out dx, al
    jmp .next

.stop:
    cli
    hlt                         ; with IF=0 and no NMI source, this is forever
    jmp .stop

message: db "Halting with interrupts disabled.", 13, 10, 0

    times 510 - ($ - $$) db 0
    dw 0xaa55
