; The planar modes (0Dh, 0Eh, 10h, 12h in 16 colours; 0Fh monochrome, 11h in two colours) drawn the way demos
; and toy OSes draw them, one screen at a
; time for test/pc/vga-diff.test.ts to compare QEMU's screendump with Bootvisor's frame pixel for pixel. In each
; mode: write mode 0 with the map mask; write mode 2 fills under a bit mask; latched copies (write mode 1);
; set/reset lines under a bit mask, rotate and the logical functions, read mode 1 (colour compare) and read map
; select; INT 10h AH=0Ch/0Dh pixels (and XOR); INT 10h teletype and AH=13h with scrolling in a font of the
; program's own (AX=1121h, so both BIOSes draw the same glyphs); the palette through INT 10h; the attribute
; controller, the DAC and the
; CRTC's start address and offset programmed through the ports. Before each screen it prints "Snn" on COM1
; and waits for a key.
bits 16
org 0x7c00

CODE_SECTORS equ 12             ; sectors 2-13 of track 0, at 0000:7E00
FONT_SEG equ 0x2000             ; the program's font, 256 glyphs of the mode's character height
BUF_SEG equ 0x3000              ; bytes read back from video memory

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    cld
    mov ax, 0x0200 | CODE_SECTORS
    mov cx, 0x0002
    xor dh, dh
    mov bx, 0x7e00
    int 0x13
    jc fail
    jmp main
fail:
    mov al, 'E'
    call putc
    cli
    hlt

%include "com1.inc"

    times 510-($-$$) db 0
    dw 0xaa55

; ---------------------------------------------------------------- sector 2 on
%macro seq 2                    ; sequencer register %1 = %2
    mov dx, 0x3c4
    mov ax, ((%2) << 8) | (%1)
    out dx, ax
%endmacro
%macro gc 2                     ; graphics controller register %1 = %2
    mov dx, 0x3ce
    mov ax, ((%2) << 8) | (%1)
    out dx, ax
%endmacro

main:
    mov si, modes
.mode:
    lodsb
    test al, al
    jz .done
    mov [mode], al
    lodsw
    mov [bpr], ax
    lodsw
    mov [lines], ax
    lodsb
    mov [chh], al
    lodsb
    mov [rows], al
    push si
    xor ah, ah
    mov al, [mode]
    int 0x10
    mov ax, 0xa000
    mov es, ax
    mov ax, [bpr]
    mul word [lines]
    mov [size], ax
    call screen_mapmask
    call screen_mode2
    call screen_latched
    call screen_lines
    call screen_bios_pixels
    call screen_teletype
    call screen_bios_palette
    call screen_ports
    pop si
    jmp .mode
.done:
    call mode_x
    mov si, msg_done
    call puts
    cli
    hlt

; Write mode 0, one plane at a time through the map mask: byte o of plane p is
; (o * (2p + 3) + (o / bpr) * (p + 1)) & 0xFF, so every colour shows in every bit position.
screen_mapmask:
    call draw_mapmask
    jmp show

; The sequencer's map mask: plane CL only.
map_plane:
    mov dx, 0x3c4
    mov al, 2
    mov ah, 1
    shl ah, cl
    out dx, ax
    ret

draw_mapmask:
    xor cx, cx                  ; plane
.plane:
    call map_plane
    xor di, di
    mov bx, cx
    shl bx, 1
    add bx, 3                   ; 2p + 3
.byte:
    mov ax, di
    xor dx, dx
    div word [bpr]              ; ax = row
    mov dx, cx
    inc dx
    mul dl                      ; row * (p + 1), low byte enough
    mov dx, ax
    mov ax, di
    mul bl
    add al, dl
    stosb
    cmp di, [size]
    jb .byte
    inc cx
    cmp cx, 4
    jb .plane
    seq 2, 0x0f
    ret

; Write mode 2 under a bit mask that changes every line: the byte is a colour, the latches (loaded by a read)
; keep the masked-off bits of what screen_mapmask drew.
screen_mode2:
    gc 5, 0x02
    xor di, di
    xor bx, bx                  ; row
.row:
    mov dx, 0x3ce
    mov al, 8
    mov cl, bl
    and cl, 7
    mov ah, 0xff
    shr ah, cl
    xor ah, 0x81
    out dx, ax
    mov cx, [bpr]
.byte:
    mov al, [es:di]             ; latches
    mov al, bl
    shr al, 3
    add ax, cx
    and al, 15
    stosb
    loop .byte
    inc bx
    cmp bx, [lines]
    jb .row
    gc 8, 0xff
    gc 5, 0x00
    call show
    ret

