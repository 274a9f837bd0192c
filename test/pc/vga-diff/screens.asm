; Every video mode the BIOS sets, drawn one screen at a time for test/pc/vga-diff.test.ts to compare QEMU's
; screendump with Bootvisor's frame, pixel for pixel. Before each screen it prints "Snn" on COM1 and waits for
; a key. It starts by sending the VGA BIOS's own 8x16, 8x14 and 8x8 fonts (INT 10h AX=1130h) to COM1 after
; "FONTS:", so the test can give Bootvisor the glyphs QEMU's BIOS has: when the sectors at FONT_LBA start with
; "BVFONT16" they hold those fonts, and every text screen loads them (AX=1110h), else the ROM's (AX=1111h,
; 1112h, 1114h). Text screens turn blinking and the cursor off.
bits 16
org 0x7c00

FONT_LBA equ 20
FONT_SECTORS equ 20
FONT_SEG equ 0x2000             ; "BVFONT16", then 8x16, 8x14, 8x8
CODE_SECTORS equ 17             ; sectors 2-18 of track 0, at 0000:7E00

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    cld
    mov [drive], dl
    mov ax, 0x0200 | CODE_SECTORS
    mov cx, 0x0002
    xor dh, dh
    mov bx, 0x7e00
    int 0x13
    jc fail
    mov ax, FONT_SEG
    mov es, ax
    xor bx, bx
    mov si, FONT_LBA
.sector:                        ; LBA -> CHS on a 1.44 MB floppy: 18 sectors, 2 heads
    mov ax, si
    xor dx, dx
    mov cx, 18
    div cx
    mov cl, dl
    inc cl
    mov dh, al
    and dh, 1
    shr ax, 1
    mov ch, al
    mov dl, [drive]
    mov ax, 0x0201
    int 0x13
    jc fail
    add bx, 512
    inc si
    cmp si, FONT_LBA + FONT_SECTORS
    jb .sector
    xor ax, ax
    mov es, ax
    jmp main
fail:
    mov al, 'E'
    call putc
    cli
    hlt

%include "com1.inc"

drive: db 0
    times 510-($-$$) db 0
    dw 0xaa55

; ---------------------------------------------------------------- sector 2 on
main:
    mov si, msg_fonts
    call puts
    mov bh, 6
    mov cx, 4096
    call send_font
    mov bh, 2
    mov cx, 3584
    call send_font
    mov bh, 3
    mov cx, 2048
    call send_font
    push ds
    mov ax, FONT_SEG
    mov ds, ax
    cmp dword [0], 'BVFO'
    pop ds
    jne .nofont
    mov byte [have_font], 1
.nofont:

    ; Mode 3, 8x16: every character in every attribute, 2000 cells a screen.
    mov word [screen_no], 0
.cross:
    mov al, 3
    mov bl, 16
    call set_text
    call fill_cross
    call show
    inc word [screen_no]
    cmp word [screen_no], 33
    jb .cross

    ; Mode 3 with the 8x14 (28 rows) and 8x8 (50 rows) fonts; modes 0, 1, 2 and 7.
    mov al, 3
    mov bl, 14
    call text_mix
    mov al, 3
    mov bl, 8
    call text_mix
    mov al, 0
    mov bl, 16
    call text_mix
    mov al, 1
    mov bl, 16
    call text_mix
    mov al, 2
    mov bl, 16
    call text_mix
    mov al, 7
    mov bl, 16
    call text_mix

    ; Mode 3, palettes reprogrammed: all 16 registers and the overscan (AX=1002h), then DAC entries one (1010h)
    ; and a block (1012h) at a time, colour paging (1013h) and one register (1000h).
    ; SeaBIOS resets the attribute controller's flip-flop by reading 3DAh even in mode 7, where the VGA (and
    ; QEMU) answers only at 3BAh, and its attribute calls (AX=1003h above) leave the flip-flop at "data": its
    ; next mode set then writes every attribute register shifted by one, index for data, and leaves colour
    ; select 08h (DAC 80h-BFh, all black). Reading 3BAh here, as a program leaving mode 7 might, puts the
    ; flip-flop back at "index" so mode 3 starts as it should.
    mov dx, 0x3ba
    in al, dx
    mov al, 3
    mov bl, 16
    call set_text
    call fill_mix
    mov ax, 0x1002
    mov dx, attr_table
    int 0x10
    call show
    mov ax, 0x1010
    mov bx, 0x0005
    mov dh, 63
    mov cx, 0x2010
    int 0x10
    mov ax, 0x1012
    mov bx, 0x0010
    mov cx, 16
    mov dx, dac_table
    int 0x10
    mov ax, 0x1013
    mov bx, 0x0100              ; 16 pages of 16 colours
    int 0x10
    mov ax, 0x1013
    mov bx, 0x0101              ; page 1: DAC 16-31
    int 0x10
    mov ax, 0x1000
    mov bx, 0x0a03
    int 0x10
    call show

    ; CGA modes: 4 as the BIOS starts it, then palette 0, a blue background at low intensity, a yellow one at high.
    mov ax, 0x0004
    int 0x10
    call fill_cga
    call show
    mov ah, 0x0b
    mov bx, 0x0100
    int 0x10
    call show
    mov ah, 0x0b
    mov bx, 0x0001
    int 0x10
    call show
    mov ah, 0x0b
    mov bx, 0x001e
    int 0x10
    call show
    mov ax, 0x0005
    int 0x10
    call fill_cga
    call show
    mov ax, 0x0006
    int 0x10
    call fill_cga
    call show
    mov ax, 0x1000
    mov bx, 0x3c01
    int 0x10
    call show

    ; Mode 13h: its 256 default colours, then a DAC written through the ports, summed to grey (101Bh), and one
    ; entry set (1010h).
    mov ax, 0x0013
    int 0x10
    push es
    mov ax, 0xa000
    mov es, ax
    xor di, di
