; A boot sector for the adapter tests: a CALL, an INT, a counter in memory, a flag the
; debugger writes, serial output that shows which way the guest went, then HLT with interrupts off.
%include "serial-macros.inc"
org 0x7c00
bits 16

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    sti

    mov ax, 0x1234
    call add_one
    mov bx, ax
    mov ah, 0x0e
    mov al, 'X'
    int 0x10
    mov cx, [counter]
    inc word [counter]
    mov al, [flag]

    cmp al, 0x55
    jne .not_set
    SERIAL_OUT 'Y'
    jmp .done
.not_set:
    SERIAL_OUT 'N'
.done:
    mov si, 0
    cli
    hlt

add_one:
    inc ax
    ret

%include "serial.inc"

counter: dw 0
flag: db 0

times 510-($-$$) db 0
dw 0xaa55
