; mode13h: a 320x200 picture in 256 colours. Programs the DAC with a sunset gradient (entries 0-49, one per
; band of four rows) and white (entry 255), fills the bands and draws a white sun in the middle, then says
; so on COM1 and halts.
bits 16
org 0x7c00

SUN_X     equ 140
SUN_Y     equ 80
SUN_SIZE  equ 40

start:
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    cld
    mov ax, 0x0013              ; 320x200, 256 colours, linear at A000:0000
    int 0x10

    ; DAC entry i (0..49) = (red i+13, green i/2, blue 49-i): dark violet at the top to orange below.
    mov dx, 0x3c8
    xor al, al
    out dx, al
    inc dx                      ; 0x3C9: red, green, blue, then the next entry
    xor cx, cx
.palette:
    mov al, cl
    add al, 13
    out dx, al
    mov al, cl
    shr al, 1
    out dx, al
    mov al, 49
    sub al, cl
    out dx, al
    inc cx
    cmp cx, 50
    jb .palette
    mov dx, 0x3c8
    mov al, 255
    out dx, al
    inc dx
    mov al, 63
    out dx, al
    out dx, al
    out dx, al

    ; Bands: row y gets colour y/4.
    mov ax, 0xa000
    mov es, ax
    xor di, di
    xor bx, bx                  ; y
.row:
    mov al, bl
    shr al, 2
    mov cx, 320
    rep stosb
    inc bx
    cmp bx, 200
    jb .row

    ; The sun: a white square.
    mov di, SUN_Y * 320 + SUN_X
    mov bx, SUN_SIZE
    mov al, 255
.sun:
    mov cx, SUN_SIZE
    rep stosb
    add di, 320 - SUN_SIZE
    dec bx
    jnz .sun

    mov si, done_msg
    call serial_print
    cli
    hlt

; Writes the zero-terminated string at DS:SI to COM1, polling the transmitter-empty bit.
serial_print:
    lodsb
    test al, al
    jz .ret
    mov ah, al
    mov dx, 0x3fd
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov al, ah
    mov dx, 0x3f8
    out dx, al
    jmp serial_print
.ret:
    ret

done_msg: db "mode13h: sunset drawn", 13, 10, 0

    times 510 - ($ - $$) db 0
    dw 0xaa55