.m13:
    mov ax, di
    xor dx, dx
    mov cx, 320
    div cx                      ; ax = y, dx = x
    add ax, dx
    stosb
    cmp di, 64000
    jb .m13
    pop es
    call show
    mov dx, 0x3c8
    xor al, al
    out dx, al
    inc dx
    xor cx, cx
.dac:
    mov al, cl
    and al, 63
    out dx, al
    mov al, cl
    imul ax, ax, 3
    and al, 63
    out dx, al
    mov al, 255
    sub al, cl
    shr al, 2
    out dx, al
    inc cx
    cmp cx, 256
    jb .dac
    call show
    mov ax, 0x101b
    xor bx, bx
    mov cx, 256
    int 0x10
    call show
    mov ax, 0x1010
    mov bx, 200
    mov dh, 63
    mov cx, 0x0a3f
    int 0x10
    call show

    mov si, msg_done
    call puts
    cli
    hlt

; Sets text mode AL with the font BL lines high, blinking and the cursor off.
set_text:
    push bx
    xor ah, ah
    int 0x10
    pop bx
    cmp byte [have_font], 0
    je .rom
    mov bh, bl
    xor bp, bp
    add bp, 8
    cmp bl, 16
    je .user
    add bp, 4096
    cmp bl, 14
    je .user
    add bp, 3584
.user:
    push es
    mov ax, FONT_SEG
    mov es, ax
    mov ax, 0x1110
    xor bl, bl
    mov cx, 256
    xor dx, dx
    int 0x10
    pop es
    jmp .common
.rom:
    mov ax, 0x1114
    cmp bl, 16
    je .load
    mov ax, 0x1111
    cmp bl, 14
    je .load
    mov ax, 0x1112
.load:
    xor bl, bl
    int 0x10
.common:
    mov ax, 0x1003
    xor bx, bx
    int 0x10
    mov ah, 0x01
    mov cx, 0x2000
    int 0x10
    ret

; One screen of mode AL, font BL: characters and attributes mixed.
text_mix:
    call set_text
    call fill_mix
    call show
    ret

; ES:DI = the text page, CX = its cells (columns x rows from the BIOS data area).
text_page:
    push ax
    mov ax, 0xb800
    cmp byte [0x449], 7
    jne .colour
    mov ax, 0xb000
.colour:
    mov es, ax
    xor di, di
    mov al, [0x484]
    inc al
    mul byte [0x44a]
    mov cx, ax
    pop ax
    ret

; Cell i of screen n shows pair p = n * 2000 + i: character p & 0xFF in attribute p >> 8 (blank past 65535).
fill_cross:
    push es
    call text_page
    movzx ebx, word [screen_no]
    imul ebx, ebx, 2000
.cell:
    xor ax, ax
    cmp ebx, 65536
    jae .put
    mov ax, bx
.put:
    stosw
    inc ebx
    loop .cell
    pop es
    ret

; Cell i: character i & 0xFF, attribute (13 i + (i >> 8)) & 0xFF: every character and every attribute.
fill_mix:
    push es
    call text_page
    xor bx, bx
.cell:
    mov ax, bx
    imul ax, ax, 13
    mov dx, bx
    shr dx, 8
    add ax, dx
    mov ah, al
    mov al, bl
    stosw
    inc bx
    loop .cell
    pop es
    ret

; Both CGA banks: byte i of bank b is (7 i + 3 b + i / 80) & 0xFF, so every pixel value shows.
fill_cga:
    push es
    mov ax, 0xb800
    mov es, ax
    xor di, di
.byte:
    mov ax, di
    and ax, 0x1fff
    imul bx, ax, 7
    mov cx, di
    shr cx, 13
    imul cx, cx, 3
    add bx, cx
    xor dx, dx
    mov cx, 80
    div cx
    add ax, bx
    stosb
    cmp di, 0x4000
    jb .byte
    pop es
    ret

; The font INT 10h AX=1130h BH=BH points at, CX bytes, to COM1.
send_font:
    push es
    push cx
    mov ax, 0x1130
    int 0x10
    pop cx
.byte:
    mov al, [es:bp]
    call putc
    inc bp
    loop .byte
    pop es
    ret

msg_fonts: db 'FONTS:', 0
msg_done: db 'DONE', 10, 0
have_font: db 0
screen_no: dw 0
attr_table: db 0x3f, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x00, 0x00
dac_table:
%assign i 0
%rep 16
    db (i * 4) & 63, 63 - i * 4, (i * 9) & 63
%assign i i + 1
%endrep
    times 512 * (1 + CODE_SECTORS) - ($ - $$) db 0
