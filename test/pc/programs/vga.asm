; VGA ports: the CRTC cursor location follows INT 10h, the cursor start register, the input status
; register's retrace bit (3DAh bit 3) toggles, and the misc output register says colour (3CCh bit 0).
%include "lib.inc"
main:
    mov ax, 0x0003
    int 0x10
    mov ah, 0x02
    xor bh, bh
    mov dx, 0x0102              ; row 1, column 2: offset 82
    int 0x10
    mov dx, 0x3d4
    mov al, 0x0e
    out dx, al
    inc dx
    in al, dx
    mov ah, al
    dec dx
    mov al, 0x0f
    out dx, al
    inc dx
    in al, dx
    SHOW16 "crtc_cursor", ax
    mov dx, 0x3d4               ; cursor start: set it, read it back
    mov al, 0x0a
    out dx, al
    inc dx
    mov al, 0x0d
    out dx, al
    in al, dx
    and al, 0x3f
    SHOW8 "cursor_start", al
    mov dx, 0x3cc
    in al, dx
    and al, 1
    SHOW8 "misc_colour", al
    mov dx, 0x3da
    xor bl, bl
    mov ecx, 2000000
.poll:
    in al, dx
    test al, 8
    jz .off
    or bl, 1
    jmp .next
.off:
    or bl, 2
.next:
    cmp bl, 3
    je .done
    dec ecx
    jnz .poll
.done:
    SHOW8 "retrace_toggles", bl
    EXIT 0
END_SECTOR
