; INT 16h: waits for a key (peek), then reads three (the test types "a", "B", Enter), the shift flags and
; the BIOS keyboard buffer's head and tail.
%include "lib.inc"
main:
.wait:
    mov ah, 0x01
    int 0x16
    jz .wait
    SHOW16 "peek", ax
    mov ah, 0x00
    int 0x16
    SHOW16 "key1", ax
    mov ah, 0x00
    int 0x16
    SHOW16 "key2", ax
    mov ah, 0x00
    int 0x16
    SHOW16 "key3", ax
    mov ah, 0x02
    int 0x16
    SHOW8 "shift", al
    mov ax, [0x41a]
    cmp ax, [0x41c]
    sete al
    SHOW8 "empty", al
    EXIT 0
END_SECTOR
