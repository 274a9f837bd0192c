; INT 14h: initialise COM1, send a byte, read the status. The byte appears on the serial output.
%include "lib.inc"
main:
    mov ah, 0x00
    mov al, 0xe3
    xor dx, dx
    int 0x14
    SHOW8 "init_ah", ah
    mov ax, 0x015a              ; send 'Z'
    xor dx, dx
    int 0x14
    SHOW8 "send_ah", ah
    mov ah, 0x03
    xor dx, dx
    int 0x14
    SHOW8 "status_ah", ah
    SHOW16 "com1", [0x400]
    EXIT 0
END_SECTOR
