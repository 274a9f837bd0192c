; keycount: waits for keys with INT 16h, counts each one in [count] and echoes it with the teletype call, the
; way a boot-sector game's input loop does. Stepping back across typed keys and going forward again must
; count every key exactly once.
org 0x7c00
bits 16

start:
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    mov word [count], 0
next_key:
    mov ah, 0x00
    int 0x16                    ; AL = the key's ASCII code
    inc word [count]
    mov ah, 0x0e
    mov bx, 0x0007
    int 0x10                    ; echo AL
    jmp next_key

count: dw 0

times 510-($-$$) db 0
dw 0xaa55
