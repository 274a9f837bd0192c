; mousecount: turns the PS/2 mouse on through the BIOS (INT 15h C205h, C207h, C200h) with a far handler the
; BIOS calls from IRQ12 with each packet (status, X, Y and 0 pushed); the handler counts the packets in
; [count] and adds up their movement in [sumx] and [sumy], and the main loop echoes each one ('L' left
; button held, 'R' right, '.' neither). Stepping back across a packet's handling and going forward again must
; see every packet exactly once, with its bytes.
org 0x7c00
bits 16

start:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    mov ax, 0xc205
    mov bh, 3                   ; 3-byte packets
    int 0x15
    mov bx, handler
    mov ax, 0xc207
    int 0x15
    mov ax, 0xc200
    mov bh, 1                   ; enable
    int 0x15
    mov ax, 0x0e3e              ; '>': ready for the mouse
    mov bx, 0x0007
    int 0x10
idle:
    sti
    hlt
    mov si, [shown]
    cmp si, [count]
    je idle
    inc word [shown]
    and si, 15
    mov ah, [status_log + si]
    mov al, 'L'
    test ah, 1
    jnz .echo
    mov al, 'R'
    test ah, 2
    jnz .echo
    mov al, '.'
.echo:
    mov ah, 0x0e
    mov bx, 0x0007
    int 0x10                    ; echo the packet
    jmp idle

handler:
    push bp
    mov bp, sp
    push ax
    push bx
    push ds
    xor ax, ax
    mov ds, ax
    mov bx, [count]
    and bx, 15
    mov al, [bp + 12]           ; status: buttons, and the sign bits of X (4) and Y (5)
    mov [status_log + bx], al
    mov al, [bp + 10]           ; X
    mov ah, 0
    test byte [bp + 12], 0x10
    jz .x
    mov ah, 0xff
.x: add [sumx], ax
    mov al, [bp + 8]            ; Y (up is positive)
    mov ah, 0
    test byte [bp + 12], 0x20
    jz .y
    mov ah, 0xff
.y: add [sumy], ax
    inc word [count]            ; count the packet
    pop ds
    pop bx
    pop ax
    pop bp
    retf

count: dw 0
shown: dw 0
sumx: dw 0
sumy: dw 0
status_log: times 16 db 0

times 510-($-$$) db 0
dw 0xaa55
