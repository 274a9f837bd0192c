; Echoes what arrives on COM1 back to COM1, upper-cased, by polling the UART (no BIOS): for the adapter's
; serial input request.
org 0x7c00
bits 16

start:
    cli
.poll:
    mov dx, 0x3fd
    in al, dx
    test al, 1                  ; data ready?
    jz .poll
    mov dx, 0x3f8
    in al, dx
    cmp al, 'a'
    jb .send
    cmp al, 'z'
    ja .send
    sub al, 0x20
.send:
    out dx, al
    jmp .poll

times 510-($-$$) db 0
dw 0xaa55
