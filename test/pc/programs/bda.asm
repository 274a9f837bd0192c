; The BIOS data area fields boot sectors read directly.
%include "lib.inc"
main:
    mov ax, 0x0003
    int 0x10
    mov ah, 0x02
    xor bh, bh
    mov dx, 0x0304
    int 0x10
    SHOW8 "mode", [0x449]
    SHOW16 "cols", [0x44a]
    SHOW8 "rows", [0x484]
    SHOW16 "cursor", [0x450]
    SHOW16 "crtc", [0x463]
    SHOW16 "com1", [0x400]
    SHOW16 "kb_start", [0x480]
    SHOW16 "kb_end", [0x482]
    mov ax, [0x41a]
    cmp ax, [0x41c]
    sete al
    SHOW8 "kb_empty", al
    SHOW16 "base_kb", [0x413]
    mov bx, [0x46c]
.tick:
    hlt
    cmp bx, [0x46c]
    je .tick
    SHOW8 "ticks_move", 1
    EXIT 0
END_SECTOR