; Write mode 1: the top half copied over the bottom half through the latches (rep movsb within A000), then a
; band copied with only planes 0 and 2 enabled.
screen_latched:
    push ds
    gc 5, 0x01
    mov ax, [lines]
    shr ax, 1
    mul word [bpr]
    mov cx, ax
    mov di, ax
    xor si, si
    push es
    pop ds
    rep movsb
    pop ds
    push ds
    seq 2, 0x05
    mov si, [bpr]
    mov di, si
    shl di, 4                   ; row 16 from row 1, 8 rows
    mov cx, [bpr]
    shl cx, 3
    push es
    pop ds
    rep movsb
    pop ds
    seq 2, 0x0f
    gc 5, 0x00
    call show
    ret

; Lines one pixel at a time in write mode 0 with set/reset (enable 0Fh) and a one-bit mask; a band of CPU bytes
; rotated by 3 and XORed with the latches, planes 0-1 from set/reset; a band ANDed in write mode 2; a band ORed
; in write mode 3; then read mode 1 (colour compare 5, don't care plane 1) and read map select 3 read a band
; into RAM, written back elsewhere through the map mask.
screen_lines:
    gc 1, 0x0f
    mov word [color], 1
.line:
    mov dx, 0x3ce
    xor al, al
    mov ah, [color]
    out dx, ax                  ; set/reset
    xor cx, cx                  ; x
.pixel:
    mov ax, cx
    mul word [color]
    shr ax, 1
    xor dx, dx
    div word [lines]
    mov ax, dx                  ; y = (x * colour / 2) mod lines
    mul word [bpr]
    mov di, ax
    mov ax, cx
    shr ax, 3
    add di, ax
    mov dx, 0x3ce
    mov al, 8
    mov ah, 0x80
    push cx
    and cl, 7
    shr ah, cl
    pop cx
    out dx, ax
    mov al, [es:di]
    mov [es:di], al
    inc cx
    mov ax, [bpr]
    shl ax, 3
    cmp cx, ax
    jb .pixel
    inc word [color]
    cmp word [color], 16
    jb .line
    gc 8, 0xff

    ; Rotate 3 and XOR, planes 0-1 from set/reset (colour 1), rows 20-39.
    gc 0, 0x01
    gc 1, 0x03
    gc 3, 0x1b
    mov ax, 20
    mov bx, 20
    call band_bytes
    ; Write mode 2, AND with the latches, rows 40-59.
    gc 1, 0x00
    gc 3, 0x08
    gc 5, 0x02
    mov ax, 40
    mov bx, 20
    call band_bytes
    ; Write mode 3, OR with the latches, set/reset 0Ah, rows 60-79.
    gc 0, 0x0a
    gc 3, 0x10
    gc 5, 0x03
    mov ax, 60
    mov bx, 20
    call band_bytes
    gc 3, 0x00
    gc 5, 0x00

    ; Read mode 1: colour compare 5, don't care plane 1, rows 100-119 into RAM, then back at rows 0-19 in
    ; colour 14 (write mode 0, set/reset off).
    gc 2, 0x05
    gc 7, 0x0d
    gc 5, 0x08
    mov ax, 100
    call read_band
    gc 5, 0x00
    gc 7, 0x0f
    seq 2, 0x0e
    xor ax, ax
    call write_band
    seq 2, 0x0f
    ; Read map select 3 from rows 120-139, written into plane 0 only at rows 140-159.
    gc 4, 0x03
    mov ax, 120
    call read_band
    gc 4, 0x00
    seq 2, 0x01
    mov ax, 140
    call write_band
    seq 2, 0x0f
    call show
    ret

; BX rows from row AX: every byte written with the low byte of offset * 5 plus its high byte, after a read
; that loads the latches.
band_bytes:
    push bx
    mul word [bpr]
    mov di, ax
    pop ax
    mul word [bpr]
    mov cx, ax
.byte:
    mov al, [es:di]
    mov ax, di
    mov bl, 5
    mul bl
    add al, ah
    stosb
    loop .byte
    ret

; 20 rows from row AX read into BUF_SEG:0 / written from it.
read_band:
    mul word [bpr]
    mov si, ax
    mov ax, [bpr]
    mov cx, 20
    mul cx
    mov cx, ax
    push ds
    push es
    mov ax, es
    mov ds, ax
    mov ax, BUF_SEG
    mov es, ax
    xor di, di
    rep movsb
    pop es
    pop ds
    ret

write_band:
    mul word [bpr]
    mov di, ax
    mov ax, [bpr]
    mov cx, 20
    mul cx
    mov cx, ax
    push ds
    mov ax, BUF_SEG
    mov ds, ax
    xor si, si
    rep movsb
    pop ds
    ret

; INT 10h AH=0Ch: a 96x80 block of (x ^ y) & 15 at (8, 8); AH=0Dh reads it back and plots it again at (120, 8)
; XORed with 5; then AL bit 7 XORs colour 9 over a 40x40 square at (40, 40).
screen_bios_pixels:
    mov dx, 8
.row:
    mov cx, 8
.col:
    mov ax, cx
    xor ax, dx
    and al, 15
    mov ah, 0x0c
    xor bx, bx
    int 0x10
    mov ah, 0x0d
    int 0x10
    xor al, 5
    add cx, 112
    mov ah, 0x0c
    int 0x10
    sub cx, 112
    inc cx
    cmp cx, 104
    jb .col
    inc dx
    cmp dx, 88
    jb .row
    mov dx, 40
.xrow:
    mov cx, 40
.xcol:
    mov ax, 0x0c89
    xor bx, bx
    int 0x10
    inc cx
    cmp cx, 80
    jb .xcol
    inc dx
    cmp dx, 80
    jb .xrow
    call show
    ret

; The program's font at FONT_SEG (glyph c, row r: (c * 13) ^ (r * 0x45) ^ (c >> 3) ^ r), installed for graphics
; modes with AX=1121h; then INT 10h AH=0Eh prints more lines than the screen has, so it scrolls, and AH=13h
; writes a string in colour 12 at row 2, column 5.
screen_teletype:
    push es
    mov ax, FONT_SEG
    mov es, ax
    xor di, di
    xor bx, bx                  ; character
.glyph:
    xor cx, cx                  ; row
.grow:
    mov al, bl
    mov ah, 13
    mul ah
    mov dx, cx
    imul dx, dx, 0x45
    xor al, dl
    mov dl, bl
    shr dl, 3
    xor al, dl
    xor al, cl
    stosb
    inc cx
    cmp cl, [chh]
    jb .grow
    inc bx
    cmp bx, 256
    jb .glyph
    mov ax, 0x1121
    xor bp, bp
    xor bl, bl
    mov dl, [rows]
    movzx cx, byte [chh]
    int 0x10
    pop es
    xor si, si                  ; line
.line:
    xor cx, cx
.char:
    mov ax, si
    add ax, cx
    add al, 0x21
    mov ah, 0x0e
    mov bx, si
    and bl, 15
    or bl, 1
    int 0x10
    inc cx
    cmp cx, 30
    jb .char
    mov ax, 0x0e0d
    int 0x10
    mov ax, 0x0e0a
    int 0x10
    inc si
    movzx ax, byte [rows]
    add ax, 3
    cmp si, ax
    jb .line
    push es
    push ds
    pop es
    mov ax, 0x1301
    xor bh, bh
    mov bl, 12
    mov cx, msg_len
    mov dx, 0x0205
    mov bp, msg_string
    int 0x10
    pop es
    call show
    ret

; The palette through INT 10h over a fresh map-mask picture: all 16 registers and the overscan (AX=1002h), one
; register (AX=1000h), one DAC entry (AX=1010h) and a block of 16 (AX=1012h).
screen_bios_palette:
    call draw_mapmask
    push es
    push ds
    pop es
    mov ax, 0x1002
    mov dx, planar_attrs
    int 0x10
    mov ax, 0x1000
    mov bx, 0x2a05
    int 0x10
    mov ax, 0x1010
    mov bx, 0x0007
    mov dh, 60
    mov cx, 0x0c30
    int 0x10
    mov ax, 0x1012
    mov bx, 0x0030
    mov cx, 16
    mov dx, planar_dac
    int 0x10
    pop es
    call show
    ret

; The attribute controller through port 3C0h (3DAh read first to reset its flip-flop): palette registers
; 1-15 rotated, colour plane enable 0Bh, then mode control bit 7 with colour select 1 (palette bits 4-5 from
; it); DAC entries 0-63 rewritten through 3C8h/3C9h; the CRTC's start address 8 rows down, its offset 4 words
; longer and a split screen (line compare), over a fresh map-mask picture.
screen_ports:
    call draw_mapmask
    mov dx, [0x463]             ; the CRTC's port: 3D4h, or 3B4h in mode 0Fh (3Dxh is then not decoded)
    add dx, 6
    in al, dx
    mov dx, 0x3c0
    mov cx, 1
.pal:
    mov al, cl
    out dx, al
    mov al, cl
    imul ax, ax, 5
    and al, 0x3f
    out dx, al
    inc cx
    cmp cx, 16
    jb .pal
    mov al, 0x12
    out dx, al
    mov al, 0x0b
    out dx, al
    mov al, 0x10
    out dx, al
    mov al, 0x81
    out dx, al
    mov al, 0x14
    out dx, al
    mov al, 0x01
    out dx, al
    mov al, 0x20                ; palette address source: the screen on again
    out dx, al
    mov dx, 0x3c8
    xor al, al
    out dx, al
    inc dx
    xor cx, cx
.dac:
    mov al, cl
    out dx, al
    mov al, 63
    sub al, cl
    out dx, al
    mov al, cl
    imul ax, ax, 5
    and al, 63
    out dx, al
    inc cx
    cmp cx, 64
    jb .dac
    mov ax, [bpr]
    shl ax, 3
    mov bx, ax
    mov dx, [0x463]
    mov al, 0x0c
    mov ah, bh
    out dx, ax
    mov al, 0x0d
    mov ah, bl
    out dx, ax
    mov ax, [bpr]
    shr ax, 1
    add ax, 4
    mov ah, al
    mov al, 0x13
    out dx, ax
    ; Line compare 101 (bits 8 and 9 in registers 7 and 9 cleared): below scan line 101 the picture starts
    ; again at address 0 (a split screen; odd, so a double-scanned row is never cut in two).
    mov ax, 0x6518
    out dx, ax
    mov al, 0x07
    out dx, al
    inc dx
    in al, dx
    and al, ~0x10
    out dx, al
    dec dx
    mov al, 0x09
    out dx, al
    inc dx
    in al, dx
    and al, ~0x40
    out dx, al
    call show
    ret

; Mode X: mode 13h with chain-4 off (sequencer memory mode 06h), the CRTC in byte mode (underline 00h, mode
; control E3h). Every plane through the map mask (a byte of plane p at offset o: (o + 64 p + o / 80) & 0xFF) on
; rows 0-99 and 200-247, rows 100-199 as drawn before unchaining (they move into the planes; nothing shown is
; memory the program never wrote, which the BIOSes' mode sets clear differently); then the top 100 lines copied over the bottom
; 100 with write mode 1 and the start address 8 lines down; then 320x240 (the vertical timing of the 480-line
; modes, start address 0).
mode_x:
    mov ax, 0x0013
    int 0x10
    mov ax, 0xa000
    mov es, ax
    xor di, di
.chained:
    mov ax, di
    xor al, ah
    stosb
    cmp di, 64000
    jb .chained
    seq 4, 0x06
    mov dx, 0x3d4
    mov ax, 0x0014
    out dx, ax
    mov ax, 0xe317
    out dx, ax
    xor cx, cx                  ; plane
.plane:
    call map_plane
    xor di, di
.byte:
    mov ax, di
    xor dx, dx
    mov bx, 80
    div bx
    add ax, di
    mov bl, cl
    shl bl, 6
    add al, bl
    stosb
    cmp di, 80 * 100
    jne .next
    mov di, 80 * 200            ; rows 100-199 keep what was drawn chained; 200-247 are shown later
.next:
    cmp di, 80 * 248
    jb .byte
    inc cx
    cmp cx, 4
    jb .plane
    seq 2, 0x0f
    call show
    push ds
    gc 5, 0x41
    mov si, 80 * 0
    mov di, 80 * 100
    mov cx, 80 * 100
    push es
    pop ds
    rep movsb
    pop ds
    gc 5, 0x40
    mov dx, 0x3d4
    mov ax, 0x020c              ; start address 0280h: 8 lines of 80 bytes
    out dx, ax
    mov ax, 0x800d
    out dx, ax
    call show
    ; 320x240: misc 0E3h and the CRTC's vertical timing for 480 lines, registers 0-7 unprotected first.
    mov dx, 0x3c2
    mov al, 0xe3
    out dx, al
    mov dx, 0x3d4
    mov ax, 0x2c11
    out dx, ax
    mov si, x240
    mov cx, x240_count
.crtc:
    lodsw
    out dx, ax
    loop .crtc
    call show
    ret

x240: dw 0x0d06, 0x3e07, 0x4109, 0xea10, 0xac11, 0xdf12, 0xe715, 0x0616, 0x000c, 0x000d
x240_count equ ($ - x240) / 2

; mode, bytes per row, lines, character height, text rows
modes:
    db 0x0d
    dw 40, 200
    db 8, 25
    db 0x0e
    dw 80, 200
    db 8, 25
    db 0x10
    dw 80, 350
    db 14, 25
    db 0x12
    dw 80, 480
    db 16, 30
    db 0x0f
    dw 80, 350
    db 14, 25
    db 0x11
    dw 80, 480
    db 16, 30
    db 0
msg_done: db 'DONE', 10, 0
planar_attrs: db 0x00, 0x3c, 0x02, 0x30, 0x07, 0x3e, 0x14, 0x38, 0x01, 0x31, 0x0a, 0x3b, 0x24, 0x35, 0x1e, 0x3f, 0x09
planar_dac:
%assign i 0
%rep 16
    db 63 - i * 4, (i * 13) & 63, i * 4
%assign i i + 1
%endrep
msg_string: db 'AH=13h in a planar mode'
msg_len equ $ - msg_string
mode: db 0
chh: db 0
rows: db 0
bpr: dw 0
lines: dw 0
size: dw 0
color: dw 0
    times 512 * (1 + CODE_SECTORS) - ($ - $$) db 0
