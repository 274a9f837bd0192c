; mouse-position: where the PS/2 mouse has taken it, on the top line of the screen. The BIOS's pointing
; device services (INT 15h C205h initialize, C207h handler, C200h enable) call `packet` with each 3-byte
; packet; it adds the 9-bit signed moves (PS/2's Y grows upwards), keeps the buttons and counts left presses
; and packets. The line reads "Mouse x=XXXX y=XXXX buttons=B clicks=XXXX packets=XXXX" (hex; x and y as 16-bit
; two's complement). The e2e suite moves and clicks over the guest screen and reads this line back.
bits 16
org 0x7c00

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    cld
    sti
    mov ax, 0x0003
    int 0x10
    mov ax, 0xc205              ; initialize: 3-byte packets
    mov bh, 3
    int 0x15
    jc failed
    mov bx, packet              ; ES:BX = the handler
    mov ax, 0xc207
    int 0x15
    jc failed
    mov ax, 0xc200              ; enable
    mov bh, 1
    int 0x15
    jc failed
.show:
    mov byte [dirty], 0
    call show
.wait:
    cli                         ; checked with interrupts off, so a packet between the check and HLT wakes it
    cmp byte [dirty], 0
    jne .show
    sti
    hlt
    jmp .wait

failed:
    mov si, failure
    call print
.stop:
    hlt
    jmp .stop

; The BIOS calls this far, with status, X, Y and 0 pushed in that order.
packet:
    push bp
    mov bp, sp
    push ax
    push ds
    xor ax, ax
    mov ds, ax
    mov al, [bp + 10]           ; X, its sign in status bit 4
    xor ah, ah
    test byte [bp + 12], 0x10
    jz .x
    mov ah, 0xff
.x:
    add [x], ax
    mov al, [bp + 8]            ; Y, its sign in status bit 5
    xor ah, ah
    test byte [bp + 12], 0x20
    jz .y
    mov ah, 0xff
.y:
    add [y], ax
    mov al, [bp + 12]
    and al, 7
    test al, 1                  ; left pressed now and not before: a click
    jz .keep
    test byte [buttons], 1
    jnz .keep
    inc word [clicks]
.keep:
    mov [buttons], al
    inc word [packets]
    mov byte [dirty], 1
    pop ds
    pop ax
    pop bp
    retf

; Rewrites the top line.
show:
    mov ah, 0x02                ; cursor to row 0, column 0
    xor bh, bh
    xor dx, dx
    int 0x10
    mov si, label_x
    call print
    mov ax, [x]
    call hex16
    mov si, label_y
    call print
    mov ax, [y]
    call hex16
    mov si, label_buttons
    call print
    mov al, [buttons]
    call hex4
    mov si, label_clicks
    call print
    mov ax, [clicks]
    call hex16
    mov si, label_packets
    call print
    mov ax, [packets]
    call hex16
    ret

hex16:
    push ax
    mov al, ah
    shr al, 4
    call hex4
    pop ax
    push ax
    mov al, ah
    call hex4
    pop ax
    push ax
    shr al, 4
    call hex4
    pop ax
    call hex4
    ret

; The low 4 bits of AL as a hex digit.
hex4:
    push ax
    and al, 0x0f
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'A' - '9' - 1
.out:
    mov ah, 0x0e
    xor bx, bx
    int 0x10
    pop ax
    ret

print:
    lodsb
    test al, al
    jz .done
    mov ah, 0x0e
    xor bx, bx
    int 0x10
    jmp print
.done:
    ret

label_x: db "Mouse x=", 0
label_y: db " y=", 0
label_buttons: db " buttons=", 0
label_clicks: db " clicks=", 0
label_packets: db " packets=", 0
failure: db "no PS/2 mouse from the BIOS", 0
x: dw 0
y: dw 0
clicks: dw 0
packets: dw 0
buttons: db 0
dirty: db 1

    times 510 - ($ - $$) db 0
    dw 0xaa55
