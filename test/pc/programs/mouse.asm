; PS/2 mouse, both ways a program reads it. First through the BIOS (INT 15h C205h initialize, C204h type,
; C207h handler, C200h enable, C206h status): the handler keeps each packet it is called with, and after
; three the program prints them. Then raw, through the 8042 with interrupts off: 0xD4 writes to the mouse
; (F4h enable, F2h identify), and each byte is read from port 0x60 once port 0x64 says it came from the
; mouse (bits 0 and 5). "bios ready" and "raw ready" on COM1 tell the host when to move the mouse. Two
; sectors: the boot sector loads the second (pad the image to a 1.44 MB floppy).
%include "lib.inc"
COM1 equ 0x3f8
main:
    mov ax, 0x0202
    mov cx, 0x0002
    xor dh, dh
    mov bx, 0x7e00
    int 0x13
    jc .fail
    jmp part2
.fail:
    EXIT 1
    times 510 - ($ - $$) db 0
    dw 0xaa55
part2:
    mov ax, 0xc205
    mov bh, 3
    int 0x15
    SHOWCF "init_cf"
    mov ax, 0xc204
    int 0x15
    SHOW8 "type", bh
    xor ax, ax
    mov es, ax
    mov bx, handler
    mov ax, 0xc207
    int 0x15
    SHOWCF "handler_cf"
    mov ax, 0xc200
    mov bh, 1
    int 0x15
    SHOWCF "enable_cf"
    mov ax, 0xc206
    mov bh, 0
    int 0x15
    SHOW8 "status", bl
    SHOW8 "resolution", cl
    SHOW8 "rate", dl
    mov si, bios_ready
    call com1
.wait:
    sti
    hlt
    cmp byte [count], 3
    jb .wait
    mov si, packets
    mov cx, 3
.show:
    lodsb
    SHOW8 "bios_status", al
    lodsb
    SHOW8 "bios_x", al
    lodsb
    SHOW8 "bios_y", al
    loop .show
    mov ax, 0xc200
    mov bh, 0
    int 0x15
    SHOWCF "disable_cf"

    ; Raw: IRQ12 masked and interrupts off, so nothing but this loop reads the controller.
    cli
    in al, 0xa1
    or al, 0x10
    out 0xa1, al
    call drain
    mov al, 0xf4
    call aux_command
    call read_aux
    SHOW8 "enable_ack", al
    mov al, 0xf2
    call aux_command
    call read_aux
    SHOW8 "id_ack", al
    call read_aux
    SHOW8 "id", al
    mov si, raw_ready
    call com1
    mov cx, 9
.raw:
    call read_aux
    SHOW8 "raw", al
    loop .raw
    EXIT 0

; The BIOS calls this with status, X, Y and 0 pushed in that order.
handler:
    push bp
    mov bp, sp
    push ax
    push bx
    push ds
    xor ax, ax
    mov ds, ax
    movzx bx, byte [count]
    cmp bx, 3
    jae .full
    imul bx, bx, 3
    mov al, [bp + 12]
    mov [packets + bx], al
    mov al, [bp + 10]
    mov [packets + bx + 1], al
    mov al, [bp + 8]
    mov [packets + bx + 2], al
    inc byte [count]
.full:
    pop ds
    pop bx
    pop ax
    pop bp
    retf

aux_command:
    push ax
    call wait_ibe
    mov al, 0xd4
    out 0x64, al
    call wait_ibe
    pop ax
    out 0x60, al
    ret
; Waits (for ever: the test's time limit ends a run that never gets one) for a byte from the mouse.
read_aux:
    in al, 0x64
    and al, 0x21
    cmp al, 0x21
    jne read_aux
    in al, 0x60
    ret
wait_ibe:
    in al, 0x64
    test al, 2
    jnz wait_ibe
    ret
drain:
    in al, 0x64
    test al, 1
    jz .r
    in al, 0x60
    jmp drain
.r: ret
com1:
    lodsb
    test al, al
    jz .r
    mov dx, COM1
    out dx, al
    jmp com1
.r: ret

bios_ready: db "bios ready", 13, 10, 0
raw_ready: db "raw ready", 13, 10, 0
count: db 0
packets: times 9 db 0
    times 1536 - ($ - $$) db 0
